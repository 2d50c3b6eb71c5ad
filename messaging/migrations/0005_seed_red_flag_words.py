"""The red-flag words of CLINICAL.md section 8, with the forms patients type; admins
edit the list in Django admin (Messaging, Red-flag words)."""

from django.db import migrations

WORDS = [
    # fever
    "fever", "feverish", "temperature", "high temperature", "chills", "shivering",
    # stiff neck
    "stiff neck", "neck is stiff", "neck stiffness",
    # weakness and numbness
    "weakness", "weak", "numb", "numbness", "tingling", "can't feel", "cannot feel", "can not feel",
    "can't move", "cannot move",
    # bladder and bowel
    "bladder", "bowel", "incontinence", "can't pee", "cannot pee", "wet myself", "soiled myself",
    # confusion
    "confusion", "confused", "drowsy", "hard to wake",
    # seizure
    "seizure", "seizures", "fit", "fits", "convulsion", "convulsions",
    # rash
    "rash", "spots",
    # the puncture site
    "bleeding", "fluid leaking", "leaking fluid", "pus",
    # headache
    "worst headache", "thunderclap", "vision", "double vision", "blurred vision",
    # vomiting
    "vomiting", "throwing up",
]


def seed(apps, schema_editor):
    RedFlagTerm = apps.get_model("messaging", "RedFlagTerm")
    for phrase in WORDS:
        RedFlagTerm.objects.get_or_create(phrase=phrase)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_red_flag_words_and_triage_sharing")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
