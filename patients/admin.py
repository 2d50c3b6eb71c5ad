"""Django admin for the patients app.

Admins edit the clinical content (pain plan, caps, non-drug advice, the diary's
thresholds), each row with its citation, and may assign a clinician to a
patient's care team (the patient sees it and can revoke it). They never see a
diary, a health factor or a dose: no health data is registered here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from patients import services
from patients.models import (
    CaregiverGrant,
    CareTeamGrant,
    Drug,
    MedicationPolicy,
    NonDrugOption,
    PainPlanCondition,
    Patient,
)
from patients.services import caregivers as caregiver_services
from portal.accounts.models import User


class PainPlanConditionInline(admin.TabularInline):
    model = PainPlanCondition
    extra = 0
    fields = ["factor", "at_least", "effect", "reason", "citation"]


@admin.register(MedicationPolicy)
class MedicationPolicyAdmin(admin.ModelAdmin):
    list_display = ["label", "medication_class", "citation"]
    inlines = [PainPlanConditionInline]
    ordering = ["order"]


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    """Each drug's label limits. The code and the ingredient are what the log and
    the API name, so they are fixed once seeded."""

    list_display = [
        "label",
        "medication_class",
        "daily_cap_mg",
        "pregnancy_cap_mg",
        "breastfeeding_cap_mg",
        "never_above_mg",
        "largest_dose_mg",
        "citation",
    ]
    ordering = ["order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "medication_class", "ingredient"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # doses point at their drug (PROTECT); switch nothing off by deleting


@admin.register(NonDrugOption)
class NonDrugOptionAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "hidden_when", "citation", "order"]
    ordering = ["order"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Names only, to find a patient when assigning a clinician: no health data."""

    list_display = ["id", "name", "email"]
    search_fields = ["user__first_name", "user__last_name", "user__email"]
    fields = ["name", "email"]
    readonly_fields = ["name", "email"]
    list_select_related = ["user"]

    @admin.display(description="email")
    def email(self, patient: Patient) -> str:
        return patient.user.email

    def has_add_permission(self, request):
        return False  # clinicians enrol patients

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class GrantForm(forms.ModelForm):
    class Meta:
        model = CareTeamGrant
        fields = ["patient", "clinician"]

    def clean(self):
        cleaned = super().clean()
        patient, clinician = cleaned.get("patient"), cleaned.get("clinician")
        if clinician is not None and (clinician.role != "clinician" or not clinician.is_active):
            self.add_error("clinician", "Choose an active clinician.")
        elif patient and CareTeamGrant.objects.filter(patient=patient, clinician=clinician, revoked_at=None).exists():
            self.add_error("clinician", "This clinician is already on the patient's care team.")
        return cleaned


@admin.register(CareTeamGrant)
class CareTeamGrantAdmin(admin.ModelAdmin):
    """Assign a clinician (through the same service as the patient's page, so it is
    audited), or revoke a grant. Grants are never edited or deleted."""

    form = GrantForm
    list_display = ["id", "patient", "clinician", "granted_at", "granted_by", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["patient__user__last_name", "patient__user__email", "clinician__last_name", "clinician__email"]
    autocomplete_fields = ["patient"]
    list_select_related = ["patient__user", "clinician", "granted_by"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["patient", "clinician", "granted_at", "granted_by", "revoked_at", "revoked_by"] if obj else []

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ["patient", "clinician"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clinician":
            kwargs["queryset"] = User.objects.clinicians()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        grant = services.grant_care_team(patient=obj.patient, clinician=obj.clinician, granted_by=request.user)
        obj.pk, obj.granted_at, obj.granted_by = grant.pk, grant.granted_at, grant.granted_by

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected grants (access ends at once)")
    def revoke(self, request, queryset):
        grants = list(queryset.filter(revoked_at=None))
        for grant in grants:
            services.revoke_care_team(grant=grant, revoked_by=request.user)
        self.message_user(request, f"{len(grants)} grant(s) revoked.", messages.SUCCESS)


@admin.register(CaregiverGrant)
class CaregiverGrantAdmin(admin.ModelAdmin):
    """Caregivers with the patients they follow (the patient invites them; an admin
    only revokes a grant, or deactivates the caregiver's account under Users as any
    account). Never edited or deleted here; no health data."""

    list_display = ["id", "caregiver", "patient", "can_log_symptoms", "can_message", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "can_log_symptoms", "can_message"]
    search_fields = ["caregiver__last_name", "caregiver__email", "patient__user__last_name", "patient__user__email"]
    list_select_related = ["patient__user", "caregiver"]
    readonly_fields = ["patient", "caregiver", "can_log_symptoms", "can_message", "urgent_alert_emails", "created_at"]
    fields = [*readonly_fields, "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "revoked_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected caregivers' access (it ends at once)")
    def revoke(self, request, queryset):
        grants = list(queryset.filter(revoked_at=None))
        for grant in grants:
            caregiver_services.revoke_caregiver(grant=grant, revoked_by=request.user)
        self.message_user(request, f"{len(grants)} caregiver grant(s) revoked.", messages.SUCCESS)
