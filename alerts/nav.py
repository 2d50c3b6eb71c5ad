from __future__ import annotations

from messaging.selectors import inbox_counts
from portal.permissions import needs_mfa


def nav_items(user) -> list[dict]:
    if user.role == "patient":
        return [{"label": "My alerts", "url_name": "alerts:list", "order": 40}]
    if user.role == "caregiver":
        return [{"label": "Alerts", "url_name": "alerts:list", "order": 40}]
    if user.role == "clinician":
        # No health data in the count; the badge says how many patients' alert episodes
        # need a look: the inbox's open alert items, so the Alerts and Inbox badges count
        # the same thing (one query for both, kept on the user for the request).
        open_count = None if needs_mfa(user) else inbox_counts(user)["alerts"]
        return [{"label": "Alerts", "url_name": "alerts:list", "order": 25, "badge": open_count or None}]
    return []
