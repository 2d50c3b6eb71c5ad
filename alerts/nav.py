from __future__ import annotations

from alerts.models import AlertStatus
from alerts.selectors import alerts_visible_to


def nav_items(user) -> list[dict]:
    if user.role == "patient":
        return [{"label": "My alerts", "url_name": "alerts:list", "order": 40}]
    if user.role == "clinician":
        # No health data in the count; the badge says how many need a look.
        open_count = alerts_visible_to(user).filter(status=AlertStatus.OPEN).count()
        return [{"label": "Alerts", "url_name": "alerts:list", "order": 25, "badge": open_count or None}]
    return []
