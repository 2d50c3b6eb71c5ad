"""Admins edit the rules (thresholds, messages, severity, on/off) here; alerts and
scan state are read-only records.

A rule's thresholds are one field per parameter of its schema (``alerts.parameters``:
name, unit, bounds), required and checked before anything is saved; the words may
name a parameter (``{after_day}``) and the clinic's numbers, and nothing else. What
the rule does, in words, is shown from the values, never typed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from alerts.models import Alert, AlertRule, PatientThreshold, ScanState
from alerts.parameters import InvalidThresholds, Parameter, check_thresholds, plain, schema_of, unknown_placeholders
from alerts.raising import firing_codes
from portal.clinic.texts import CLINIC_PLACEHOLDERS

WORDED_FIELDS = ("patient_message", "clinician_message", "variant_patient_message", "variant_clinician_message")


def parameter_field(parameter: Parameter, initial) -> forms.Field:
    label = parameter.field_label
    bounds = f"{parameter.bounds_text[:1].upper()}{parameter.bounds_text[1:]}."
    if parameter.places == 0:
        field: forms.Field = forms.IntegerField(
            label=label, min_value=int(parameter.minimum), max_value=int(parameter.maximum), help_text=bounds
        )
    else:
        field = forms.DecimalField(
            label=label,
            min_value=parameter.minimum,
            max_value=parameter.maximum,
            max_digits=6,
            decimal_places=parameter.places,
            help_text=bounds,
        )
    field.required = True
    field.initial = initial
    return field


def json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class AlertRuleForm(forms.ModelForm):
    """The rule's own fields, plus one required field per parameter of its schema."""

    class Meta:
        model = AlertRule
        fields = [
            "order",
            "summary",
            "severity",
            "enabled",
            "citation_key",
            "adjustable_threshold",
            "threshold_min",
            "threshold_max",
            *WORDED_FIELDS,
            "variant_severity",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema_of(self.instance.code)
        in_force = self.instance.in_force()
        for parameter in self.schema.parameters:
            initial = in_force.values.get(parameter.name)
            self.fields[parameter.name] = parameter_field(parameter, initial)
        self.fields["adjustable_threshold"] = forms.ChoiceField(
            label="Adjustable per patient",
            required=False,
            choices=[("", "None")] + [(p.name, p.field_label) for p in self.schema.parameters],
            help_text="The one parameter a clinician may set for a single patient, between the two values below.",
        )

    def clean(self):
        data = super().clean()
        values = {name: data[name] for name in self.schema.names if data.get(name) is not None}
        if len(values) == len(self.schema.names):
            try:
                data["thresholds"] = check_thresholds(self.instance.code, values)
            except InvalidThresholds as invalid:
                for name, why in invalid.problems.items():
                    self.add_error(name if name in self.fields else None, f"{name.replace('_', ' ')} {why}.")
        self._clean_adjustable(data)
        for name in WORDED_FIELDS:
            unknown = unknown_placeholders(
                data.get(name) or "", self.instance.code, kind=self.instance.kind, clinic=CLINIC_PLACEHOLDERS
            )
            if unknown:
                known = ", ".join(f"{{{n}}}" for n in (*self.schema.names, "temperature", *CLINIC_PLACEHOLDERS))
                self.add_error(name, f"Unknown placeholder: {', '.join(unknown)}. Known here: {known}.")
        return data

    def _clean_adjustable(self, data: dict) -> None:
        key = data.get("adjustable_threshold") or ""
        if not key:
            data["threshold_min"] = data["threshold_max"] = None
            return
        parameter = self.schema.parameter(key)
        low, high = data.get("threshold_min"), data.get("threshold_max")
        for name, value in (("threshold_min", low), ("threshold_max", high)):
            if value is None:
                if name not in self.errors:
                    self.add_error(name, "Give the per-patient limit of the adjustable parameter.")
            elif parameter is not None and not parameter.minimum <= value <= parameter.maximum:
                self.add_error(name, f"Keep it {parameter.bounds_text}.")
        if low is not None and high is not None and low > high:
            self.add_error("threshold_max", "The upper limit may not be below the lower one.")

    def save(self, commit=True):
        rule = super().save(commit=False)
        thresholds = {name: json_number(value) for name, value in self.cleaned_data["thresholds"].items()}
        # Valid values only reach this point: they are also the fallback from now on.
        rule.thresholds = rule.last_valid_thresholds = thresholds
        if commit:
            rule.save()
        return rule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = ["code", "kind", "severity", "enabled", "values_in_force", "adjustable_threshold", "citation_key"]
    list_filter = ["kind", "severity", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["code", "summary"]
    readonly_fields = ["code", "kind", "description", "updated_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The parameters' fields are made per rule by the form: only the model's are named here.
        kwargs["fields"] = AlertRuleForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        parameters = list(schema_of(obj.code).names) if obj is not None else []
        return [
            (None, {"fields": ["code", "kind", "order", "summary", "severity", "enabled", "citation_key"]}),
            (
                "Thresholds",
                {
                    "fields": [*parameters, "adjustable_threshold", "threshold_min", "threshold_max", "description"],
                    "description": "What the rule does, in words, follows the values once saved.",
                },
            ),
            ("Messages", {"fields": ["patient_message", "clinician_message"]}),
            (
                "Second form",
                {"fields": ["variant_severity", "variant_patient_message", "variant_clinician_message"]},
            ),
            ("History", {"fields": ["updated_at"]}),
        ]

    @admin.display(description="thresholds in force")
    def values_in_force(self, rule: AlertRule) -> str:
        in_force = rule.in_force()
        shown = ", ".join(f"{name} {plain(value)}" for name, value in in_force.values.items()) or "none"
        if not in_force.problems:
            return shown
        return f"NOT VALID: using {'the last valid values' if in_force.usable else 'nothing'} ({shown})"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule = self.get_object(request, object_id)
        if rule is not None and request.method == "GET":
            in_force = rule.in_force()
            if in_force.problems:
                messages.error(
                    request,
                    "The saved thresholds of this rule are not valid ("
                    + "; ".join(f"{name} {why}" for name, why in sorted(in_force.problems.items()))
                    + "). The form shows the values the rules use now; save it to repair the rule.",
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def has_add_permission(self, request):
        # The engine knows the shape of each seeded rule; a new code would do nothing.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatientThreshold)
class PatientThresholdAdmin(admin.ModelAdmin):
    """Which rules clinicians adjust, and to what: never for which patient."""

    list_display = ["rule", "value", "set_by", "set_at"]
    list_select_related = ["rule", "set_by"]
    fields = ["rule", "value", "set_by", "set_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Status and timing only: no patient (nor the dedup key, which names one) and no
    messages, in the list or on an alert's page."""

    list_display = ["id", "rule", "severity", "status", "created_at", "acknowledged_at", "resolved_at", "escalated_at"]
    list_filter = ["status", "severity", "rule"]
    list_select_related = ["rule"]
    fields = [
        "id",
        "rule",
        "fired_rules",
        "severity",
        "status",
        "created_at",
        "acknowledged_at",
        "resolved_at",
        "escalated_at",
    ]
    readonly_fields = fields

    @admin.display(description="rules that fired")
    def fired_rules(self, alert: Alert) -> str:
        return format_html_join(", ", "{}", ((code,) for code in firing_codes(alert)))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScanState)
class ScanStateAdmin(admin.ModelAdmin):
    list_display = ["name", "high_water_id", "last_run_at", "last_run_entries", "last_run_alerts"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False
