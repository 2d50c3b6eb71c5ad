"""Forms of the lab pages. They only collect input; the services validate it
(the same services as the API), and their errors are put back on the form."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from labs.models import Analyte, CultureStage, LabReportKind, LabRequest, LabRequestPriority, LabRequestStatus, LabTest

FASTING_CHOICES = [("", "Not recorded"), ("yes", "Fasting"), ("no", "Not fasting")]
# How ``labs.values`` names a value in its messages.
ITEM_MESSAGE = re.compile(r"^Item \d+ \((?P<code>[a-z_]+)\): (?P<text>.+)$", re.DOTALL)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


@dataclass(frozen=True)
class AnalyteRow:
    """The inputs of one analyte on the upload form, for the template."""

    analyte: Analyte
    value: forms.BoundField
    unit: forms.BoundField
    low: forms.BoundField
    high: forms.BoundField
    fasting: forms.BoundField | None


class LabReportUploadForm(forms.Form):
    # Not required here: the service checks presence, size and type by content, with one message each.
    file = forms.FileField(
        label="Report file",
        required=False,
        help_text="PDF or plain text, at most 10 MB. It is encrypted before it is stored.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.txt,application/pdf,text/plain", "required": True}),
    )
    kind = forms.ChoiceField(choices=LabReportKind.choices, widget=forms.RadioSelect, initial=LabReportKind.CSF)
    collected_at = forms.DateTimeField(label="Collected at", widget=LocalDateTimeInput())
    answers_request = forms.ModelChoiceField(
        queryset=LabRequest.objects.none(),
        required=False,
        label="Answers lab request",
        empty_label="None",
    )

    def __init__(self, *args, patient, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        self.analytes = [analyte for analyte in Analyte.objects.prefetch_related("other_units") if not analyte.computed]
        self.fields["answers_request"].queryset = LabRequest.objects.filter(
            patient=patient, status__in=[LabRequestStatus.APPROVED, LabRequestStatus.ORDERED]
        ).order_by("-requested_at")
        self.fields["answers_request"].label_from_instance = lambda item: (
            f"#{item.pk}: {', '.join(item.test_labels)} (requested {item.requested_at:%Y-%m-%d})"
        )
        for analyte in self.analytes:
            self.fields[f"{analyte.code}__value"] = forms.DecimalField(
                label=analyte.name, required=False, min_value=0, max_digits=12, decimal_places=4
            )
            # Every value needs its unit (CLINICAL.md 4): with more than one, the clinician
            # picks it (nothing is preselected, so no value is read in a unit by default).
            units = list(dict.fromkeys([analyte.unit, *(other.unit for other in analyte.other_units.all())]))
            choices = [(unit, unit) for unit in units]
            self.fields[f"{analyte.code}__unit"] = forms.ChoiceField(
                label=f"Unit of {analyte.short_name}",
                choices=[("", "Choose…"), *choices] if len(units) > 1 else choices,
                required=False,
            )
            for side in ("low", "high"):
                self.fields[f"{analyte.code}__{side}"] = forms.DecimalField(
                    label=f"Lab's {side} limit", required=False, min_value=0, max_digits=12, decimal_places=4
                )
            if analyte.code == "serum_glucose":
                self.fields[f"{analyte.code}__fasting"] = forms.ChoiceField(
                    label="Fasting", choices=FASTING_CHOICES, required=False
                )

    def analyte_rows(self) -> list[AnalyteRow]:
        def bound(name: str):
            return self[name] if name in self.fields else None

        return [
            AnalyteRow(
                analyte=analyte,
                value=self[f"{analyte.code}__value"],
                unit=self[f"{analyte.code}__unit"],
                low=self[f"{analyte.code}__low"],
                high=self[f"{analyte.code}__high"],
                fasting=bound(f"{analyte.code}__fasting"),
            )
            for analyte in self.analytes
        ]

    def clean_collected_at(self):
        value = self.cleaned_data["collected_at"]
        # A datetime-local input has no zone: it is the clinician's own wall clock.
        if value is None:
            return value
        wall_clock = timezone.make_naive(value) if timezone.is_aware(value) else value
        return timezone.make_aware(wall_clock, zoneinfo.ZoneInfo(self.time_zone))

    def values_payload(self) -> list[dict]:
        """The entered values in the API's shape, for ``upload_lab_report``."""
        payload = []
        for analyte in self.analytes:
            value = self.cleaned_data.get(f"{analyte.code}__value")
            if value is None:
                continue
            item: dict = {"analyte": analyte.code, "value": float(value)}
            unit = self.cleaned_data.get(f"{analyte.code}__unit")
            if unit:
                item["unit"] = unit
            for side in ("low", "high"):
                limit = self.cleaned_data.get(f"{analyte.code}__{side}")
                if limit is not None:
                    item[side] = float(limit)
            fasting = self.cleaned_data.get(f"{analyte.code}__fasting")
            if fasting:
                item["fasting"] = fasting == "yes"
            payload.append(item)
        return payload

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service names each value ("Item 2 (csf_protein): the unit is missing; ...");
        its message goes next to that analyte's unit or value field."""
        for field, messages in exc.message_dict.items():
            for message in messages:
                named = ITEM_MESSAGE.match(message) if field == "values" else None
                if named and f"{named['code']}__value" in self.fields:
                    part = "unit" if "unit" in named["text"] else "value"
                    text = named["text"]
                    self.add_error(f"{named['code']}__{part}", text[:1].upper() + text[1:])
                else:
                    self.add_error(field if field in self.fields else None, message)


