"""The patients app's part of the account settings page: a patient's own phone number."""

from __future__ import annotations

from django.template.loader import render_to_string

from patients import selectors
from patients.forms import PhoneForm
from portal.accounts.models import Role


def panels(request) -> list[str]:
    if request.user.role != Role.PATIENT:
        return []
    patient = selectors.own_patient(request.user)
    form = PhoneForm(initial={"phone": patient.phone})
    return [render_to_string("patients/_settings_phone.html", {"form": form}, request=request)]
