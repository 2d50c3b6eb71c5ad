"""The LOINC and UCUM codes of the analytes (labs migration 0005, editable in admin).

Each seeded LOINC code must name the result it is attached to: its display must be
LOINC's long common name of that code, as in the small table below (kept from the
LOINC release; a new or edited analyte code is added here with its name). A code
whose check digit is wrong is refused in admin before anything exports it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from labs.models import Analyte, AnalyteUnit, loinc_check_digit, validate_loinc_code

pytestmark = pytest.mark.django_db

# LOINC code -> long common name (LOINC 2.7x). Only codes the portal uses.
LOINC = {
    "26465-5": "Leukocytes [#/volume] in Cerebral spinal fluid",
    "26454-9": "Erythrocytes [#/volume] in Cerebral spinal fluid",
    "2342-4": "Glucose [Mass/volume] in Cerebral spinal fluid",
    "2345-7": "Glucose [Mass/volume] in Serum or Plasma",
    "2352-3": "Glucose [Mass ratio] in Cerebral spinal fluid/Serum or Plasma",
    "2880-3": "Protein [Mass/volume] in Cerebral spinal fluid",
    "1988-5": "C reactive protein [Mass/volume] in Serum or Plasma",
    "30341-2": "Erythrocyte sedimentation rate",
    # The diary's observations (interop/fhir/diary.py).
    "8310-5": "Body temperature",
    "72514-3": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
# What each analyte's values are measured in, as UCUM writes it.
UCUM = {
    "csf_wbc": "/uL",
    "csf_rbc": "/uL",
    "csf_glucose": "mg/dL",
    "serum_glucose": "mg/dL",
    "csf_serum_glucose_ratio": "1",
    "csf_protein": "mg/dL",
    "opening_pressure": "mm[H2O]",
    "crp": "mg/L",
    "esr": "mm/h",
}
OTHER_UCUM = {"×10⁶/L": "10*6/L", "mmol/L": "mmol/L", "g/L": "g/L", "cmH₂O": "cm[H2O]", "mg/dL": "mg/dL"}  # noqa: RUF001


def test_every_coded_analyte_names_its_loinc_code_as_loinc_does():
    coded = Analyte.objects.exclude(loinc_code="")
    assert coded.count() >= 8
    for analyte in coded:
        assert analyte.loinc_code in LOINC, f"{analyte.code}: {analyte.loinc_code} is not in the test's LOINC table"
        assert analyte.loinc_display == LOINC[analyte.loinc_code], analyte.code


def test_only_opening_pressure_is_left_without_a_loinc_code():
    assert list(Analyte.objects.filter(loinc_code="").values_list("code", flat=True)) == ["opening_pressure"]


def test_every_analyte_and_every_other_unit_has_its_ucum_code():
    assert dict(Analyte.objects.values_list("code", "ucum_unit")) == UCUM
    for other in AnalyteUnit.objects.all():
        assert other.ucum_unit == OTHER_UCUM[other.unit], (other.analyte.code, other.unit)


@pytest.mark.parametrize("code", sorted(LOINC))
def test_the_tables_codes_have_valid_check_digits(code):
    number, check = code.split("-")
    assert loinc_check_digit(number) == int(check)
    validate_loinc_code(code)


@pytest.mark.parametrize("typo", ["2345-8", "2354-7", "23457", "2345-77", "abc-1", "12345678-0"])
def test_a_mistyped_loinc_code_is_refused(typo):
    with pytest.raises(ValidationError):
        validate_loinc_code(typo)


def test_an_admin_edit_is_checked_too():
    analyte = Analyte.objects.get(code="crp")
    analyte.loinc_code = "1988-4"
    with pytest.raises(ValidationError) as error:
        analyte.full_clean()
    assert "loinc_code" in error.value.message_dict
