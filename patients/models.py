"""The patient's record: profile and health factors, procedure, care team, diary.

Clinical rows are never destroyed: foreign keys to them are PROTECT, and a diary
entry made by mistake is marked "entered in error", not deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.questions import YES_NO_FIELDS
from portal.clinic.models import validate_phone
from portal.crypto import open_sealed_text


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"


class Patient(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient")
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=8, choices=Sex.choices)
    # The number the care team calls the patient on (a tap-to-call link on the chart).
    phone = models.CharField(max_length=30, blank=True, validators=[validate_phone])
    # Health factors: the pain-plan inputs of CLINICAL.md section 5 (API.md "health").
    allergies = models.JSONField(default=list, blank=True)  # subset of ["acetaminophen", "aspirin", "nsaid"]
    kidney_disease = models.BooleanField(default=False)
    liver_disease = models.BooleanField(default=False)
    heavy_alcohol = models.BooleanField(default=False)
    ulcer_or_gi_bleed = models.BooleanField(default=False)
    anticoagulant = models.BooleanField(default=False)
    warfarin = models.BooleanField(default=False)
    steroid = models.BooleanField(default=False)
    diuretic = models.BooleanField(default=False)
    high_blood_pressure = models.BooleanField(default=False)
    heart_disease_or_stroke = models.BooleanField(default=False)
    asthma = models.BooleanField(default=False)
    pregnancy_weeks = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(45)])
    breastfeeding = models.BooleanField(default=False)
    fluid_restriction = models.BooleanField(default=False)
    arrhythmia_or_seizure = models.BooleanField(default=False)
    preferences = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    # CLINICAL.md section 2: every blood-thinner flag of the profile counts as one
    # (``anticoagulated_back_pain``): the health form asks "a blood thinner" and "warfarin"
    # apart, and a patient on warfarin may tick only that.
    BLOOD_THINNER_FLAGS = ("anticoagulant", "warfarin")

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"Patient #{self.pk}"

    @property
    def phone_href(self) -> str:
        """``tel:`` target of the patient's phone: digits and a leading + only."""
        return "tel:" + "".join(ch for ch in self.phone if ch.isdigit() or ch == "+") if self.phone else ""

    @property
    def takes_blood_thinner(self) -> bool:
        return any(getattr(self, flag) for flag in self.BLOOD_THINNER_FLAGS)

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.email


class NeedleType(models.TextChoices):
    ATRAUMATIC = "atraumatic", "Atraumatic (pencil-point)"
    CUTTING = "cutting", "Cutting (Quincke)"


