"""factory_boy factories for the personas and the clinical rows."""

from __future__ import annotations

import time
from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.utils import timezone

from patients.models import CareTeamGrant, Patient, Procedure, SymptomEntry
from patients.questions import YES_NO_FIELDS
from portal.accounts.models import Role, Specialty, User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.PATIENT
    time_zone = "UTC"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class ClinicianFactory(UserFactory):
    role = Role.CLINICIAN
    specialty = Specialty.NEUROLOGY

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        """Clinicians have TOTP unless built with ``mfa=False``."""
        if create and extracted is not False:
            enable_totp(self)


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        if create and extracted is not False:
            enable_totp(self)


def enable_totp(user: User) -> str:
    """Activate TOTP for a user; returns the secret so a test can compute codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app holding ``secret`` shows now (freeze the clock,
    fixture ``frozen_clock``, so that it is still valid when the server checks it)."""
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    date_of_birth = date(1980, 5, 17)
    sex = "female"

    @factory.post_generation
    def procedure(self, create, extracted, **kwargs):
        """A procedure one day ago unless ``procedure=False`` or a datetime is given."""
        if create and extracted is not False:
            performed_at = extracted if extracted is not None else timezone.now() - timedelta(days=1)
            Procedure.objects.create(patient=self, performed_at=performed_at, needle_type="atraumatic", needle_gauge=22)


class CareTeamGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamGrant

    patient = factory.SubFactory(PatientFactory)
    clinician = factory.SubFactory(ClinicianFactory)


class SymptomEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SymptomEntry

    patient = factory.SubFactory(PatientFactory)
    recorded_at = factory.LazyFunction(timezone.now)
    back_pain = 2
    headache = 2


def diary_answers(**answers) -> dict:
    """Every yes/no question of the diary answered "no", then ``answers``: what an
    API client sends (API.md: each yes/no field is required)."""
    return {**{name: False for name in YES_NO_FIELDS}, **answers}
