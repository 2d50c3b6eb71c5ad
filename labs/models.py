"""Lab reports (a sealed file plus structured values), analyte reference data and
follow-up lab requests.

The report file is stored only as ciphertext (``LabReportFile``, a separate row so
that no list query ever loads a 10 MB blob by accident). Values carry a snapshot of
the range they were flagged against: a later edit of the reference data in admin
does not silently change the meaning of an old report.

Clinical rows are never destroyed: foreign keys are PROTECT, and a report uploaded
by mistake is marked "entered in error".
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.models import Patient
from portal.crypto import open_sealed_text


class Specimen(models.TextChoices):
    CSF = "csf", "Cerebrospinal fluid (CSF)"
    BLOOD = "blood", "Blood"


class RangeRule(models.TextChoices):
    FIXED = "fixed", "Fixed range (default low/high)"
    # Upper limit = (age in years + offset for women) / divisor (MILLER: ESR).
    AGE_SEX = "age_sex", "Upper limit from age and sex"


class ReviewTrigger(models.TextChoices):
    """When a value makes the new report a contact_provider (high-priority) inbox item
    (CLINICAL.md 4). Only the values decide: never the diary."""

    NEVER = "", "Never on its own"
    HIGH = "high", "Above the range"
    LOW = "low", "Below the range"
    OUTSIDE = "outside", "Outside the range (below or above)"
    LOW_WITHOUT_BLOOD_GLUCOSE = (
        "low_without_blood_glucose",
        "Below the range without a blood glucose in the same report (the item asks for one)",
    )


def loinc_check_digit(number: str) -> int:
    """LOINC's mod-10 check digit of the part before the hyphen (the Luhn scheme:
    every other digit from the right doubled, digits of the products summed)."""
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if position % 2 == 0 else digit
        total += doubled // 10 + doubled % 10
    return (10 - total % 10) % 10


def validate_loinc_code(value: str) -> None:
    """A LOINC code as LOINC writes it ("2345-7"), its check digit right: a typo in
    admin is refused, not exported to every lab system."""
    if not value:
        return
    number, _, check = value.partition("-")
    if not number.isdigit() or not check.isdigit() or len(check) != 1 or len(number) > 7:
        raise ValidationError("Write a LOINC code as digits, a hyphen and its check digit, e.g. 2345-7.")
    if loinc_check_digit(number) != int(check):
        raise ValidationError("The check digit does not match: a LOINC code is likely mistyped.")


UCUM_TEXT = RegexValidator(r"^[!-~]*$", "A UCUM code is printable ASCII without spaces, e.g. mg/dL, 10*6/L, mm[H2O].")


class Analyte(models.Model):
    """Reference data for one measured (or computed) value. Seeded from CLINICAL.md
    section 4 by a data migration, editable in admin; every row carries its citation."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=40, help_text="Used in inbox summaries, e.g. 'CSF WBC'.")
    specimen = models.CharField(max_length=8, choices=Specimen.choices)
    unit = models.CharField(
        max_length=30, help_text="The unit values are stored, flagged and shown in (always accepted as sent)."
    )
    default_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    default_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    low_inclusive = models.BooleanField(default=True, help_text="The low limit itself counts as normal.")
    high_inclusive = models.BooleanField(default=True, help_text="The high limit itself counts as normal.")
    borderline_low = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Values from this up to the low limit are called borderline rather than low.",
    )
    range_rule = models.CharField(max_length=16, choices=RangeRule.choices, default=RangeRule.FIXED)
    age_divisor = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    female_age_offset = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    range_text = models.CharField(max_length=120, blank=True, help_text="How the normal range reads, e.g. '0-5'.")
    explanation = models.TextField(help_text="Plain language for patients: what it measures and what values mean.")
    clinician_note = models.TextField(blank=True, help_text="Shown to clinicians only.")
    computed = models.BooleanField(default=False, help_text="Computed by the portal, not entered.")
    review_when = models.CharField(max_length=32, choices=ReviewTrigger.choices, blank=True, default="")
    decimal_places = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(4)])
    display_order = models.PositiveSmallIntegerField(default=0)
    citation = models.CharField(max_length=60, help_text="Citation key(s) of CLINICAL.md.")
    # How the analyte reads in HL7 FHIR (interop/): the LOINC code of the observation and
    # the UCUM code of ``unit``. Seeded by migration 0005, editable like the rest.
    loinc_code = models.CharField(
        "LOINC code",
        max_length=10,
        blank=True,
        validators=[validate_loinc_code],
        help_text="The LOINC code of this result, e.g. 2342-4 (empty: exported with the portal's own code only).",
    )
    loinc_display = models.CharField(
        "LOINC name", max_length=200, blank=True, help_text="LOINC's long common name of the code."
    )
    ucum_unit = models.CharField(
        "UCUM unit",
        max_length=30,
        blank=True,
        validators=[UCUM_TEXT],
        help_text="The unit above as a UCUM code (cells/µL: /uL; mmH₂O: mm[H2O]; a ratio: 1).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["loinc_code"], condition=~Q(loinc_code=""), name="analyte_loinc_code_once"),
        ]

    def __str__(self) -> str:
        return self.name


