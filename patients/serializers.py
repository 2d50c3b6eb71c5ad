"""API shapes of the patients app (API.md "Symptoms", "Patients and care team").

Output serializers only describe and render; input is validated by the services
(one set of rules and messages for the API and the web pages). The input
serializers here exist for the OpenAPI schema.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.clinical import temperature_limits
from patients.models import CareTeamGrant, MedicationClass, MedicationDose, NeedleType, Patient, Sex, SymptomEntry
from patients.questions import YES_NO_FIELDS
from patients.selectors import day_since_procedure
from patients.services import ALLERGY_CHOICES, HEALTH_BOOLEANS
from patients.services.symptoms import TEMPERATURE_MAX_C, TEMPERATURE_MIN_C
from patients.units import celsius_to_fahrenheit, rounded, rounded_fahrenheit

# --- Health factors and procedure ----------------------------------------------------------


class HealthSerializer(serializers.Serializer):
    allergies = serializers.ListField(child=serializers.ChoiceField(choices=ALLERGY_CHOICES), required=False)
    kidney_disease = serializers.BooleanField(required=False)
    liver_disease = serializers.BooleanField(required=False)
    heavy_alcohol = serializers.BooleanField(required=False, help_text="3 or more alcoholic drinks a day")
    ulcer_or_gi_bleed = serializers.BooleanField(required=False)
    anticoagulant = serializers.BooleanField(required=False, help_text="anticoagulant or antiplatelet")
    warfarin = serializers.BooleanField(required=False)
    steroid = serializers.BooleanField(required=False)
    diuretic = serializers.BooleanField(required=False)
    high_blood_pressure = serializers.BooleanField(required=False)
    heart_disease_or_stroke = serializers.BooleanField(required=False)
    asthma = serializers.BooleanField(required=False)
    pregnancy_weeks = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=45)
    breastfeeding = serializers.BooleanField(required=False)
    fluid_restriction = serializers.BooleanField(required=False)
    arrhythmia_or_seizure = serializers.BooleanField(required=False)
    preferences = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def health_of(patient: Patient) -> dict:
    health = {"allergies": list(patient.allergies or [])}
    health.update({name: getattr(patient, name) for name in HEALTH_BOOLEANS})
    health["pregnancy_weeks"] = patient.pregnancy_weeks
    health["preferences"] = patient.preferences
    return health


class ProcedureSerializer(serializers.Serializer):
    performed_at = serializers.DateTimeField()
    needle_type = serializers.ChoiceField(choices=NeedleType.choices)
    needle_gauge = serializers.IntegerField(min_value=18, max_value=29)
    passes = serializers.IntegerField(min_value=1, max_value=20, required=False, default=1)


class LatestEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recorded_at = serializers.DateTimeField()
    back_pain = serializers.IntegerField()
    headache = serializers.IntegerField()
    temperature_c = serializers.FloatField(allow_null=True)
    temperature_f = serializers.FloatField(allow_null=True)


def latest_entry_of(entry: SymptomEntry | None, fever_limits: list[Decimal]) -> dict | None:
    if entry is None:
        return None
    return {
        "id": entry.pk,
        "recorded_at": entry.recorded_at,
        "back_pain": entry.back_pain,
        "headache": entry.headache,
        "temperature_c": rounded(entry.temperature_c, fever_limits),
        "temperature_f": rounded_fahrenheit(entry.temperature_c, fever_limits),
    }


def latest_procedure_of(patient: Patient):
    """The latest procedure, from a ``procedures_latest_first`` prefetch when present."""
    prefetched = getattr(patient, "procedures_latest_first", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return patient.procedures.order_by("-performed_at").first()


class PatientSerializer(serializers.ModelSerializer):
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    procedure = serializers.SerializerMethodField()
    day_since_procedure = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "date_of_birth",
            "sex",
            "phone",
            "procedure",
            "day_since_procedure",
            "health",
        ]

    @extend_schema_field(ProcedureSerializer(allow_null=True))
    def get_procedure(self, patient: Patient) -> dict | None:
        procedure = latest_procedure_of(patient)
        return ProcedureSerializer(procedure).data if procedure is not None else None

    def get_day_since_procedure(self, patient: Patient) -> int | None:
        return day_since_procedure(latest_procedure_of(patient))

    @extend_schema_field(HealthSerializer)
    def get_health(self, patient: Patient) -> dict:
        return health_of(patient)


class PatientListItemSerializer(PatientSerializer):
    """A row of the clinician's list: adds the latest entry and the open-alert count."""

    latest_entry = serializers.SerializerMethodField()
    open_alert_count = serializers.SerializerMethodField()

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "latest_entry", "open_alert_count"]

    @extend_schema_field(LatestEntrySerializer(allow_null=True))
    def get_latest_entry(self, patient: Patient) -> dict | None:
        entries = self.context.get("latest_entries", {})
        entry = entries.get(getattr(patient, "latest_entry_id", None))
        if entry is not None and entry.temperature_c is not None and "default_fever_limits" not in self.context:
            self.context["default_fever_limits"] = temperature_limits()  # once for the list
        return latest_entry_of(entry, self.context.get("default_fever_limits", []))

    def get_open_alert_count(self, patient: Patient) -> int:
        return int(getattr(patient, "open_alert_count", 0) or 0)


