"""Alerts fixtures, and the suite-wide check that no email carries health data.

Every email the alerts tests send, to Django's test outbox or to the real local SMTP
server, is collected here; ``test_zz_no_health_data_in_emails`` reads them all.
"""

from __future__ import annotations

import pytest

SENT_EMAILS: list[dict] = []


@pytest.fixture(autouse=True)
def _collect_sent_emails(request):
    """After each test, keep what it sent (locmem outbox) for the final PHI check."""
    yield
    from django.core import mail

    for message in getattr(mail, "outbox", []) or []:
        SENT_EMAILS.append(
            {"subject": message.subject, "body": message.body, "to": list(message.to), "test": request.node.nodeid}
        )
