"""One heartbeat row per pipeline loop from the start, dated when the database was
made: a new installation has the same 5 minutes as a running one before /readyz,
the banner and the on-call email say that the scan is late (not at once)."""

from django.db import migrations
from django.utils import timezone


def create_rows(apps, schema_editor):
    Heartbeat = apps.get_model("operations", "Heartbeat")
    now = timezone.now()
    for name in ("scan", "delivery"):
        Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": now})


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunPython(create_rows, migrations.RunPython.noop)]
