"""Demo data: Pat writes to the care team about a headache; the neurologist replies."""

from __future__ import annotations

from django.db import transaction

from messaging import services
from messaging.models import Thread
from patients.models import Patient
from patients.selectors import is_on_care_team


@transaction.atomic
def seed(accounts: dict) -> None:
    """Idempotent: does nothing once Pat has a conversation."""
    patient = Patient.objects.filter(user=accounts["patient"]).first()
    if patient is None or Thread.objects.filter(patient=patient).exists():
        return
    thread = services.start_thread(
        author=patient.user,
        subject="Headache when I sit up",
        body=(
            "Hello, since yesterday afternoon I get a headache when I sit or stand up. "
            "It goes away when I lie down. Is this normal after the lumbar puncture?"
        ),
    )
    neurologist = accounts["neurologist"]
    if is_on_care_team(clinician=neurologist, patient=patient):
        services.post_message(
            author=neurologist,
            thread=thread,
            body=(
                "Thank you for letting us know. A headache that eases when lying flat is common after a lumbar "
                "puncture. Lying down when it comes on usually eases it; drink as you normally would, and keep "
                "logging it in your diary. If it is not better in 72 hours, tell us. If you get a fever, a stiff "
                "neck, repeated vomiting, weakness or numbness, log it in the diary at once: it tells you what to "
                "do, and for anything urgent call your emergency number."
            ),
            inbox_status="in_progress",
        )