class Procedure(models.Model):
    """A lumbar puncture. "Day N" counts from the latest one's ``performed_at``."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="procedures")
    performed_at = models.DateTimeField()
    needle_type = models.CharField(max_length=16, choices=NeedleType.choices)
    needle_gauge = models.PositiveSmallIntegerField(validators=[MinValueValidator(18), MaxValueValidator(29)])
    passes = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(20)])
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at"]
        indexes = [models.Index(fields=["patient", "-performed_at"], name="procedure_patient_latest")]

    def __str__(self) -> str:
        return f"Procedure #{self.pk}"


class CareTeamGrant(models.Model):
    """The patient's choice of a clinician. Access exists while ``revoked_at`` is null."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_team_grants")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_grants")
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            # One active grant per patient and clinician; history rows stay.
            models.UniqueConstraint(
                fields=["patient", "clinician"], condition=Q(revoked_at__isnull=True), name="one_active_grant"
            ),
        ]
        indexes = [
            # The access check of every clinician request: active grants of one clinician.
            models.Index(fields=["clinician", "patient"], condition=Q(revoked_at__isnull=True), name="grant_active"),
        ]

    def __str__(self) -> str:
        return f"Grant #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CaregiverGrant(models.Model):
    """The patient's choice of a caregiver (proxy access, DESIGN.md): a partner or
    relative follows the diary, alerts, released labs and the pain plan, and logs
    symptoms or messages the care team only when allowed. Access exists while
    ``revoked_at`` is null; revoking ends it at the next request."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="caregiver_grants")
    caregiver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caregiver_grants")
    can_log_symptoms = models.BooleanField(default=False)
    can_message = models.BooleanField(default=False)
    # The caregiver's own choice: the patient's urgent-alert emails (a link, no health data).
    urgent_alert_emails = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "caregiver"], condition=Q(revoked_at__isnull=True), name="one_active_caregiver_grant"
            ),
        ]
        indexes = [
            # The access check of every caregiver request: active grants of one caregiver.
            models.Index(
                fields=["caregiver", "patient"], condition=Q(revoked_at__isnull=True), name="caregiver_grant_active"
            ),
        ]

    def __str__(self) -> str:
        return f"Caregiver grant #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SymptomEntry(models.Model):
    """One diary entry (CLINICAL.md section 1). Temperature is stored in °C."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="symptom_entries")
    recorded_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    back_pain = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    headache = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    # Two decimals so that 100.4 °F is exactly 38.00 °C: the fever boundary holds.
    temperature_c = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(34), MaxValueValidator(43)],
    )
    positional_headache = models.BooleanField(default=False)
    radiating_leg_pain = models.BooleanField(default=False)
    numbness = models.BooleanField(default=False)
    leg_weakness = models.BooleanField(default=False)
    bladder_bowel_change = models.BooleanField(default=False)
    site_redness = models.BooleanField(default=False)
    site_drainage = models.BooleanField(default=False)
    neck_stiffness = models.BooleanField(default=False)
    confusion = models.BooleanField(default=False)
    vomiting = models.BooleanField(default=False)
    vision_change = models.BooleanField(default=False)
    took_fever_reducer = models.BooleanField(default=False)
    # Asked since CLINICAL.md of 2026-12-05: None on the entries from before (not asked,
    # which is not "no"); every new entry answers them (patients.services).
    seizure = models.BooleanField(null=True, blank=True, default=None)
    rash = models.BooleanField(null=True, blank=True, default=None)
    # The patient's free text, sealed like message bodies (portal.crypto, context
    # "symptom_entry:<pk>"; empty when there is none): read through ``notes``.
    notes_sealed = models.BinaryField(default=b"", db_default=b"", blank=True, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # In what capacity ``entered_by`` wrote the entry ("patient", "caregiver"), kept on
    # the row so that a list says who entered what without a look-up; empty on the
    # entries from before caregivers (the patient's own).
    entered_by_role = models.CharField(max_length=16, blank=True, default="")
    # "Entered in error" instead of delete: the row stays, out of trends and rules.
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.CharField(max_length=200, blank=True)

    YES_NO_FIELDS = YES_NO_FIELDS

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "symptom entries"
        constraints = [
            models.CheckConstraint(condition=Q(back_pain__lte=10), name="entry_back_pain_0_10"),
            models.CheckConstraint(condition=Q(headache__lte=10), name="entry_headache_0_10"),
            models.CheckConstraint(
                condition=Q(temperature_c__isnull=True) | Q(temperature_c__gte=34, temperature_c__lte=43),
                name="entry_temperature_34_43",
            ),
        ]
        indexes = [
            # History, trend and the rules' look-back: one patient's entries by time.
            models.Index(fields=["patient", "-recorded_at"], name="entry_patient_recorded"),
        ]

    def __str__(self) -> str:
        return f"Entry #{self.pk}"

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    @property
    def notes_seal_context(self) -> str:
        return f"symptom_entry:{self.pk}"

    @property
    def notes(self) -> str:
        """The notes in clear, for those the entry's selectors let read it."""
        if not self.notes_sealed:
            return ""
        return open_sealed_text(bytes(self.notes_sealed), context=self.notes_seal_context)


class MedicationClass(models.TextChoices):
    ACETAMINOPHEN = "acetaminophen", "Acetaminophen (paracetamol)"
    NSAID = "nsaid", "NSAID (ibuprofen or naproxen)"
    CAFFEINE = "caffeine", "Caffeine"


# No dose row may exceed this, whatever an admin sets as a drug's largest dose: the
# database's last word against a typing error (each drug's own limit comes first).
DOSE_CEILING_MG = 1_000_000


class Drug(models.Model):
    """One drug of the medication log with its own label limits (CLINICAL.md section 5).

    Doses of one ``ingredient`` are added up over a rolling 24 hours (acetaminophen
    from 325 mg and 500 mg products together) and compared with the lowest cap of
    the products taken; ``never_above_mg`` is the absolute maximum (above it is
    urgent); ``largest_dose_mg`` is more than any product holds, so a single dose
    above it is refused as a typing error. Seeded by a data migration, edited in admin.
    """

    code = models.SlugField(max_length=32, unique=True)
    medication_class = models.CharField(max_length=16, choices=MedicationClass.choices)
    ingredient = models.SlugField(
        max_length=32, help_text="Doses of one ingredient are added up over 24 hours, whichever product they came from."
    )
    label = models.CharField(
        max_length=80, help_text="What the patient picks on the log, e.g. 'Naproxen sodium (Aleve)'."
    )
    name = models.CharField(max_length=40, help_text="The drug inside a sentence, e.g. 'naproxen sodium'.")
    class_default = models.BooleanField(
        default=False, help_text="The drug a dose of this class is when none is named (NSAID: ibuprofen)."
    )
    daily_cap_mg = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="The label's cap in 24 hours: the log warns at it (>=)."
    )
    pregnancy_cap_mg = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    breastfeeding_cap_mg = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    never_above_mg = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="The absolute maximum in 24 hours: above it (>) is urgent, with the Poison Control text.",
    )
    largest_dose_mg = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(DOSE_CEILING_MG)],
        help_text="More than any product holds (a large pack of the strongest over-the-counter tablet): "
        "a single dose above it is refused as a typing error.",
    )
    citation = models.CharField(max_length=64)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["medication_class"], condition=Q(class_default=True), name="one_default_drug_per_class"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class MedicationDose(models.Model):
    """One dose the patient took (the medication log of CLINICAL.md section 5).

    The drug and the milligrams: combination products are logged as the amount of
    each drug they contain, so the 24-hour totals count them. ``medication_class``
    is the drug's class, kept on the row for the per-class index below.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_doses")
    medication_class = models.CharField(max_length=16, choices=MedicationClass.choices)
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    dose_mg = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(DOSE_CEILING_MG)])
    taken_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dose_mg__gte=1, dose_mg__lte=DOSE_CEILING_MG), name="dose_mg_1_to_ceiling"
            ),
        ]
        indexes = [
            # The 24-hour totals: a patient's doses of one class (then of its drugs) by time.
            models.Index(fields=["patient", "medication_class", "-taken_at"], name="dose_patient_class_taken"),
        ]

    def __str__(self) -> str:
        return f"Dose #{self.pk}"


# --- Clinical content as data (seeded from CLINICAL.md, editable in admin) -----------


class HealthFactor(models.TextChoices):
    """The inputs a pain-plan condition can test (API.md ``health``, plus age)."""

    ALLERGY_ACETAMINOPHEN = "allergy_acetaminophen", "Allergy to acetaminophen"
    ALLERGY_ASPIRIN = "allergy_aspirin", "Allergy to aspirin"
    ALLERGY_NSAID = "allergy_nsaid", "Allergy to an NSAID"
    KIDNEY_DISEASE = "kidney_disease", "Kidney disease"
    LIVER_DISEASE = "liver_disease", "Liver disease"
    HEAVY_ALCOHOL = "heavy_alcohol", "3 or more alcoholic drinks a day"
    ULCER_OR_GI_BLEED = "ulcer_or_gi_bleed", "Stomach ulcer or bleeding history"
    ANTICOAGULANT = "anticoagulant", "Anticoagulant or antiplatelet medicine"
    WARFARIN = "warfarin", "Warfarin"
    STEROID = "steroid", "Steroid medicine"
    DIURETIC = "diuretic", "Diuretic (water tablet)"
    HIGH_BLOOD_PRESSURE = "high_blood_pressure", "High blood pressure"
    HEART_DISEASE_OR_STROKE = "heart_disease_or_stroke", "Heart disease or prior stroke"
    ASTHMA = "asthma", "Asthma"
    AGE = "age", "Age in years"
    PREGNANCY_WEEKS = "pregnancy_weeks", "Weeks of pregnancy"
    BREASTFEEDING = "breastfeeding", "Breastfeeding"
    FLUID_RESTRICTION = "fluid_restriction", "Fluid restriction"
    ARRHYTHMIA_OR_SEIZURE = "arrhythmia_or_seizure", "Heart rhythm problem or seizure disorder"


NUMERIC_HEALTH_FACTORS = (HealthFactor.AGE, HealthFactor.PREGNANCY_WEEKS)


class MedicationPolicy(models.Model):
    """One medication class of the pain plan (CLINICAL.md section 5). Its limits are
    those of its drugs (``Drug``); ``cap_text`` adds what the numbers do not say."""

    medication_class = models.CharField(max_length=16, choices=MedicationClass.choices, unique=True)
    label = models.CharField(max_length=80)
    examples = models.CharField(max_length=200, blank=True)
    cap_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown under the limits of the class's drugs (which come from the drugs), e.g. "
        "'Count combination products too.'",
    )
    use_note = models.CharField(max_length=300, blank=True, help_text="When this class is used at all.")
    citation = models.CharField(max_length=64)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "medication_class"]
        verbose_name_plural = "medication policies"

    def __str__(self) -> str:
        return self.label


class PlanEffect(models.TextChoices):
    EXCLUDES = "excludes", "Not suitable"
    APPROVAL_FIRST = "approval_first", "Only with your clinician's approval"


class PainPlanCondition(models.Model):
    """A health factor that excludes a class or needs the clinician's approval first."""

    policy = models.ForeignKey(MedicationPolicy, on_delete=models.CASCADE, related_name="conditions")
    factor = models.CharField(max_length=32, choices=HealthFactor.choices)
    # For numeric factors (age, pregnancy weeks): applies when the value is >= this.
    at_least = models.PositiveSmallIntegerField(null=True, blank=True)
    effect = models.CharField(max_length=16, choices=PlanEffect.choices)
    reason = models.CharField(max_length=200, help_text="Why, in the patient's words.")
    citation = models.CharField(max_length=64)

    class Meta:
        ordering = ["policy__order", "effect", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "factor"], name="one_condition_per_factor"),
            models.CheckConstraint(
                condition=Q(factor__in=[f.value for f in NUMERIC_HEALTH_FACTORS], at_least__isnull=False)
                | (~Q(factor__in=[f.value for f in NUMERIC_HEALTH_FACTORS]) & Q(at_least__isnull=True)),
                name="at_least_only_for_numeric_factors",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_factor_display()}"


class NonDrugOption(models.Model):
    """Self-care advice of the pain plan; hidden when the patient has ``hidden_when``."""

    code = models.SlugField(max_length=32, unique=True)
    text = models.CharField(max_length=300)
    hidden_when = models.CharField(max_length=32, choices=HealthFactor.choices, blank=True)
    citation = models.CharField(max_length=64)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code
