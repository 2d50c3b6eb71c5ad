"""One store per threshold: the chart's lines and its spike definition are the
alert rules' values (``alerts.AlertRule``, with each patient's own values), read
through ``alerts.selectors.chart_thresholds``.

The ``DiaryThreshold`` rows were a second copy. Where the chart drew them the rules'
values already won (the alerts app is always installed), so the chart, the spikes
and the diary's fever words read nothing else; only the rounding guard of a list of
many patients' temperatures read ``fever_c`` alone, and it now reads the fever
rule's value, the one the alerts fire on (seeded the same, 38.0 °C). Nothing shown
changes meaning: the rows are dropped. Going back seeds them again with the values
of CLINICAL.md that 0003 seeded.
"""

from django.db import migrations

SEEDED = [
    ("fever_c", "38.00", "°C", "Fever: a temperature at or above this (100.4 °F). Drawn on the chart.", "LEAFLETS"),
    ("severe_pain", "7.00", "points", "Severe pain on the 0-10 scale. Drawn on the pain chart.", "PDPH23"),
    (
        "score_rise_points",
        "2.00",
        "points",
        "A spike: a score at least this much above the lowest value of the same score in the look-back window.",
        "FARRAR",
    ),
    ("score_rise_window_hours", "24.00", "hours", "The look-back window for a spike.", "FARRAR"),
]


def seed_again(apps, schema_editor):
    DiaryThreshold = apps.get_model("patients", "DiaryThreshold")
    for code, value, unit, description, citation in SEEDED:
        DiaryThreshold.objects.update_or_create(
            code=code, defaults={"value": value, "unit": unit, "description": description, "citation": citation}
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0007_patient_phone")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, seed_again),
        migrations.DeleteModel(name="DiaryThreshold"),
    ]
