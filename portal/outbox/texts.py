"""Every email text the outbox sends, in one place.

Fixed sentences per ``Notification.kind`` and audience (patient or care team): no
health data, no patient name, no values; only what happened in the most general
words and a sign-in link built from ``AFTERCARE_SITE_URL``. Apps queue a kind; they
never write email text themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

URGENT_PATIENT = (
    "Seek urgent care now (call your emergency number if you cannot reach us). Your care team has been alerted."
)


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


# kind -> audience ("patient" | "clinician" | "any") -> text
TEXTS: dict[str, dict[str, EmailText]] = {
    "alert": {
        "any": EmailText("New alert in Aftercare", "You have a new alert in Aftercare. Sign in to read it."),
    },
    "alert_urgent": {
        "patient": EmailText(
            "Urgent: seek care now",
            f"You have a new urgent alert in Aftercare. {URGENT_PATIENT} Sign in to read the alert.",
        ),
        "clinician": EmailText(
            "Urgent alert in Aftercare", "You have a new urgent alert in Aftercare. Sign in to read it."
        ),
    },
    "escalation": {
        "any": EmailText(
            "Urgent alert not yet acknowledged",
            "An urgent alert in Aftercare has not been acknowledged yet. Sign in to read it.",
        ),
    },
    "message": {
        "any": EmailText("New message in Aftercare", "You have a new message in Aftercare. Sign in to read it."),
    },
    "lab_released": {
        "any": EmailText("New result in Aftercare", "A new result is ready in Aftercare. Sign in to read it."),
    },
    "reminder": {
        "any": EmailText(
            "Reminder from Aftercare",
            "This is a reminder to fill in your Aftercare diary today. Sign in to add an entry.",
        ),
    },
}
GENERIC = EmailText("Update in Aftercare", "You have a new update in Aftercare. Sign in to read it.")

KINDS = tuple(TEXTS)


def text_for(kind: str, *, audience: str) -> EmailText:
    by_audience = TEXTS.get(kind, {})
    return by_audience.get(audience) or by_audience.get("any") or GENERIC


def sign_in_link(path: str) -> str:
    """An absolute link to a portal page (a path that carries no health data)."""
    path = path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{settings.AFTERCARE_SITE_URL}{path}"


def render_email(*, kind: str, audience: str, link: str) -> tuple[str, str]:
    """(subject, body) of one notification."""
    text = text_for(kind, audience=audience)
    subject = f"[Aftercare] {text.subject}"
    body = (
        f"{text.body}\n\n{sign_in_link(link)}\n\nThis is an automatic message from Aftercare; replies are not read.\n"
    )
    return subject, body
