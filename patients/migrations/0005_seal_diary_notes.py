"""Diary notes are sealed like message bodies (context "symptom_entry:<pk>"): the
clear column goes once every note has been sealed into the new one."""

from django.db import migrations, models


def seal_notes(apps, schema_editor):
    from portal.crypto import seal_text

    SymptomEntry = apps.get_model("patients", "SymptomEntry")
    for pk, notes in SymptomEntry.objects.exclude(notes="").values_list("pk", "notes").iterator():
        SymptomEntry.objects.filter(pk=pk).update(notes_sealed=seal_text(notes, context=f"symptom_entry:{pk}"))


def open_notes(apps, schema_editor):
    from portal.crypto import open_sealed_text

    SymptomEntry = apps.get_model("patients", "SymptomEntry")
    for pk, sealed in SymptomEntry.objects.exclude(notes_sealed=b"").values_list("pk", "notes_sealed").iterator():
        notes = open_sealed_text(bytes(sealed), context=f"symptom_entry:{pk}")
        SymptomEntry.objects.filter(pk=pk).update(notes=notes)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0004_drugs_with_their_own_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="symptomentry",
            name="notes_sealed",
            field=models.BinaryField(blank=True, db_default=b"", default=b"", editable=False),
        ),
        migrations.RunPython(seal_notes, open_notes),
        migrations.RemoveField(model_name="symptomentry", name="notes"),
    ]