class LabRequestForm(forms.Form):
    tests = forms.MultipleChoiceField(
        choices=LabTest.choices, widget=forms.CheckboxSelectMultiple, label="Which tests?"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        max_length=1000,
        label="Why?",
        help_text="A sentence or two for the clinician who reviews the request.",
    )
    alert = forms.IntegerField(widget=forms.HiddenInput, required=False)
    priority = forms.ChoiceField(
        choices=LabRequestPriority.choices,
        initial=LabRequestPriority.ROUTINE,
        widget=forms.RadioSelect,
        label="Priority",
        required=False,
    )

    def __init__(self, *args, ordering: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ordering:
            # A clinician's order, in clinician words (issue 16): no review follows.
            self.fields["tests"].label = "Tests to order"
            self.fields["reason"].label = "Indication"
            self.fields["reason"].help_text = "The clinical question; the patient sees it with the order."
        else:
            del self.fields["priority"]

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class LabRequestReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("decline", "Decline")], widget=forms.RadioSelect, label="Decision"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        required=False,
        max_length=1000,
        label="Note to the patient",
        help_text="Required to decline. The patient reads it.",
    )

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why is this report withdrawn?")


class ReleaseForm(forms.Form):
    """Releasing a report to the patient: an optional note shown above their results
    (the service checks it: labs.services.check_release_note)."""

    note = forms.CharField(
        label="A note to the patient (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown above the results, with your name. For example what a value outside its range means "
        "for them and what happens next. Up to 1000 characters.",
    )


class BloodCultureForm(forms.Form):
    """One reading of a blood culture (labs.services.enter_blood_culture checks it all)."""

    stage = forms.ChoiceField(choices=CultureStage.choices, widget=forms.RadioSelect, label="Which result is this?")
    result = forms.ChoiceField(
        choices=[("no_growth", "No growth"), ("organism", "Growth: an organism was grown")],
        widget=forms.RadioSelect,
        label="Result",
    )
    organism = forms.CharField(
        max_length=200,
        required=False,
        label="Organism",
        help_text="As the lab names it, e.g. Staphylococcus aureus. Leave empty for no growth.",
    )
    collected_at = forms.DateTimeField(
        required=False,
        label="Blood drawn at",
        help_text="In your time zone. For the final result, leave empty: it is the preliminary's specimen.",
    )

    def __init__(self, *args, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collected_at"].widget = LocalDateTimeInput()
        self.time_zone = time_zone

    def service_arguments(self) -> dict:
        collected_at = self.cleaned_data.get("collected_at")
        if collected_at is not None:
            # A datetime-local input has no zone: it is the clinician's own wall clock.
            wall_clock = timezone.make_naive(collected_at) if timezone.is_aware(collected_at) else collected_at
            collected_at = timezone.make_aware(wall_clock, zoneinfo.ZoneInfo(self.time_zone))
        return {
            "stage": self.cleaned_data["stage"],
            "no_growth": self.cleaned_data["result"] == "no_growth",
            # Sent as typed: an organism with "no growth" is refused by the service, by name.
            "organism": self.cleaned_data.get("organism", ""),
            "collected_at": collected_at,
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, messages in exc.message_dict.items():
            target = "result" if field == "no_growth" else field
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
