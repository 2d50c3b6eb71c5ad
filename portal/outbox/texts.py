"""Every email text the outbox sends, in one place.

Fixed sentences per ``Notification.kind`` and audience (patient, clinician, or an
address without an account: the clinic's on-call address): no health data, no patient
name, no values; only what happened in the most general words and a sign-in link built
from ``AFTERCARE_SITE_URL``. Apps queue a kind; they never write email text themselves.

An urgent email to a patient starts with the emergency instruction and a ``tel:`` link
(CLINICAL.md, severity levels); a contact_provider one offers the clinic's phone. The
numbers come from the clinic's settings when the email is sent (``{emergency_number}``,
``{clinic_phone}`` and their ``tel:`` forms).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from portal.clinic.selectors import Clinic, current_clinic
from portal.clinic.texts import URGENT_INSTRUCTION, with_clinic


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str
    # Said only when the clinic has a phone number: "call the clinic" with its tel: link.
    clinic_phone: str = ""


CALL_THE_CLINIC = "Call the clinic: {clinic_phone} ({clinic_phone_href})."
CALL_EMERGENCY = "Call {emergency_number} ({emergency_href})."

# kind -> audience ("patient" | "clinician" | "address" | "any") -> text
TEXTS: dict[str, dict[str, EmailText]] = {
    "alert": {
        "patient": EmailText(
            "New alert in Aftercare",
            "Contact your care team today. You have a new alert in Aftercare. Sign in to read it.",
            clinic_phone=CALL_THE_CLINIC,
        ),
        "any": EmailText("New alert in Aftercare", "You have a new alert in Aftercare. Sign in to read it."),
    },
    "alert_urgent": {
        "patient": EmailText(
            "Urgent: seek care now",
            f"{URGENT_INSTRUCTION} {CALL_EMERGENCY}\n\nYou have a new urgent alert in Aftercare. Sign in to read it.",
            clinic_phone=CALL_THE_CLINIC,
        ),
        "any": EmailText("Urgent alert in Aftercare", "You have a new urgent alert in Aftercare. Sign in to read it."),
    },
    # A caregiver who chose the patient's urgent-alert emails (patients.CaregiverGrant):
    # nobody named, nothing said of what happened beyond "urgent".
    "caregiver_alert_urgent": {
        "any": EmailText(
            "Urgent alert for someone you help",
            "Someone you help in Aftercare has a new urgent alert. Sign in to read it, and make sure they are "
            "getting help.",
        ),
    },
    "escalation": {
        "any": EmailText(
            "Urgent alert not yet acknowledged",
            "An urgent alert in Aftercare has not been acknowledged yet. Sign in to read it.",
        ),
    },
    # The on-call address (CLINICAL.md section 7): a patient without an active care team.
    "oncall_alert": {
        "any": EmailText(
            "New alert for the on-call team",
            "A patient without a care team has a new alert in Aftercare. It is in the triage pool's inbox. "
            "Sign in to read it.",
        ),
    },
    "oncall_alert_urgent": {
        "any": EmailText(
            "Urgent alert for the on-call team",
            "A patient without a care team has a new urgent alert in Aftercare. It is in the triage pool's inbox. "
            "Sign in to read it.",
        ),
    },
    "oncall_escalation": {
        "any": EmailText(
            "Urgent alert not yet acknowledged",
            "An urgent alert in Aftercare has not been acknowledged yet; the triage pool has it in its inbox now. "
            "Sign in to read it.",
        ),
    },
    "oncall_message": {
        "any": EmailText(
            "New message for the on-call team",
            "A patient without a care team wrote a message that may need attention soon. It is in the triage "
            "pool's inbox. Sign in to read it.",
        ),
    },
    # Every admin, when an alert reached no clinician and no on-call address.
    "routing_gap": {
        "any": EmailText(
            "An alert reached no clinician",
            "A new alert in Aftercare reached no clinician: the patient has no care team, the clinic's triage pool "
            "is empty and no on-call address is set. Put a clinician in the triage pool (Django admin, Users) and "
            "set the on-call address (Clinic settings) now. Sign in to Django admin.",
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


def render_email(*, kind: str, audience: str, link: str, clinic: Clinic | None = None) -> tuple[str, str]:
    """(subject, body) of one notification, the clinic's numbers filled in."""
    text = text_for(kind, audience=audience)
    clinic = clinic or current_clinic()
    body = with_clinic(text.body, clinic)
    if text.clinic_phone and clinic.phone:
        body = f"{body}\n\n{with_clinic(text.clinic_phone, clinic)}"
    subject = f"[Aftercare] {text.subject}"
    body = f"{body}\n\n{sign_in_link(link)}\n\nThis is an automatic message from Aftercare; replies are not read.\n"
    return subject, body
