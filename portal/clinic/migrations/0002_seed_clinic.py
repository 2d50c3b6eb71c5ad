"""The clinic's row, from the environment (README, Configuration); admins edit it after."""

from datetime import time

from django.conf import settings
from django.db import migrations


def seed(apps, schema_editor):
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    OpeningHours = apps.get_model("clinic", "OpeningHours")
    if ClinicSettings.objects.filter(pk=1).exists():
        return
    clinic = ClinicSettings.objects.create(
        pk=1,
        name=settings.AFTERCARE_CLINIC_NAME,
        phone=settings.AFTERCARE_CLINIC_PHONE,
        emergency_number=settings.AFTERCARE_EMERGENCY_NUMBER,
        oncall_email=settings.AFTERCARE_ONCALL_EMAIL,
        time_zone=settings.AFTERCARE_CLINIC_TIME_ZONE,
    )
    # Monday to Friday, 08:00-17:00, until an admin says otherwise.
    OpeningHours.objects.bulk_create(
        OpeningHours(clinic=clinic, weekday=day, opens=time(8), closes=time(17)) for day in range(5)
    )


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