class EnrolPatientSerializer(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Optional; digits, spaces, brackets, dashes, optional leading +.",
    )
    procedure = ProcedureSerializer()


class HealthUpdateSerializer(serializers.Serializer):
    health = HealthSerializer(required=False)
    phone = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="The patient's phone number (digits, spaces, brackets, dashes, optional leading +); empty removes it.",
    )


# --- Symptoms ------------------------------------------------------------------------------


class YesNoField(serializers.BooleanField):
    """A diary yes/no question: required, true or false (API.md "Symptoms"); the
    service refuses an entry that leaves one out, naming each."""

    def __init__(self, **kwargs):
        super().__init__(required=True, **kwargs)


class _SymptomEntryScores(serializers.Serializer):
    recorded_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Default now (left out or null); not in the future."
    )
    back_pain = serializers.IntegerField(min_value=0, max_value=10)
    headache = serializers.IntegerField(min_value=0, max_value=10)
    # A number (API.md), in range once read in °C; one of the two, not both.
    temperature_c = serializers.FloatField(
        required=False, allow_null=True, min_value=float(TEMPERATURE_MIN_C), max_value=float(TEMPERATURE_MAX_C)
    )
    temperature_f = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=float(celsius_to_fahrenheit(TEMPERATURE_MIN_C)),
        max_value=float(celsius_to_fahrenheit(TEMPERATURE_MAX_C)),
    )


# The scores, then one required yes/no per diary question (``patients.questions``, in
# the stored order), then the notes: the shape of ``POST /api/v1/symptoms/``.
SymptomEntryInputSerializer = type(
    "SymptomEntryInputSerializer",
    (_SymptomEntryScores,),
    {
        "__module__": __name__,
        **{name: YesNoField() for name in YES_NO_FIELDS},
        "notes": serializers.CharField(required=False, allow_blank=True, max_length=2000),
        "patient": serializers.IntegerField(
            required=False,
            min_value=1,
            help_text="A caregiver allowed to log symptoms: the patient's id (required of caregivers; "
            "a patient leaves it out or gives their own).",
        ),
    },
)


def entered_by_of(entry: SymptomEntry) -> dict:
    """``{"id", "role"}`` of who wrote the entry (API.md), and a caregiver's ``name``.
    An entry from before caregivers is the patient's own."""
    role = entry.entered_by_role or "patient"
    body: dict = {"id": entry.entered_by_id, "role": role}
    if role == "caregiver" and entry.entered_by_id is not None:
        body["name"] = entry.entered_by.get_full_name() or entry.entered_by.email
    return body


class SymptomEntrySerializer(serializers.ModelSerializer):
    temperature_c = serializers.SerializerMethodField()
    temperature_f = serializers.SerializerMethodField()
    entered_in_error = serializers.SerializerMethodField()
    entered_by = serializers.SerializerMethodField()

    class Meta:
        model = SymptomEntry
        fields = [
            "id",
            "patient",
            "recorded_at",
            "created_at",
            "back_pain",
            "headache",
            "temperature_c",
            "temperature_f",
            *SymptomEntry.YES_NO_FIELDS,
            "notes",
            "entered_in_error",
            "entered_in_error_at",
            "entered_by",
        ]
        read_only_fields = fields

    def get_entered_by(self, entry: SymptomEntry) -> dict:
        return entered_by_of(entry)

    def fever_limits(self, entry: SymptomEntry) -> list[Decimal]:
        """The patient's fever threshold, read once per response (a list is one patient's)."""
        if entry.temperature_c is None:
            return []
        limits = self.context.setdefault("fever_limits", {})
        if entry.patient_id not in limits:
            limits[entry.patient_id] = temperature_limits(entry.patient)
        return limits[entry.patient_id]

    def get_temperature_c(self, entry: SymptomEntry) -> float | None:
        return rounded(entry.temperature_c, self.fever_limits(entry))

    def get_temperature_f(self, entry: SymptomEntry) -> float | None:
        return rounded_fahrenheit(entry.temperature_c, self.fever_limits(entry))

    def get_entered_in_error(self, entry: SymptomEntry) -> bool:
        return entry.entered_in_error_at is not None


class RecommendationSerializer(serializers.Serializer):
    rule = serializers.CharField()
    severity = serializers.ChoiceField(choices=["info", "contact_provider", "urgent"])
    message = serializers.CharField()


class SymptomSubmissionSerializer(SymptomEntrySerializer):
    recommendations = RecommendationSerializer(many=True, read_only=True)
    alerts = serializers.ListField(child=serializers.IntegerField(), read_only=True)

    class Meta(SymptomEntrySerializer.Meta):
        fields = [*SymptomEntrySerializer.Meta.fields, "recommendations", "alerts"]
        read_only_fields = fields


class EnteredInErrorSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SpikeSerializer(serializers.Serializer):
    t = serializers.DateTimeField()
    field = serializers.ChoiceField(choices=["back_pain", "headache"])
    # "from" is a Python keyword: declared below.

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField()
        fields["to"] = serializers.IntegerField()
        return fields


class TrendSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    series = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField()),
        help_text='{"back_pain": [[t, v], ...], "headache": [...], "temperature_c": [...]}',
    )
    spikes = SpikeSerializer(many=True)
    thresholds = serializers.DictField(child=serializers.FloatField())


# --- Care team -----------------------------------------------------------------------------


class ClinicianSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    specialty = serializers.CharField()
    email = serializers.EmailField()


class CareTeamGrantSerializer(serializers.ModelSerializer):
    clinician = ClinicianSerializer(read_only=True)
    granted_by = serializers.SerializerMethodField()
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = CareTeamGrant
        fields = ["id", "clinician", "granted_at", "granted_by", "revoked_at", "active"]
        read_only_fields = fields

    def get_granted_by(self, grant: CareTeamGrant) -> str | None:
        return grant.granted_by.display_name if grant.granted_by_id else None


class GrantInputSerializer(serializers.Serializer):
    clinician = serializers.IntegerField(help_text="The clinician's user id")


# --- Medication log and pain plan ------------------------------------------------------------


class MedicationDoseSerializer(serializers.ModelSerializer):
    drug = serializers.CharField(source="drug.code", read_only=True)

    class Meta:
        model = MedicationDose
        fields = ["id", "medication_class", "drug", "dose_mg", "taken_at", "created_at"]
        read_only_fields = fields


class MedicationDoseInputSerializer(serializers.Serializer):
    medication_class = serializers.ChoiceField(choices=MedicationClass.choices)
    drug = serializers.CharField(
        required=False,
        help_text='The drug of the class: for an NSAID "ibuprofen" (the default) or "naproxen"; for acetaminophen '
        '"acetaminophen" (500 mg products or not sure, the default) or "acetaminophen_325"; caffeine "caffeine"',
    )
    dose_mg = serializers.IntegerField(
        min_value=1, help_text="A single dose larger than any product holds is refused as a typing error (400)"
    )
    taken_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Default now (left out or null)")


class MedicationLogSerializer(MedicationDoseSerializer):
    total_24h_mg = serializers.IntegerField(read_only=True)
    cap_mg = serializers.IntegerField(read_only=True)
    over_cap = serializers.BooleanField(read_only=True, help_text="At or above the cap")
    severity = serializers.ChoiceField(
        choices=["contact_provider", "urgent"], allow_null=True, read_only=True, help_text="The highest, or null"
    )
    message = serializers.CharField(read_only=True, allow_blank=True, help_text="What to do, most serious first")
    rules = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="Every finding's rule")
    alerts = serializers.ListField(child=serializers.IntegerField(), read_only=True, help_text="Alert ids raised")
    warning = serializers.CharField(read_only=True, allow_blank=True, help_text="The same as message (older clients)")

    class Meta(MedicationDoseSerializer.Meta):
        fields = [
            *MedicationDoseSerializer.Meta.fields,
            "total_24h_mg",
            "cap_mg",
            "over_cap",
            "severity",
            "message",
            "rules",
            "alerts",
            "warning",
        ]
        read_only_fields = fields


class DrugLimitSerializer(serializers.Serializer):
    drug = serializers.CharField()
    label = serializers.CharField()
    daily_cap_mg = serializers.IntegerField(help_text="For this patient (pregnancy and breastfeeding lower some caps)")
    never_above_mg = serializers.IntegerField(allow_null=True, help_text="The absolute maximum in 24 hours")


class PlanOptionSerializer(serializers.Serializer):
    medication_class = serializers.ChoiceField(choices=MedicationClass.choices)
    label = serializers.CharField()
    suitable = serializers.BooleanField()
    # A plain string in the schema: "status" enums of other apps would collide by name.
    status = serializers.CharField(
        help_text='"suitable", "approval_first" (only with the clinician\'s approval) or "excluded"'
    )
    reasons = serializers.ListField(child=serializers.CharField())
    daily_cap_mg = serializers.IntegerField(help_text="The cap of the class's default drug, for this patient")
    limits = DrugLimitSerializer(many=True)
    cap_text = serializers.CharField(allow_blank=True)
    use_note = serializers.CharField(allow_blank=True)
    citations = serializers.ListField(child=serializers.CharField())
    discuss_with_clinician = serializers.BooleanField()


class NonDrugSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    citation = serializers.CharField()


class PainPlanSerializer(serializers.Serializer):
    options = PlanOptionSerializer(many=True)
    non_drug = NonDrugSerializer(many=True)
    preferences = serializers.CharField(allow_blank=True)
    note = serializers.CharField()


class AccessLogEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    role = serializers.CharField()
    action = serializers.CharField()
    description = serializers.CharField()
    object = serializers.CharField()
