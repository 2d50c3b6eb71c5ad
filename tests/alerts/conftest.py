"""Alerts fixtures: a real local SMTP server, and the check that no email carries
health data.

Every email sent while an alerts test runs (Django's test outbox and the SMTP
server's inbox) is read after the test: no symptom word, no value, no patient name.
"""

from __future__ import annotations

import re
import socket
import threading

import pytest
from django.db.models.signals import post_save

SENT_EMAILS: list[dict] = []

SYMPTOM_WORDS = (
    "fever",
    "temperature",
    "headache",
    "back pain",
    "pain score",
    "numbness",
    "numb ",
    "weakness",
    "bladder",
    "bowel",
    "redness",
    "drainage",
    "swelling",
    "stiff",
    "confus",
    "drowsy",
    "vomit",
    "vision",
    "leg",
    "neurolog",
    "meningitis",
    "infection",
    "blood thinner",
    "acetaminophen",
    "ibuprofen",
    "caffeine",
    "dose",
    "medication",
    "csf",
    "wbc",
    "glucose",
    "protein",
)
# Values: temperatures, scores, units.
VALUE_PATTERNS = (r"\b\d{2,3}[.,]\d\b", r"°", r"\b\d+\s*/\s*10\b", r"\bmg\b", r"\bmmol\b")


def health_data_in(text: str, names: set[str]) -> list[str]:
    lowered = text.lower()
    found = [w for w in SYMPTOM_WORDS if w in lowered]
    found += [p for p in VALUE_PATTERNS if re.search(p, text)]
    found += [n for n in names if n and re.search(rf"\b{re.escape(n.lower())}\b", lowered)]
    return found


@pytest.fixture(autouse=True)
def _no_health_data_in_any_email(request):
    """Collect every email this test sends and fail the test if one carries health data."""
    names: set[str] = set()

    def remember_patient_names(sender, instance, **kwargs):
        if getattr(instance, "role", None) == "patient" or sender.__name__ == "Patient":
            user = getattr(instance, "user", instance)
            names.update({user.first_name, user.last_name})

    from patients.models import Patient
    from portal.accounts.models import User

    post_save.connect(remember_patient_names, sender=User, weak=False, dispatch_uid="alerts-phi-names-user")
    post_save.connect(remember_patient_names, sender=Patient, weak=False, dispatch_uid="alerts-phi-names-patient")
    servers: list[SMTPServer] = []
    request.node.smtp_servers = servers
    yield
    post_save.disconnect(sender=User, dispatch_uid="alerts-phi-names-user")
    post_save.disconnect(sender=Patient, dispatch_uid="alerts-phi-names-patient")
    from django.core import mail

    emails = [
        {"subject": m.subject, "text": f"{m.subject}\n{m.body}", "to": list(m.to)} for m in getattr(mail, "outbox", [])
    ]
    for server in servers:
        emails += [{"subject": "", "text": raw, "to": []} for raw in server.messages]
    for email in emails:
        email["test"] = request.node.nodeid
        problems = health_data_in(email["text"], names)
        assert not problems, f"health data in an email: {problems}"
    SENT_EMAILS.extend(emails)


class SMTPServer:
    """aiosmtpd on a free loopback port; ``stop()`` makes it refuse connections."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def notification_ids(self) -> list[str]:
        ids = []
        for raw in self.messages:
            match = re.search(r"^X-Aftercare-Notification: (\d+)", raw, re.MULTILINE)
            ids.append(match.group(1) if match else "?")
        return ids


@pytest.fixture
def smtp_server(request, settings):
    """A real SMTP server for this test; Django's email backend points at it."""
    server = SMTPServer()
    server.start()
    request.node.smtp_servers.append(server)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()
