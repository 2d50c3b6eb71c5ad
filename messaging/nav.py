"""Top navigation: patients get Messages (unread badge), clinicians the Inbox (open count)."""

from __future__ import annotations

from messaging import selectors
from portal.accounts.models import Role
from portal.permissions import needs_mfa


def nav_items(user) -> list[dict]:
    if user.role == Role.PATIENT:
        return [
            {
                "label": "Messages",
                "url_name": "messaging:threads",
                "order": 30,
                "badge": selectors.unread_message_count(user) or None,
                "primary": True,
            }
        ]
    if user.role == Role.CLINICIAN:
        # No counts before MFA: the pages behind them are closed until then.
        open_count = None if needs_mfa(user) else selectors.inbox_counts(user)["open"] or None
        return [
            {"label": "Inbox", "url_name": "messaging:inbox", "order": 10, "badge": open_count},
            {"label": "Messages", "url_name": "messaging:threads", "order": 35},
        ]
    return []
