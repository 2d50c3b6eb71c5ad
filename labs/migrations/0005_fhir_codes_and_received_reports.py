"""HL7 FHIR (interop/): each analyte's LOINC code and the UCUM code of each of its
units, as data beside the analytes (editable in admin); and lab reports a lab system
sends (no clinician uploaded them: ``uploaded_by`` empty, ``received_from`` names it).

The codes are LOINC's and UCUM's own: the long common name of each LOINC code is
checked against a small table kept in tests/labs/test_fhir_codes.py. Opening pressure
has no code seeded (none was verified): it is exported with the portal's own code
until an admin sets one. Rows an admin has already coded keep their codes.
"""

import django.core.validators
import django.db.models.deletion
import labs.models
from django.conf import settings
from django.db import migrations, models


# analyte code -> (LOINC code, LOINC long common name, UCUM code of the analyte's unit)
CODES = {
    "csf_wbc": ("26465-5", "Leukocytes [#/volume] in Cerebral spinal fluid", "/uL"),
    "csf_rbc": ("26454-9", "Erythrocytes [#/volume] in Cerebral spinal fluid", "/uL"),
    "csf_glucose": ("2342-4", "Glucose [Mass/volume] in Cerebral spinal fluid", "mg/dL"),
    "serum_glucose": ("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL"),
    "csf_serum_glucose_ratio": ("2352-3", "Glucose [Mass ratio] in Cerebral spinal fluid/Serum or Plasma", "1"),
    "csf_protein": ("2880-3", "Protein [Mass/volume] in Cerebral spinal fluid", "mg/dL"),
    "opening_pressure": ("", "", "mm[H2O]"),
    "crp": ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "mg/L"),
    "esr": ("30341-2", "Erythrocyte sedimentation rate", "mm/h"),
}
# The other units as the analytes spell them -> UCUM.
OTHER_UNITS_UCUM = {
    "×10⁶/L": "10*6/L",
    "mmol/L": "mmol/L",
    "g/L": "g/L",
    "cmH₂O": "cm[H2O]",
    "mg/dL": "mg/dL",
}


def seed(apps, schema_editor):
    Analyte = apps.get_model("labs", "Analyte")
    AnalyteUnit = apps.get_model("labs", "AnalyteUnit")
    for code, (loinc, display, ucum) in CODES.items():
        Analyte.objects.filter(code=code, loinc_code="", ucum_unit="").update(
            loinc_code=loinc, loinc_display=display, ucum_unit=ucum
        )
    for unit, ucum in OTHER_UNITS_UCUM.items():
        AnalyteUnit.objects.filter(unit=unit, ucum_unit="").update(ucum_unit=ucum)


class Migration(migrations.Migration):

    dependencies = [
        ('labs', '0004_seal_lab_request_reasons'),
        ('patients', '0005_seal_diary_notes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='analyte',
            name='loinc_code',
            field=models.CharField(blank=True, help_text="The LOINC code of this result, e.g. 2342-4 (empty: exported with the portal's own code only).", max_length=10, validators=[labs.models.validate_loinc_code], verbose_name='LOINC code'),
        ),
        migrations.AddField(
            model_name='analyte',
            name='loinc_display',
            field=models.CharField(blank=True, help_text="LOINC's long common name of the code.", max_length=200, verbose_name='LOINC name'),
        ),
        migrations.AddField(
            model_name='analyte',
            name='ucum_unit',
            field=models.CharField(blank=True, help_text='The unit above as a UCUM code (cells/µL: /uL; mmH₂O: mm[H2O]; a ratio: 1).', max_length=30, validators=[django.core.validators.RegexValidator('^[!-~]*$', 'A UCUM code is printable ASCII without spaces, e.g. mg/dL, 10*6/L, mm[H2O].')], verbose_name='UCUM unit'),
        ),
        migrations.AddField(
            model_name='analyteunit',
            name='ucum_unit',
            field=models.CharField(blank=True, help_text='This unit as a UCUM code.', max_length=30, validators=[django.core.validators.RegexValidator('^[!-~]*$', 'A UCUM code is printable ASCII without spaces, e.g. mg/dL, 10*6/L, mm[H2O].')], verbose_name='UCUM unit'),
        ),
        migrations.AddField(
            model_name='labreport',
            name='received_from',
            field=models.CharField(blank=True, help_text='The lab system (integration client) that sent the report.', max_length=100),
        ),
        migrations.AlterField(
            model_name='labreport',
            name='uploaded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='analyte',
            constraint=models.UniqueConstraint(condition=models.Q(('loinc_code', ''), _negated=True), fields=('loinc_code',), name='analyte_loinc_code_once'),
        ),
        migrations.AddConstraint(
            model_name='labreport',
            constraint=models.CheckConstraint(condition=models.Q(('uploaded_by__isnull', False), models.Q(('received_from', ''), _negated=True), _connector='OR'), name='labreport_has_a_source', violation_error_message='A report is uploaded by a clinician or received from a lab system.'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