class AnalyteUnit(models.Model):
    """Another unit a value of the analyte may be sent in, with its conversion to the
    analyte's own unit: value in ``Analyte.unit`` = value sent x ``factor`` (CLINICAL.md
    section 4: mmol/L x 18 = mg/dL, g/L x 100 = mg/dL, cmH2O x 10 = mmH2O). A unit that
    is neither the analyte's nor one of these is refused."""

    analyte = models.ForeignKey(Analyte, on_delete=models.CASCADE, related_name="other_units")
    unit = models.CharField(max_length=30)
    factor = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
        help_text="Value in the analyte's unit = value in this unit x this factor (glucose mmol/L: 18).",
    )
    shown_alongside = models.BooleanField(
        default=False, help_text="Values are also shown in this unit (at most one unit per analyte)."
    )
    ucum_unit = models.CharField(
        "UCUM unit", max_length=30, blank=True, validators=[UCUM_TEXT], help_text="This unit as a UCUM code."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["analyte__display_order", "order", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["analyte", "unit"], name="analyteunit_once_per_analyte"),
            models.UniqueConstraint(
                fields=["analyte"], condition=Q(shown_alongside=True), name="analyteunit_one_shown_alongside"
            ),
            models.CheckConstraint(condition=Q(factor__gt=0), name="analyteunit_factor_positive"),
        ]

    def __str__(self) -> str:
        return self.unit


class LabReportKind(models.TextChoices):
    CSF = "csf", "CSF"
    BLOOD = "blood", "Blood"


class LabReportQuerySet(models.QuerySet):
    def released(self) -> LabReportQuerySet:
        return self.filter(released_at__isnull=False)

    def valid(self) -> LabReportQuerySet:
        return self.filter(entered_in_error_at__isnull=True)


class LabReport(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_reports")
    kind = models.CharField(max_length=8, choices=LabReportKind.choices)
    collected_at = models.DateTimeField()
    # The clinician who uploaded it; empty for a report a lab system sent (``received_from``).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    received_from = models.CharField(
        max_length=100, blank=True, help_text="The lab system (integration client) that sent the report."
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The releasing clinician's optional note to the patient ("Your protein is a little
    # high; we will talk about it on Monday"): sealed like a request's reason (context
    # "lab_report_note:<pk>"), read through ``release_note``.
    release_note_sealed = models.BinaryField(default=b"", db_default=b"", blank=True, editable=False)
    # What the file is, checked from its content (never the client's claim).
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    answers_request = models.ForeignKey(
        "LabRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_reason = models.CharField(max_length=200, blank=True)

    objects = LabReportQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uploaded_by__isnull=False) | ~Q(received_from=""),
                name="labreport_has_a_source",
                violation_error_message="A report is uploaded by a clinician or received from a lab system.",
            ),
        ]
        indexes = [
            # A patient's reports, newest first: the list page, the chart and the API.
            models.Index(fields=["patient", "-collected_at"], name="labreport_patient_collected"),
        ]

    def __str__(self) -> str:
        return f"Lab report #{self.pk}"

    @property
    def release_note_seal_context(self) -> str:
        return f"lab_report_note:{self.pk}"

    @property
    def release_note(self) -> str:
        """The releasing clinician's note in clear, for those who may read the report."""
        if not self.release_note_sealed:
            return ""
        return open_sealed_text(bytes(self.release_note_sealed), context=self.release_note_seal_context)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def is_entered_in_error(self) -> bool:
        return self.entered_in_error_at is not None

    @property
    def seal_context(self) -> str:
        return f"lab_report:{self.pk}"

    @property
    def flagged_values(self) -> list[LabValue]:
        """Values outside their range (uses the prefetched values)."""
        return [value for value in self.values.all() if value.flag in (Flag.LOW, Flag.HIGH)]

    @property
    def source_name(self) -> str:
        """Who brought the report in: the clinician, or the lab system that sent it."""
        if self.uploaded_by is not None:
            return self.uploaded_by.get_full_name() or self.uploaded_by.email
        return self.received_from

    @property
    def has_file(self) -> bool:
        """A typed-in result (a blood culture) may come without the lab's file."""
        return self.size > 0

    @property
    def extension(self) -> str:
        return ".pdf" if self.content_type == "application/pdf" else ".txt"


