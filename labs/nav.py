from __future__ import annotations

from portal.accounts.models import Role


def nav_items(user) -> list[dict]:
    if user.role in (Role.PATIENT, Role.CAREGIVER):
        return [{"label": "Lab results", "url_name": "labs:index", "order": 40}]
    if user.role == Role.CLINICIAN:
        from labs.selectors import pending_lab_requests_for

        pending = pending_lab_requests_for(user).count()
        return [{"label": "Labs", "url_name": "labs:index", "order": 40, "badge": pending or None}]
    return []
