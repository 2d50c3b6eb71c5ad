"""API shapes of the labs app (API.md "Labs"). Thin: the services validate what a
request sends; the request shapes here describe its fields for the schema
(tests/portal/test_schema_honesty.py keeps them in step), the others turn rows into JSON."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from labs.models import LabReport, LabReportKind, LabRequest, LabRequestPriority, LabRequestStatus, LabTest
from labs.presenters import as_api, culture_of, culture_words
from labs.services.reports import RELEASE_NOTE_MAX
from labs.services.requests import MAX_REASON
from portal.accounts.models import Role


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.email, "role": user.role}


@extend_schema_field(OpenApiTypes.ANY)
class JSONTextOrListField(serializers.Field):
    """``values`` arrives as JSON text in a multipart form, or as a list in a JSON body.
    Its content is checked by the service (labs.values)."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


class LabReportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF or plain text (UTF-8), at most 10 MB.")
    patient = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=LabReportKind.choices)
    collected_at = serializers.DateTimeField()
    values = JSONTextOrListField(
        required=False,
        help_text='JSON list of {"analyte": code, "value": number, "unit": text}; the unit is required and must '
        "be one the analyte knows (csf_glucose and serum_glucose mg/dL or mmol/L, csf_protein mg/dL or g/L, "
        "opening_pressure mmH2O or cmH2O, crp mg/L or mg/dL, esr mm/h, csf_wbc and csf_rbc cells/uL or x10^6/L), "
        'else 400 naming the item; optional "low"/"high" (the lab\'s own range, in the same unit, which wins), '
        '"fasting" (serum_glucose).',
    )
    answers_request = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="An approved lab request this report answers."
    )


class LabValueSerializer(serializers.Serializer):
    analyte = serializers.CharField()
    name = serializers.CharField()
    value = serializers.FloatField()
    shown = serializers.CharField(
        help_text="The value as the pages print it: never rounded across a limit (a ratio of 0.595 is '0.59')."
    )
    unit = serializers.CharField()
    low = serializers.FloatField(allow_null=True, help_text="Lower limit of the range used (the lab's when given).")
    high = serializers.FloatField(allow_null=True, help_text="Upper limit of the range used (the lab's when given).")
    flag = serializers.ChoiceField(choices=["low", "normal", "high"], allow_null=True, help_text="null: no range.")
    band = serializers.ChoiceField(choices=["borderline"], allow_null=True)
    explanation = serializers.CharField()
    range_text = serializers.CharField()
    range_source = serializers.ChoiceField(choices=["default", "lab", "age_sex"], allow_null=True)
    computed = serializers.BooleanField()
    si = serializers.DictField(
        allow_null=True,
        help_text='The value also shown in another unit: {"value", "unit"}, never rounded across a limit.',
    )
    entered_unit = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Clinicians: the unit the value was sent in (null: computed, or sent before units were required "
        "and read in `unit`).",
    )


class LabReportFileSerializer(serializers.Serializer):
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class BloodCultureEntrySerializer(serializers.Serializer):
    """One reading of a blood culture. The shape only: the service checks the order, the
    sequence (a preliminary, then the final) and the result, naming each field."""

    patient = serializers.IntegerField(min_value=1)
    lab_request = serializers.IntegerField(
        min_value=1, help_text="The order (or approved request) for blood cultures this result answers."
    )
    stage = serializers.ChoiceField(
        choices=["preliminary", "final"], help_text="preliminary (read at 48 hours), then final (at 5 days)."
    )
    no_growth = serializers.BooleanField(
        required=False, default=False, help_text="true: no growth at this stage (then send no organism)."
    )
    organism = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The organism grown, as the lab names it. One of organism or no_growth is required.",
    )
    collected_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the blood was drawn: required for the preliminary; a final takes its preliminary's.",
    )


class BloodCultureSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["preliminary", "final"])
    growth = serializers.ChoiceField(choices=["no_growth", "organism"])
    organism = serializers.CharField(allow_blank=True)
    text = serializers.CharField(help_text="How the result reads to the caller (plain language for a patient).")


class LabReportSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SerializerMethodField()
    released_by = serializers.SerializerMethodField()
    released = serializers.BooleanField(source="is_released")
    release_note = serializers.CharField(read_only=True, help_text="The releasing clinician's note to the patient.")
    entered_in_error = serializers.BooleanField(source="is_entered_in_error")
    file = serializers.SerializerMethodField()
    values = serializers.SerializerMethodField()
    culture = serializers.SerializerMethodField()

    class Meta:
        model = LabReport
        fields = [
            "id",
            "patient",
            "kind",
            "collected_at",
            "uploaded_at",
            "uploaded_by",
            "received_from",
            "released",
            "released_at",
            "released_by",
            "release_note",
            "entered_in_error",
            "entered_in_error_at",
            "entered_in_error_reason",
            "answers_request",
            "file",
            "values",
            "culture",
        ]

    def _for_clinician(self) -> bool:
        request = self.context.get("request")
        return bool(request and request.user.role == Role.CLINICIAN)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_uploaded_by(self, report) -> dict | None:
        """The clinician who uploaded it; null for a report a lab system sent (``received_from``)."""
        return person(report.uploaded_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_released_by(self, report) -> dict | None:
        return person(report.released_by)

    @extend_schema_field(LabReportFileSerializer(allow_null=True))
    def get_file(self, report) -> dict | None:
        """null for a result typed in without the lab's file (a blood culture)."""
        if not report.has_file:
            return None
        return {
            "content_type": report.content_type,
            "size": report.size,
            "url": f"/api/v1/lab-reports/{report.pk}/file/",
        }

    @extend_schema_field(LabValueSerializer(many=True))
    def get_values(self, report) -> list[dict]:
        for_clinician = self._for_clinician()
        return [as_api(value, for_clinician=for_clinician) for value in report.values.all()]

    @extend_schema_field(BloodCultureSerializer(allow_null=True))
    def get_culture(self, report) -> dict | None:
        """A blood culture's result (null for other reports)."""
        result = culture_of(report)
        if result is None:
            return None
        return {
            "stage": result.stage,
            "growth": result.growth,
            "organism": result.organism,
            "text": result.clinician_text if self._for_clinician() else culture_words(result).headline,
        }


class LabReportReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=RELEASE_NOTE_MAX,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional: shown to the patient above the results.",
    )


class LabReportEnteredInErrorSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class LabRequestCreateSerializer(serializers.Serializer):
    patient = serializers.IntegerField(
        required=False, min_value=1, help_text="Required for clinicians; a patient may omit it (themselves)."
    )
    tests = serializers.ListField(
        child=serializers.ChoiceField(choices=LabTest.choices), min_length=1, help_text="Each test at most once."
    )
    reason = serializers.CharField(max_length=MAX_REASON)
    alert = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The alert this request follows up."
    )
    priority = serializers.ChoiceField(
        choices=LabRequestPriority.choices,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=LabRequestPriority.ROUTINE,
    )


class LabRequestReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "decline"])
    note = serializers.CharField(
        max_length=MAX_REASON,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Required to decline; the patient reads it.",
    )


class LabRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()
    test_labels = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=LabRequestStatus.choices)
    reports = serializers.SerializerMethodField()
    source_alert = serializers.IntegerField(source="source_alert_id", allow_null=True)

    class Meta:
        model = LabRequest
        fields = [
            "id",
            "patient",
            "tests",
            "test_labels",
            "reason",
            "requested_by",
            "requested_at",
            "due_at",
            "status",
            "priority",
            "review_note",
            "reviewed_by",
            "reviewed_at",
            "reports",
            "source_alert",
        ]

    @extend_schema_field(PersonSerializer)
    def get_requested_by(self, lab_request) -> dict | None:
        return person(lab_request.requested_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_reviewed_by(self, lab_request) -> dict | None:
        return person(lab_request.reviewed_by)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_reports(self, lab_request) -> list[int]:
        """Reports that answer this request, as far as the reader may see them."""
        request = self.context.get("request")
        patient_view = request is not None and request.user.role == Role.PATIENT
        return [
            report.pk
            for report in lab_request.reports.all()
            if not patient_view or (report.is_released and not report.is_entered_in_error)
        ]


class LabRequestPrefillSerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    tests = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField(allow_blank=True)
    alert = serializers.IntegerField(allow_null=True)
