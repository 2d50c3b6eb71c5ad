"""CLINICAL.md section 4, changed on 2026-12-05: every value comes with its unit and
is converted before flagging; new lab alerts; flags on the exact value; neutral words.

1. ``AnalyteUnit``: the units each analyte accepts besides its own, with the factor
   to its own. The former ``si_unit``/``si_factor`` pair becomes the row shown
   alongside (as an admin may have edited it); CRP also accepts mg/dL (x 10).
2. Clinician review: CRP and ESR above their limit whatever the diary says (the
   "with back pain" trigger and its two numbers go); a CSF glucose below the range
   without a blood glucose asks for one; an opening pressure outside the range is an
   item. Rows an admin has set to another trigger keep it.
3. The CSF white-count explanation no longer calls a normal count "reassuring".
4. Stored values: a computed CSF/blood glucose ratio was rounded to two decimals
   before it was flagged (0.595 became a "normal" 0.60); it is recomputed from the
   report's two glucose values and flagged on the exact ratio against the range it
   was flagged with. Entered values stay as they are: their ``entered_unit`` stays
   blank, which now reads "sent before units were required" (the pages say so).
"""

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

FOUR = Decimal("0.0001")
RATIO, CSF_GLUCOSE, SERUM_GLUCOSE = "csf_serum_glucose_ratio", "csf_glucose", "serum_glucose"

OTHER_UNITS = [("crp", "mg/dL", Decimal("10"), False)]

TRIGGERS = [
    # code, from (the seeded trigger), to
    ("crp", "high_with_back_pain", "high"),
    ("esr", "high_with_back_pain", "high"),
    ("csf_glucose", "", "low_without_blood_glucose"),
    ("opening_pressure", "", "outside"),
]

REASSURING = "A count in the normal range is reassuring, but it is one piece of the picture."
NEUTRAL = "A count in the usual range is one piece of the picture."


def _flag(value, row):
    if row.ref_low is None and row.ref_high is None:
        return ""
    if row.ref_low is not None and (value < row.ref_low or (value == row.ref_low and not row.ref_low_inclusive)):
        return "low"
    if row.ref_high is not None and (value > row.ref_high or (value == row.ref_high and not row.ref_high_inclusive)):
        return "high"
    return "normal"


def _band(value, row, flag):
    return flag == "low" and row.ref_borderline_low is not None and value >= row.ref_borderline_low


def _stored(exact, row):
    """Four decimals that flag (and band) as the exact value does."""
    flag, band = _flag(exact, row), _band(exact, row, _flag(exact, row))
    for rounding in (ROUND_HALF_UP, ROUND_FLOOR, ROUND_CEILING):
        stored = exact.quantize(FOUR, rounding=rounding)
        if _flag(stored, row) == flag and _band(stored, row, _flag(stored, row)) == band:
            return stored, flag
    return exact.quantize(FOUR, rounding=ROUND_HALF_UP), flag


def forwards(apps, schema_editor):
    Analyte = apps.get_model("labs", "Analyte")
    AnalyteUnit = apps.get_model("labs", "AnalyteUnit")
    LabValue = apps.get_model("labs", "LabValue")
    for analyte in Analyte.objects.all():
        if analyte.si_unit and analyte.si_factor and analyte.si_unit != analyte.unit:
            AnalyteUnit.objects.get_or_create(
                analyte=analyte,
                unit=analyte.si_unit,
                defaults={"factor": analyte.si_factor, "shown_alongside": True, "order": 1},
            )
    for code, unit, factor, alongside in OTHER_UNITS:
        analyte = Analyte.objects.filter(code=code).first()
        if analyte is not None:
            AnalyteUnit.objects.get_or_create(
                analyte=analyte, unit=unit, defaults={"factor": factor, "shown_alongside": alongside, "order": 2}
            )
    for code, seeded, trigger in TRIGGERS:
        Analyte.objects.filter(code=code, review_when=seeded).update(review_when=trigger)
    for analyte in Analyte.objects.filter(explanation__contains=REASSURING):
        analyte.explanation = analyte.explanation.replace(REASSURING, NEUTRAL)
        analyte.save(update_fields=["explanation"])

    for row in LabValue.objects.filter(computed=True, analyte__code=RATIO):
        glucoses = dict(
            LabValue.objects.filter(report_id=row.report_id, analyte__code__in=[CSF_GLUCOSE, SERUM_GLUCOSE]).values_list(
                "analyte__code", "value"
            )
        )
        if len(glucoses) != 2 or not glucoses[SERUM_GLUCOSE]:
            continue
        value, flag = _stored(glucoses[CSF_GLUCOSE] / glucoses[SERUM_GLUCOSE], row)
        if (value, flag) != (row.value, row.flag):
            LabValue.objects.filter(pk=row.pk).update(value=value, flag=flag)


