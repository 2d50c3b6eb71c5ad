"""The clinic's settings in Django admin: one row, never deleted, opening hours inline."""

from __future__ import annotations

from django.contrib import admin

from portal.audit.services import record_audit
from portal.clinic.models import ClinicSettings, OpeningHours


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    max_num = 7


@admin.register(ClinicSettings)
class ClinicSettingsAdmin(admin.ModelAdmin):
    inlines = [OpeningHoursInline]
    fieldsets = [
        (None, {"fields": ["name", "phone", "emergency_number", "oncall_email"]}),
        (
            "Opening hours and response times",
            {"fields": ["time_zone", "message_response_hours", "red_flag_response_hours", "closed_days"]},
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return not ClinicSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        record_audit(actor=request.user, action="clinic_settings.change", obj=obj)
