"""Caregiver pages: the patient's list of caregivers (invite, change, revoke), and the
caregiver's choice of whose record they look at (the switcher).

A caregiver sees the patient's pages (diary when allowed, history with the trend,
pain plan) with the patient chosen: the choice is kept in the session
(``CHOSEN_KEY``, an id only) and checked against an active grant on every request
(``patients.views.patient_page``), so a revoked caregiver's next page is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients import caregivers
from patients.presenters import tz_of
from patients.selectors import own_patient
from patients.services import caregivers as services
from portal.accounts.models import Role
from portal.audit.services import audit_read
from portal.pages import role_required

CHOSEN_KEY = "caregiving_patient"


def chosen_patient_id(request) -> int | None:
    value = request.session.get(CHOSEN_KEY)
    return value if isinstance(value, int) else None


def _render(request, template: str, context: dict):
    with timezone.override(tz_of(request.user)):
        return render(request, template, context)


def page_patient(request, *, may: str, audit_action: str):
    """The patient a caregiver-enabled page shows: None for a patient's own record
    (nothing chosen), else the followed patient (404 once the grant is revoked; 403
    when the page needs a permission the patient did not give). A caregiver who
    follows one person needs no choice; with several, ``"choose"``: the switcher."""
    user = request.user
    chosen = chosen_patient_id(request)
    if user.role == Role.PATIENT and chosen is None:
        return None
    if chosen is None:
        grants = list(caregivers.active_grants_of(user).values_list("patient_id", flat=True)[:2])
        if len(grants) != 1:
            if grants:
                return "choose"
            raise Http404
        chosen = request.session[CHOSEN_KEY] = grants[0]
    grant = caregivers.followed_grant(user, chosen)
    if grant is None:
        raise Http404
    if may and not getattr(grant, caregivers.PERMISSIONS[may]):
        raise PermissionDenied(f"{grant.patient.user.first_name or 'This patient'} has not allowed you to do this.")
    patient = grant.patient
    audit_read(user=user, patient_id=patient.pk, obj=patient, request=request, action=audit_action)
    request.caregiving_grant = grant
    return patient


# --- The patient's side ---------------------------------------------------------------------


class InviteCaregiverForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Their email address", help_text="They get a link to choose their own password.")
    can_log_symptoms = forms.BooleanField(label="May log symptoms for me", required=False)
    can_message = forms.BooleanField(
        label="May message my care team for me (not available to caregivers yet)", required=False
    )


class CaregiverPermissionsForm(forms.Form):
    can_log_symptoms = forms.BooleanField(label="May log symptoms for me", required=False)
    can_message = forms.BooleanField(
        label="May message my care team for me (not available to caregivers yet)", required=False
    )


@role_required(Role.PATIENT)
def caregivers_page(request):
    patient = own_patient(request.user)
    form = InviteCaregiverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.invite_caregiver(patient=patient, data=form.cleaned_data, invited_by=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            name = grant.caregiver.get_full_name() or grant.caregiver.email
            messages.success(request, f"{name} is now your caregiver. We emailed them a link to sign in.")
            return redirect("patients:caregivers")
    grants = [
        {"grant": grant, "form": CaregiverPermissionsForm(initial=_flags(grant), prefix=f"g{grant.pk}")}
        for grant in caregivers.caregiver_grants(patient)
    ]
    return _render(request, "patients/caregivers.html", {"form": form, "grants": grants})


def _flags(grant) -> dict[str, bool]:
    return {"can_log_symptoms": grant.can_log_symptoms, "can_message": grant.can_message}


@role_required(Role.PATIENT)
@require_POST
def caregiver_change(request, grant_id: int):
    grant = caregivers.caregiver_grant_for_patient(own_patient(request.user), grant_id)
    form = CaregiverPermissionsForm(request.POST, prefix=f"g{grant.pk}")
    form.is_valid()  # two checkboxes: always valid
    services.change_caregiver(grant=grant, data=form.cleaned_data, changed_by=request.user)
    name = grant.caregiver.get_full_name() or grant.caregiver.email
    messages.success(request, f"Saved what {name} may do.")
    return redirect("patients:caregivers")


@role_required(Role.PATIENT)
def caregiver_revoke(request, grant_id: int):
    """Asks first (GET: a page naming the caregiver and what ends); POST revokes."""
    grant = caregivers.caregiver_grant_for_patient(own_patient(request.user), grant_id)
    name = grant.caregiver.get_full_name() or grant.caregiver.email
    if request.method == "POST":
        services.revoke_caregiver(grant=grant, revoked_by=request.user)
        messages.success(request, f"{name} no longer has access to your record.")
        return redirect("patients:caregivers")
    return _render(request, "patients/caregiver_revoke.html", {"grant": grant, "name": name})


# --- The caregiver's side ---------------------------------------------------------------------


@role_required(Role.CAREGIVER, Role.PATIENT)
def caregiving(request):
    """Whose record to look at: the people one follows (and one's own diary for a
    patient). POST ``patient`` chooses (empty: back to one's own)."""
    grants = list(caregivers.active_grants_of(request.user).select_related("patient__user"))
    if request.method == "POST":
        wanted = request.POST.get("patient", "")
        chosen = next((g for g in grants if str(g.patient_id) == wanted), None)
        if chosen is not None:
            request.session[CHOSEN_KEY] = chosen.patient_id
            return redirect("patients:history")
        request.session.pop(CHOSEN_KEY, None)
        return redirect("dashboard")
    grants.sort(key=lambda g: (g.patient.user.first_name, g.patient.user.last_name, g.patient_id))
    context = {"grants": grants, "chosen": chosen_patient_id(request), "is_patient": request.user.is_patient}
    return _render(request, "patients/caregiving.html", context)


@role_required(Role.CAREGIVER, Role.PATIENT)
@require_POST
def caregiving_emails(request, patient_id: int):
    """The caregiver's own choice of the patient's urgent-alert emails."""
    grant = caregivers.followed_grant(request.user, patient_id)
    if grant is None:
        raise Http404
    wanted = request.POST.get("urgent_alert_emails") == "on"
    services.set_urgent_alert_emails(grant=grant, wanted=wanted)
    messages.success(
        request,
        "You will get an email when an urgent alert is raised." if wanted else "You will not get urgent-alert emails.",
    )
    return redirect("patients:caregiving")