def backwards(apps, schema_editor):
    Analyte = apps.get_model("labs", "Analyte")
    AnalyteUnit = apps.get_model("labs", "AnalyteUnit")
    for shown in AnalyteUnit.objects.filter(shown_alongside=True).select_related("analyte"):
        Analyte.objects.filter(pk=shown.analyte_id).update(si_unit=shown.unit, si_factor=shown.factor)
    for code, seeded, trigger in TRIGGERS:
        Analyte.objects.filter(code=code, review_when=trigger).update(review_when=seeded)
    Analyte.objects.filter(code__in=["crp", "esr"], review_when="high_with_back_pain").update(
        back_pain_min_score=3, back_pain_within_days=7
    )
    for analyte in Analyte.objects.filter(explanation__contains=NEUTRAL):
        analyte.explanation = analyte.explanation.replace(NEUTRAL, REASSURING)
        analyte.save(update_fields=["explanation"])


TRIGGER_CHOICES = [
    ("", "Never on its own"),
    ("high", "Above the range"),
    ("low", "Below the range"),
    ("outside", "Outside the range (below or above)"),
    (
        "low_without_blood_glucose",
        "Below the range without a blood glucose in the same report (the item asks for one)",
    ),
    ("high_with_back_pain", "(retired) Above the range with back pain"),
]


class Migration(migrations.Migration):
    dependencies = [("labs", "0002_seed_analytes")]

    operations = [
        migrations.CreateModel(
            name="AnalyteUnit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit", models.CharField(max_length=30)),
                (
                    "factor",
                    models.DecimalField(
                        decimal_places=6,
                        help_text="Value in the analyte's unit = value in this unit x this factor (glucose mmol/L: 18).",
                        max_digits=12,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.000001"))],
                    ),
                ),
                (
                    "shown_alongside",
                    models.BooleanField(
                        default=False, help_text="Values are also shown in this unit (at most one unit per analyte)."
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0)),
                (
                    "analyte",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="other_units", to="labs.analyte"
                    ),
                ),
            ],
            options={"ordering": ["analyte__display_order", "order", "unit"]},
        ),
        migrations.AddConstraint(
            model_name="analyteunit",
            constraint=models.UniqueConstraint(fields=("analyte", "unit"), name="analyteunit_once_per_analyte"),
        ),
        migrations.AddConstraint(
            model_name="analyteunit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("shown_alongside", True)),
                fields=("analyte",),
                name="analyteunit_one_shown_alongside",
            ),
        ),
        migrations.AddConstraint(
            model_name="analyteunit",
            constraint=models.CheckConstraint(condition=models.Q(("factor__gt", 0)), name="analyteunit_factor_positive"),
        ),
        # Wider first: the new trigger codes are longer than the old column.
        migrations.AlterField(
            model_name="analyte",
            name="review_when",
            field=models.CharField(blank=True, choices=TRIGGER_CHOICES, default="", max_length=32),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="analyte", name="si_unit"),
        migrations.RemoveField(model_name="analyte", name="si_factor"),
        migrations.RemoveField(model_name="analyte", name="back_pain_min_score"),
        migrations.RemoveField(model_name="analyte", name="back_pain_within_days"),
        migrations.AlterField(
            model_name="analyte",
            name="review_when",
            field=models.CharField(blank=True, choices=TRIGGER_CHOICES[:-1], default="", max_length=32),
        ),
        migrations.AlterField(
            model_name="analyte",
            name="unit",
            field=models.CharField(
                help_text="The unit values are stored, flagged and shown in (always accepted as sent).", max_length=30
            ),
        ),
        migrations.AlterField(
            model_name="labvalue",
            name="entered_unit",
            field=models.CharField(blank=True, max_length=30),
        ),
    ]
