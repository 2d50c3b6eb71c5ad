"""Every urgent rule's words start with the emergency instruction (CLINICAL.md, severity
levels, 2026-12-05), never conditional on failing to reach the clinic, and no longer say
"Your care team has been alerted" unconditionally: the page says who was alerted
(section 7). The rows 0002 seeded (and any an admin wrote since) are rewritten here;
a dose above the absolute maximum keeps its Poison Control instruction (section 5).
"""

from django.db import migrations

URGENT_INSTRUCTION = (
    "This needs medical attention now. Call {emergency_number} or go to the nearest emergency department."
)
# 0002's sentence, appended to every urgent text.
LEGACY = "Seek urgent care now (call your emergency number if you cannot reach us). Your care team has been alerted."
CALL_FIRST = ("This needs medical attention now.", "Call Poison Control")


def with_instruction(text: str) -> str:
    text = " ".join(text.replace(LEGACY, "").split())
    if text.startswith(CALL_FIRST):
        return text
    return f"{URGENT_INSTRUCTION} {text}".strip()


def without_instruction(text: str) -> str:
    if not text.startswith(URGENT_INSTRUCTION):
        return text
    return f"{text[len(URGENT_INSTRUCTION) :].strip()} {LEGACY}".strip()


def rewrite(apps, change) -> None:
    AlertRule = apps.get_model("alerts", "AlertRule")
    for rule in AlertRule.objects.all():
        fields = []
        if rule.severity == "urgent" and rule.patient_message:
            rule.patient_message = change(rule.patient_message)
            fields.append("patient_message")
        if rule.variant_severity == "urgent" and rule.variant_patient_message:
            rule.variant_patient_message = change(rule.variant_patient_message)
            fields.append("variant_patient_message")
        if fields:
            rule.save(update_fields=[*fields, "updated_at"])


def forwards(apps, schema_editor):
    rewrite(apps, with_instruction)


def backwards(apps, schema_editor):
    rewrite(apps, without_instruction)


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_alert_audience")]

    operations = [migrations.RunPython(forwards, backwards)]
