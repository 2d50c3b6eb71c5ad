"""Lab values with their units, and the lab alerts of CLINICAL.md section 4
(changed on 2026-12-05).

Every value is sent with a unit its analyte knows (none, or an unknown one, is a
400 naming the value), converted to the analyte's unit before it is flagged, and
flagged on the exact value; the display never rounds across a limit. A CRP or ESR
above its limit is a contact_provider item whatever the diary says; a CSF glucose
below the range without a blood glucose asks for one; an opening pressure outside
60-250 mmH2O is an item. Explanations stay neutral.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labs.models import Analyte, LabReport, LabValue
from labs.presenters import as_api, value_view
from labs.values import prepare_values
from tests.labs.conftest import review_item
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db

COLLECTED = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
FIFTY = date(1976, 1, 15)  # 50 years old on COLLECTED


def prepared(*items, kind="csf", sex="female"):
    values = prepare_values(raw=list(items), kind=kind, sex=sex, date_of_birth=FIFTY, collected_at=COLLECTED)
    return {value.analyte.code: value for value in values}


def one(code, value, unit, **extra):
    kind = "blood" if code in ("crp", "esr", "serum_glucose") else "csf"
    return prepared({"analyte": code, "value": value, "unit": unit, **extra}, kind=kind)[code]


# --- Units: required, known, converted before flagging ------------------------------------


@pytest.mark.parametrize("unit", [None, "", "   "])
def test_a_value_without_a_unit_is_refused_naming_it(upload, clinician, patient, unit):
    item = {"analyte": "csf_protein", "value": 0.8}
    if unit is not None:
        item["unit"] = unit
    response = upload(clinician, patient, values=[{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}, item])
    assert response.status_code == 400
    (message,) = response.json()["values"]
    assert message.startswith("Item 2 (csf_protein)") and "unit" in message and "mg/dL or g/L" in message
    assert not LabReport.objects.exists() and not LabValue.objects.exists()


@pytest.mark.parametrize(
    ("code", "unit"),
    [("crp", "g/L"), ("csf_protein", "mmol/L"), ("opening_pressure", "mmHg"), ("esr", "mg/L"), ("csf_wbc", "g/L")],
)
def test_a_unit_the_analyte_does_not_know_is_refused_naming_the_value(upload, clinician, patient, code, unit):
    kind = "blood" if code in ("crp", "esr") else "csf"
    response = upload(clinician, patient, kind=kind, values=[{"analyte": code, "value": 1, "unit": unit}])
    assert response.status_code == 400
    (message,) = response.json()["values"]
    assert message.startswith(f"Item 1 ({code})")
    said, _, choices = message.partition("; give it as ")
    assert unit not in said and choices  # what was sent is not echoed; what is accepted is named
    assert not LabReport.objects.exists()


def test_csf_protein_08_g_per_l_is_80_mg_per_dl_and_high():
    value = one("csf_protein", 0.8, "g/L")
    assert (value.value, value.flag, value.entered_unit) == (Decimal("80.0000"), "high", "g/L")


def test_crp_15_mg_per_dl_is_15_mg_per_l_and_high():
    value = one("crp", 1.5, "mg/dL")
    assert (value.value, value.flag) == (Decimal("15.0000"), "high")


@pytest.mark.parametrize(
    ("code", "unit", "value", "stored", "flag"),
    [
        # csf_glucose 45-80 mg/dL; mmol/L x 18
        ("csf_glucose", "mg/dL", 44.9, "44.9", "low"),
        ("csf_glucose", "mg/dL", 45, "45", "normal"),
        ("csf_glucose", "mg/dL", 45.1, "45.1", "normal"),
        ("csf_glucose", "mg/dL", 80, "80", "normal"),
        ("csf_glucose", "mg/dL", 80.1, "80.1", "high"),
        ("csf_glucose", "mmol/L", 2.49, "44.82", "low"),
        ("csf_glucose", "mmol/L", 2.5, "45", "normal"),
        ("csf_glucose", "mmol/L", 2.51, "45.18", "normal"),
        ("csf_glucose", "mmol/L", 4.44, "79.92", "normal"),
        ("csf_glucose", "mmol/L", 4.45, "80.1", "high"),
        # serum_glucose 70-99 mg/dL
        ("serum_glucose", "mg/dL", 69.9, "69.9", "low"),
        ("serum_glucose", "mg/dL", 70, "70", "normal"),
        ("serum_glucose", "mmol/L", 3.88, "69.84", "low"),
        ("serum_glucose", "mmol/L", 3.89, "70.02", "normal"),
        ("serum_glucose", "mmol/L", 5.5, "99", "normal"),
        ("serum_glucose", "mmol/L", 5.51, "99.18", "high"),
        # csf_protein 15-45 mg/dL; g/L x 100
        ("csf_protein", "mg/dL", 44.9, "44.9", "normal"),
        ("csf_protein", "mg/dL", 45, "45", "normal"),
        ("csf_protein", "mg/dL", 45.1, "45.1", "high"),
        ("csf_protein", "g/L", 0.149, "14.9", "low"),
        ("csf_protein", "g/L", 0.15, "15", "normal"),
        ("csf_protein", "g/L", 0.449, "44.9", "normal"),
        ("csf_protein", "g/L", 0.45, "45", "normal"),
        ("csf_protein", "g/L", 0.451, "45.1", "high"),
        # opening_pressure 60-250 mmH2O; cmH2O x 10
        ("opening_pressure", "mmH2O", 59.9, "59.9", "low"),
        ("opening_pressure", "mmH2O", 60, "60", "normal"),
        ("opening_pressure", "mmH2O", 250, "250", "normal"),
        ("opening_pressure", "mmH2O", 250.1, "250.1", "high"),
        ("opening_pressure", "cmH2O", 5.99, "59.9", "low"),
        ("opening_pressure", "cmH2O", 6, "60", "normal"),
        ("opening_pressure", "cmH2O", 25, "250", "normal"),
        ("opening_pressure", "cmH2O", 25.01, "250.1", "high"),
        # crp < 10 mg/L (10 itself is above); mg/dL x 10
        ("crp", "mg/L", 9.9, "9.9", "normal"),
        ("crp", "mg/L", 10, "10", "high"),
        ("crp", "mg/L", 10.1, "10.1", "high"),
        ("crp", "mg/dL", 0.99, "9.9", "normal"),
        ("crp", "mg/dL", 1, "10", "high"),
        ("crp", "mg/dL", 1.01, "10.1", "high"),
        # csf_wbc 0-5 cells/uL (= 10^6/L)
        ("csf_wbc", "cells/uL", 5, "5", "normal"),
        ("csf_wbc", "cells/µL", 5.1, "5.1", "high"),
        ("csf_wbc", "\u00d710⁶/L", 5, "5", "normal"),  # a times sign
        ("csf_wbc", "x10^6/L", 5.1, "5.1", "high"),
        # esr, a 50-year-old woman: (50 + 10) / 2 = 30 mm/h
        ("esr", "mm/h", 29.9, "29.9", "normal"),
        ("esr", "mm/h", 30, "30", "normal"),
        ("esr", "mm/hr", 30.1, "30.1", "high"),
    ],
)
def test_each_analyte_in_each_accepted_unit_at_and_beside_its_limits(code, unit, value, stored, flag):
    item = one(code, value, unit)
    assert (item.value.normalize(), item.flag) == (Decimal(stored).normalize(), flag)


def test_the_labs_own_limits_are_converted_with_the_value():
    item = one("crp", 0.6, "mg/dL", high=0.5)  # the lab's limit 5 mg/L
    assert (item.value, item.lab_high, item.flag) == (Decimal("6.0000"), Decimal("5.0000"), "high")


# --- Flag on the exact value; the display agrees with the flag -----------------------------


@pytest.mark.parametrize(
    ("csf", "serum", "flag", "borderline", "shown"),
    [
        (60, 100, "normal", False, "0.60"),  # >= 0.6 is usual
        (59.99, 100, "low", True, "0.59"),  # 0.5999: borderline, never shown as "0.60"
        (59.5, 100, "low", True, "0.59"),  # 0.595: borderline, never shown as "0.60"
        (50, 90, "low", True, "0.56"),  # 0.5555...: rounds as usual, no limit in between
        (40, 100, "low", True, "0.40"),
        (39.99, 100, "low", False, "0.39"),  # 0.3999: low, never shown as the borderline "0.40"
    ],
)
def test_the_glucose_ratio_is_flagged_on_its_exact_value_and_shown_without_crossing_a_limit(
    make_report, csf, serum, flag, borderline, shown
):
    report = make_report(
        values=[
            {"analyte": "csf_glucose", "value": csf, "unit": "mg/dL"},
            {"analyte": "serum_glucose", "value": serum, "unit": "mg/dL"},
        ]
    )
    ratio = report.values.get(analyte__code="csf_serum_glucose_ratio")
    assert (ratio.flag, ratio.is_borderline) == (flag, borderline)
    view = value_view(ratio)
    assert view.shown == shown
    assert shown in view.sentence and shown in str(view.bar)
    assert as_api(ratio, for_clinician=False)["shown"] == shown


def test_a_value_shown_in_its_other_unit_does_not_round_across_the_limit(make_report):
    report = make_report(values=[{"analyte": "csf_protein", "value": 45.4, "unit": "mg/dL"}])
    protein = report.values.get()
    assert protein.flag == "high"
    assert value_view(protein).si == "0.454 g/L"  # not "0.45 g/L", which reads as the upper limit
    assert as_api(protein, for_clinician=False)["si"] == {"value": 0.454, "unit": "g/L"}


# --- The lab alerts for the clinician --------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "priority", "words"),
    [
        # CRP above its limit, whatever the diary says (no diary entry at all here) [IDSA15]
        ([{"analyte": "crp", "value": 9.9, "unit": "mg/L"}], "normal", ""),
        ([{"analyte": "crp", "value": 10, "unit": "mg/L"}], "high", "CRP above range"),
        ([{"analyte": "crp", "value": 10.1, "unit": "mg/L"}], "high", "CRP above range"),
        ([{"analyte": "crp", "value": 0.99, "unit": "mg/dL"}], "normal", ""),
        ([{"analyte": "crp", "value": 1, "unit": "mg/dL"}], "high", "CRP above range"),
        ([{"analyte": "crp", "value": 1.5, "unit": "mg/dL"}], "high", "CRP above range"),
        # ESR above (age + 10) / 2 for this 50-year-old woman
        ([{"analyte": "esr", "value": 30, "unit": "mm/h"}], "normal", ""),
        ([{"analyte": "esr", "value": 30.1, "unit": "mm/h"}], "high", "ESR above range"),
    ],
)
def test_crp_and_esr_above_their_limit_are_items_whatever_the_diary_says(make_report, patient, values, priority, words):
    patient.date_of_birth, patient.sex = date(1975, 6, 1), "female"  # 50 on COLLECTED_AT of the fixtures
    patient.save()
    item = review_item(make_report(values=values, kind="blood"))
    assert (item.priority, words in item.summary) == (priority, True)


@pytest.mark.parametrize(
    ("values", "priority", "words"),
    [
        (
            [{"analyte": "csf_glucose", "value": 44.9, "unit": "mg/dL"}],
            "high",
            "CSF glucose low: ask for a blood glucose",
        ),
        ([{"analyte": "csf_glucose", "value": 45, "unit": "mg/dL"}], "normal", ""),
        ([{"analyte": "csf_glucose", "value": 2.49, "unit": "mmol/L"}], "high", "ask for a blood glucose"),
        ([{"analyte": "csf_glucose", "value": 2.5, "unit": "mmol/L"}], "normal", ""),
    ],
)
def test_a_low_csf_glucose_without_a_blood_glucose_asks_for_one(make_report, values, priority, words):
    item = review_item(make_report(values=values))
    assert (item.priority, words in item.summary) == (priority, True)


def test_a_low_csf_glucose_with_a_blood_glucose_is_read_as_the_ratio(make_report):
    report = make_report(
        values=[
            {"analyte": "csf_glucose", "value": 44.9, "unit": "mg/dL"},
            {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
        ]
    )
    summary = review_item(report).summary
    assert "ratio borderline low" in summary and "ask for a blood glucose" not in summary


@pytest.mark.parametrize(
    ("value", "unit", "priority"),
    [
        (59.9, "mmH2O", "high"),
        (60, "mmH2O", "normal"),
        (60.1, "mmH2O", "normal"),
        (249.9, "mmH2O", "normal"),
        (250, "mmH2O", "normal"),
        (250.1, "mmH2O", "high"),
        (5.99, "cmH2O", "high"),
        (6, "cmH2O", "normal"),
        (25, "cmH2O", "normal"),
        (25.01, "cmH2O", "high"),
    ],
)
def test_an_opening_pressure_outside_60_to_250_is_an_item(make_report, value, unit, priority):
    item = review_item(make_report(values=[{"analyte": "opening_pressure", "value": value, "unit": unit}]))
    assert item.priority == priority
    if priority == "high":
        assert "Opening pressure outside range" in item.summary


# --- Neutral words ------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["reassur", "nothing to worry", "no need to worry", "all clear"])
def test_no_explanation_reassures(phrase):
    for analyte in Analyte.objects.all():
        assert phrase not in f"{analyte.explanation} {analyte.clinician_note}".lower(), analyte.code


def test_a_value_in_the_range_reads_in_the_usual_range(make_report):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 2, "unit": "cells/uL"}])
    view = value_view(report.values.get())
    assert view.flag_word == "In the usual range"
    assert "in the usual range" in view.sentence


# --- The upload form: a unit for every value --------------------------------------------------


def upload_form(client, patient, **fields):
    return client.post(
        f"/labs/patients/{patient.pk}/upload/",
        {
            "file": SimpleUploadedFile("csf.txt", b"CSF results\n", content_type="text/plain"),
            "kind": "csf",
            "collected_at": "2026-01-10T08:30",
            **fields,
        },
    )


def test_the_upload_form_asks_for_a_unit_and_names_the_value_without_one(clinician, patient):
    client = Client()
    sign_in(client, clinician)  # with the TOTP step, as a clinician signs in
    page = client.get(f"/labs/patients/{patient.pk}/upload/").content.decode()
    assert 'name="csf_protein__unit"' in page and ">Choose…<" in page
    response = upload_form(client, patient, csf_protein__value="0.8")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The unit is missing" in html
    assert not LabReport.objects.exists()


def test_the_upload_form_converts_g_per_l_protein(clinician, patient):
    client = Client()
    sign_in(client, clinician)  # with the TOTP step, as a clinician signs in
    response = upload_form(client, patient, csf_protein__value="0.8", csf_protein__unit="g/L")
    assert response.status_code == 302
    protein = LabValue.objects.get(analyte__code="csf_protein")
    assert (protein.value, protein.flag, protein.entered_unit) == (Decimal("80.0000"), "high", "g/L")


def test_json_values_without_units_are_refused_whole(upload, clinician, patient):
    values = [{"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"}, {"analyte": "crp", "value": 1.5}]
    response = upload(clinician, patient, values=values)
    assert response.status_code == 400 and "Item 2 (crp)" in json.dumps(response.json())


def test_prepare_values_names_every_value_without_a_unit():
    with pytest.raises(ValidationError) as caught:
        prepared({"analyte": "csf_wbc", "value": 3}, {"analyte": "csf_glucose", "value": 50})
    messages = caught.value.message_dict["values"]
    assert [m.split(":")[0] for m in messages] == ["Item 1 (csf_wbc)", "Item 2 (csf_glucose)"]
