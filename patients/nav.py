"""Top navigation entries of the patients app."""

from __future__ import annotations

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
        ]
    if user.role == Role.CLINICIAN:
        return [{"label": "Patients", "url_name": "patients:patient_list", "order": 10}]
    return []
