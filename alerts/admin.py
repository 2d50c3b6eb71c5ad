"""Admins edit the rules (thresholds, messages, severity, on/off) here; alerts and
scan state are read-only records."""

from __future__ import annotations

from django.contrib import admin

from alerts.models import Alert, AlertRule, PatientThreshold, ScanState


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "severity", "enabled", "thresholds", "adjustable_threshold", "citation_key"]
    list_filter = ["kind", "severity", "enabled"]
    list_editable = ["enabled"]
    search_fields = ["code", "description"]
    readonly_fields = ["code", "kind", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "kind", "order", "description", "summary", "severity", "enabled", "citation_key"]}),
        ("Thresholds", {"fields": ["thresholds", "adjustable_threshold", "threshold_min", "threshold_max"]}),
        ("Messages", {"fields": ["patient_message", "clinician_message"]}),
        (
            "Second form",
            {
                "fields": [
                    "variant_description",
                    "variant_severity",
                    "variant_patient_message",
                    "variant_clinician_message",
                ]
            },
        ),
        ("History", {"fields": ["updated_at"]}),
    ]

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
    fields = ["id", "rule", "severity", "status", "created_at", "acknowledged_at", "resolved_at", "escalated_at"]
    readonly_fields = fields

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
