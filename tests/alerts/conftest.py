"""Alerts fixtures: a real local SMTP server, and the check that no email carries
health data.

Every email sent while an alerts test runs (Django's test outbox and the SMTP
server's inbox) is read after the test: no symptom word, no value, no patient name.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db.models.signals import post_save

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


class EmailCheck:
    """One test's emails and what they are checked against: the names of the patients
    saved while the test ran, and the SMTP servers it started (``smtp_server``)."""

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.servers: list[SMTPServer] = []

    def remember_patient_names(self, sender, instance, **kwargs) -> None:
        if getattr(instance, "role", None) == "patient" or sender.__name__ == "Patient":
            user = getattr(instance, "user", instance)
            self.names.update({user.first_name, user.last_name})

    def emails(self) -> list[str]:
        """Every email sent so far: Django's test outbox (subject, body and any HTML
        alternative) and what each SMTP server received, raw."""
        from django.core import mail

        texts = []
        for message in getattr(mail, "outbox", []):
            parts = [message.subject, message.body]
            parts += [str(content) for content, _ in getattr(message, "alternatives", [])]
            texts.append("\n".join(parts))
        for server in self.servers:
            texts += server.messages
        return texts

    def problems(self) -> list[str]:
        """What each email sent so far gives away (the words, patterns and names found)."""
        return [found for text in self.emails() for found in health_data_in(text, self.names)]

    def check(self) -> None:
        problems = self.problems()
        assert not problems, f"health data in an email: {problems}"


@contextmanager
def emails_checked() -> Iterator[EmailCheck]:
    """Names every patient saved in the block; on leaving it, fails (AssertionError)
    if an email sent so far carries health data."""
    from patients.models import Patient
    from portal.accounts.models import User

    check = EmailCheck()
    uids = {sender: f"alerts-phi-names-{sender.__name__}-{id(check)}" for sender in (User, Patient)}
    for sender, uid in uids.items():
        post_save.connect(check.remember_patient_names, sender=sender, weak=False, dispatch_uid=uid)
    try:
        yield check
    finally:
        for sender, uid in uids.items():
            post_save.disconnect(sender=sender, dispatch_uid=uid)
    check.check()


@pytest.fixture(autouse=True)
def email_check():
    """Every email an alerts test sends is read after it: the test fails if one
    carries health data (tests/alerts/test_no_health_data_in_emails.py proves that
    ``emails_checked`` catches each kind of leak, in each outbox)."""
    with emails_checked() as check:
        yield check


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
def smtp_server(email_check, settings):
    """A real SMTP server for this test; Django's email backend points at it."""
    server = SMTPServer()
    server.start()
    email_check.servers.append(server)
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