class LabReportFile(models.Model):
    """The report's file and original name, both sealed (``portal.crypto``).

    The context binds each blob to its report id, so a blob copied onto another
    report fails to open. Registered in ``LabsConfig.ready`` for key rotation.
    """

    report = models.OneToOneField(LabReport, on_delete=models.PROTECT, primary_key=True, related_name="file")
    sealed = models.BinaryField()
    name_sealed = models.BinaryField()

    def __str__(self) -> str:
        return f"File of lab report #{self.report_id}"


def file_context(report_id: int) -> str:
    return f"lab_report:{report_id}"


def file_name_context(report_id: int) -> str:
    return f"lab_report_name:{report_id}"


class Flag(models.TextChoices):
    LOW = "low", "Below the range"
    NORMAL = "normal", "Within the range"
    HIGH = "high", "Above the range"


class RangeSource(models.TextChoices):
    NONE = "", "No range"
    DEFAULT = "default", "Portal default"
    LAB = "lab", "The lab's own range"
    AGE_SEX = "age_sex", "Default for age and sex"


class LabValue(models.Model):
    report = models.ForeignKey(LabReport, on_delete=models.PROTECT, related_name="values")
    analyte = models.ForeignKey(Analyte, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=30)  # always the analyte's stored unit
    # The unit the value was sent in (always given since units are required; blank on
    # values stored before 2026-12-05, when a value without a unit was read in ``unit``).
    entered_unit = models.CharField(max_length=30, blank=True)
    # The lab's own range, as entered (in ``unit``); it wins over the default.
    lab_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    lab_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    # The range this value was flagged against, as it was at upload.
    ref_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    ref_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    ref_low_inclusive = models.BooleanField(default=True)
    ref_high_inclusive = models.BooleanField(default=True)
    ref_borderline_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    range_source = models.CharField(max_length=8, choices=RangeSource.choices, blank=True, default="")
    flag = models.CharField(max_length=8, choices=Flag.choices, blank=True, default="")  # "" when no range
    fasting = models.BooleanField(null=True, blank=True)  # serum glucose: was the patient fasting?
    computed = models.BooleanField(default=False)  # the CSF/serum glucose ratio, computed here

    class Meta:
        ordering = ["analyte__display_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "analyte"], name="labvalue_one_per_analyte"),
            models.CheckConstraint(condition=Q(value__gte=0), name="labvalue_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Value #{self.pk}"

    @property
    def is_borderline(self) -> bool:
        return self.flag == Flag.LOW and self.ref_borderline_low is not None and self.value >= self.ref_borderline_low


class LabTest(models.TextChoices):
    CRP = "crp", "C-reactive protein (CRP)"
    ESR = "esr", "Erythrocyte sedimentation rate (ESR)"
    CSF_REPEAT = "csf_repeat", "Repeat CSF analysis"
    BLOOD_CULTURE = "blood_culture", "Blood cultures"


class LabRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    # A clinician's own request is an order (API.md): decided as it is made, never
    # reviewed by the clinician who made it.
    ORDERED = "ordered", "Ordered"


class LabRequestPriority(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


class LabRequest(models.Model):
    """A follow-up lab request (by the patient for themselves, or by a clinician),
    reviewed by a clinician within ``due_at``. Reports that answer it point here."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="lab_requests")
    tests = models.JSONField()  # list of LabTest values, validated by the service
    # Why the labs are asked for, in the requester's words: sealed like message bodies
    # (portal.crypto, context "lab_request:<pk>"); read through ``reason``.
    reason_sealed = models.BinaryField(default=b"", db_default=b"", blank=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=LabRequestStatus.choices, default=LabRequestStatus.PENDING)
    priority = models.CharField(max_length=8, choices=LabRequestPriority.choices, default=LabRequestPriority.ROUTINE)
    review_note = models.TextField(max_length=1000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The alert the request was made from ("request labs" on an alert); a plain id
    # so labs does not depend on the alerts app's models.
    source_alert_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(reviewed_at__isnull=True))
                | (~Q(status="pending") & Q(reviewed_at__isnull=False)),
                name="labrequest_reviewed_iff_not_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-requested_at"], name="labrequest_patient_requested"),
            # The review queue: pending requests, oldest due first.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="labrequest_pending_due"),
        ]

    def __str__(self) -> str:
        return f"Lab request #{self.pk}"

    @property
    def reason_seal_context(self) -> str:
        return f"lab_request:{self.pk}"

    @property
    def reason(self) -> str:
        """The reason in clear, for those the request's selectors let read it."""
        if not self.reason_sealed:
            return ""
        return open_sealed_text(bytes(self.reason_sealed), context=self.reason_seal_context)

    @property
    def test_labels(self) -> list[str]:
        labels = dict(LabTest.choices)
        return [labels.get(code, code) for code in self.tests]


class CultureStage(models.TextChoices):
    """When a blood culture is read. The lab incubates the bottles for 5 days: "no growth"
    is a preliminary result at 48 hours and the final one at 5 days; growth can be
    reported at either stage (the final one names the organism as identified)."""

    PRELIMINARY = "preliminary", "Preliminary (48 hours)"
    FINAL = "final", "Final (5 days)"


# The incubation a stage's "no growth" stands for: a "no growth at 5 days" cannot be
# read before the specimen is 5 days old. These define the result, not a clinical threshold.
CULTURE_STAGE_HOURS = {CultureStage.PRELIMINARY: 48, CultureStage.FINAL: 5 * 24}


class CultureGrowth(models.TextChoices):
    NO_GROWTH = "no_growth", "No growth"
    ORGANISM = "organism", "Growth"


class BloodCultureResult(models.Model):
    """The result of a blood culture, carried by its lab report (kind blood, answering the
    order that asked for blood cultures): the stage it was read at, and either the
    organism grown (free text as the lab names it) or no growth.

    One preliminary and then one final per order (the service checks the order under a
    lock on the order's row; a report entered in error no longer counts)."""

    report = models.OneToOneField(LabReport, on_delete=models.PROTECT, primary_key=True, related_name="culture")
    stage = models.CharField(max_length=16, choices=CultureStage.choices)
    growth = models.CharField(max_length=16, choices=CultureGrowth.choices)
    organism = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(growth="organism") & ~Q(organism="")) | (Q(growth="no_growth") & Q(organism="")),
                name="bloodculture_organism_iff_growth",
                violation_error_message="An organism is named exactly when the culture grew one.",
            ),
        ]

    def __str__(self) -> str:
        return f"Blood culture of lab report #{self.report_id}"

    @property
    def no_growth(self) -> bool:
        return self.growth == CultureGrowth.NO_GROWTH

    @property
    def is_final(self) -> bool:
        return self.stage == CultureStage.FINAL

    @property
    def clinician_text(self) -> str:
        """How the result reads to a clinician: "No growth at 48 h (preliminary)"."""
        if self.no_growth:
            return "No growth at 5 days (final)" if self.is_final else "No growth at 48 h (preliminary)"
        return f"Growth: {self.organism} ({'final' if self.is_final else 'preliminary'})"
