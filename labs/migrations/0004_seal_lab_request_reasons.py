"""Lab-request reasons are sealed like message bodies (context "lab_request:<pk>"):
the clear column goes once every reason has been sealed into the new one."""

from django.db import migrations, models


def seal_reasons(apps, schema_editor):
    from portal.crypto import seal_text

    LabRequest = apps.get_model("labs", "LabRequest")
    for pk, reason in LabRequest.objects.values_list("pk", "reason").iterator():
        LabRequest.objects.filter(pk=pk).update(reason_sealed=seal_text(reason, context=f"lab_request:{pk}"))


def open_reasons(apps, schema_editor):
    from portal.crypto import open_sealed_text

    LabRequest = apps.get_model("labs", "LabRequest")
    for pk, sealed in LabRequest.objects.exclude(reason_sealed=b"").values_list("pk", "reason_sealed").iterator():
        LabRequest.objects.filter(pk=pk).update(reason=open_sealed_text(bytes(sealed), context=f"lab_request:{pk}"))


class Migration(migrations.Migration):
    dependencies = [
        ("labs", "0003_units_required_and_lab_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="labrequest",
            name="reason_sealed",
            field=models.BinaryField(blank=True, db_default=b"", default=b"", editable=False),
        ),
        migrations.RunPython(seal_reasons, open_reasons),
        # A default first, so that going back re-adds the column to existing rows.
        migrations.AlterField(
            model_name="labrequest", name="reason", field=models.TextField(blank=True, default="", max_length=1000)
        ),
        migrations.RemoveField(model_name="labrequest", name="reason"),
    ]
