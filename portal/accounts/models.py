"""Users and invitations.

Email is the login. Every user has one role; clinicians have a specialty. Patients
and clinicians are invited, never given a password by someone else: an
``Invitation`` holds the SHA-256 of a one-time token (the token itself is only in
the email), valid 7 days, usable once.
"""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    ADMIN = "admin", "Admin"
    # A partner or relative a patient invited (proxy access): reaches what each patient
    # they follow allows (patients.CaregiverGrant). A patient who follows someone keeps
    # the role patient; this role is for people who are no patient themselves.
    CAREGIVER = "caregiver", "Caregiver"


class Specialty(models.TextChoices):
    NEUROLOGY = "neurology", "Neurology"
    ANESTHESIOLOGY = "anesthesiology", "Anesthesiology"
    NURSING = "nursing", "Nursing"
    EMERGENCY = "emergency", "Emergency medicine"
    INFECTIOUS_DISEASE = "infectious_disease", "Infectious disease"
    GENERAL_PRACTICE = "general_practice", "General practice"
    OTHER = "other", "Other"


class DisplayUnits(models.TextChoices):
    CELSIUS = "C", "°C"
    FAHRENHEIT = "F", "°F"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class UserQuerySet(models.QuerySet):
    def clinicians(self) -> UserQuerySet:
        return self.filter(role=Role.CLINICIAN, is_active=True)

    def triage_pool(self) -> UserQuerySet:
        """Active clinicians an admin put in the clinic's triage pool (CLINICAL.md section 7)."""
        return self.clinicians().filter(is_triage=True)

    def quality_leads(self) -> UserQuerySet:
        """Active clinicians an admin marked *quality*: they read the clinic's quality figures."""
        return self.clinicians().filter(is_quality=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT, db_index=True)
    specialty = models.CharField(max_length=32, choices=Specialty.choices, blank=True)
    display_units = models.CharField(max_length=1, choices=DisplayUnits.choices, default=DisplayUnits.CELSIUS)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_triage = models.BooleanField(
        "triage pool",
        default=False,
        help_text="A clinician in the clinic's triage pool receives the alerts of patients without an active care team.",
    )
    is_quality = models.BooleanField(
        "quality lead",
        default=False,
        help_text="A quality lead reads the clinic's aggregate quality figures and patients' feedback "
        "(without names); never a patient's record through them.",
    )
    # Part of the hash every session carries (``_get_session_auth_hash``): raising it
    # signs out every session of the user but the one that is re-hashed
    # (portal.accounts.mfa.end_other_sessions: TOTP set up or reset).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="clinician") | models.Q(specialty=""),
                name="user_specialty_only_for_clinicians",
            ),
            models.CheckConstraint(
                condition=models.Q(role="clinician") | models.Q(is_triage=False),
                name="user_triage_only_for_clinicians",
                violation_error_message="Only a clinician can be in the triage pool.",
            ),
            models.CheckConstraint(
                condition=models.Q(role="clinician") | models.Q(is_quality=False),
                name="user_quality_only_for_clinicians",
                violation_error_message="Only a clinician can be a quality lead (admins read the figures anyway).",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret=None):
        # Django checks this hash on every request of every session (browser cookie
        # and app token): it covers the password (a change signs out the other
        # sessions) and the session generation. Generation 0 keeps Django's own
        # hash, so sessions made before the generation existed stay valid.
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "portal.accounts.User.session_auth_hash",
            f"{self.password}|{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_caregiver(self) -> bool:
        return self.role == Role.CAREGIVER

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        name = self.get_full_name()
        if self.is_clinician and self.specialty:
            return f"{name or self.email} ({self.get_specialty_display()})"
        return name or self.email


class Invitation(models.Model):
    """A one-time sign-up link: the token's hash only, 7 days, used once.

    A clinician's or admin's invitation also carries the TOTP secret they set up
    while accepting it (sealed, context ``invitation_totp:<pk>``; emptied once
    accepted): no session of theirs ever exists before TOTP does.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    totp_secret_sealed = models.BinaryField(default=b"", blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.user.email}"

    @property
    def totp_seal_context(self) -> str:
        return f"invitation_totp:{self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()
