"""Top navigation entries of the patients app."""

from __future__ import annotations

from patients.caregivers import active_grants_of
from portal.accounts.models import Role


def nav_items(user) -> list[dict]:
    if user.role == Role.PATIENT:
        return [
            # A patient's bar (issue 17): Home, Diary, Medicines, Messages and "More";
            # the medication log one tap from anywhere.
            {"label": "Diary", "url_name": "patients:diary", "order": 10, "primary": True},
            {"label": "Medicines", "url_name": "patients:medications", "order": 20, "primary": True},
            {"label": "History", "url_name": "patients:history", "order": 11},
            {"label": "Care team", "url_name": "patients:care_team", "order": 40},
            {"label": "Pain plan", "url_name": "patients:pain_plan", "order": 45},
            {"label": "Caregivers", "url_name": "patients:caregivers", "order": 41},
        ]
    if user.role == Role.CAREGIVER:
        # The patient they chose (the switcher, "People I help"); the diary form says
        # so when the patient did not allow logging.
        items = [
            {"label": "History", "url_name": "patients:history", "order": 11, "primary": True},
            {"label": "Pain plan", "url_name": "patients:pain_plan", "order": 45},
            {"label": "People I help", "url_name": "patients:caregiving", "order": 50, "primary": True},
        ]
        if active_grants_of(user).filter(can_log_symptoms=True).exists():
            items.append({"label": "Diary", "url_name": "patients:diary", "order": 10, "primary": True})
        return items
    if user.role == Role.CLINICIAN:
        return [{"label": "Patients", "url_name": "patients:patient_list", "order": 10}]
    return []
