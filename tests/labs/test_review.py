"""Clinician review of a new report (CLINICAL.md section 4): a CSF report with WBC
above 5, a low glucose ratio, high protein, an opening pressure outside 60-250, a
low CSF glucose without a blood glucose, or a CRP/ESR above its limit (whatever the
diary says), is a contact_provider (high priority) inbox item; anything else a
normal-priority review item. The boundary tables are in test_units_and_lab_alerts.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import SymptomEntryFactory
from tests.labs.conftest import review_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("values", "priority", "words"),
    [
        ([{"analyte": "csf_wbc", "value": 5, "unit": "cells/uL"}], "normal", ""),
        ([{"analyte": "csf_wbc", "value": 6, "unit": "cells/uL"}], "high", "CSF WBC above range"),
        ([{"analyte": "csf_protein", "value": 45, "unit": "mg/dL"}], "normal", ""),
        ([{"analyte": "csf_protein", "value": 46, "unit": "mg/dL"}], "high", "CSF protein above range"),
        (
            [
                {"analyte": "csf_glucose", "value": 60, "unit": "mg/dL"},
                {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
            ],
            "normal",
            "",
        ),
        (
            [
                {"analyte": "csf_glucose", "value": 50, "unit": "mg/dL"},
                {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
            ],
            "high",
            "CSF/blood glucose ratio borderline low",
        ),
        (
            [
                {"analyte": "csf_glucose", "value": 30, "unit": "mg/dL"},
                {"analyte": "serum_glucose", "value": 100, "unit": "mg/dL"},
            ],
            "high",
            "CSF/blood glucose ratio low",
        ),
        ([{"analyte": "csf_rbc", "value": 5000, "unit": "cells/uL"}], "normal", ""),
        ([{"analyte": "opening_pressure", "value": 300, "unit": "mmH2O"}], "high", "Opening pressure outside range"),
    ],
)
def test_csf_findings_set_the_priority(make_report, values, priority, words):
    item = review_item(make_report(values=values))
    assert item.priority == priority
    assert words in item.summary
    if priority == "high":
        assert item.summary.startswith("CSF report needs review today")
        assert item.due_at <= timezone.now() + timedelta(hours=4, minutes=1)


@pytest.mark.parametrize(
    ("analyte", "value", "back_pain", "priority"),
    [
        ("crp", 12, None, "high"),  # no diary at all: the value alone decides
        ("crp", 12, 0, "high"),  # no back pain: still reviewed today (late spondylodiscitis) [IDSA15]
        ("crp", 12, 8, "high"),
        ("crp", 9, 8, "normal"),  # within range, whatever the back pain
        ("esr", 31, None, "high"),  # 50-year-old woman: limit 30
        ("esr", 30, 8, "normal"),
    ],
)
def test_crp_or_esr_above_the_limit_whatever_the_diary_says(make_report, patient, analyte, value, back_pain, priority):
    patient.date_of_birth = patient.date_of_birth.replace(year=1976, month=1, day=1)
    patient.sex = "female"
    patient.save()
    if back_pain is not None:
        SymptomEntryFactory(patient=patient, back_pain=back_pain, recorded_at=timezone.now() - timedelta(hours=2))
    unit = {"crp": "mg/L", "esr": "mm/h"}[analyte]
    report = make_report(kind="blood", values=[{"analyte": analyte, "value": value, "unit": unit}])
    # The report's collection date (2026-01-10) puts the patient at 50.
    assert review_item(report).priority == priority


def test_the_summary_names_each_finding(make_report):
    report = make_report(
        values=[
            {"analyte": "csf_wbc", "value": 80, "unit": "cells/uL"},
            {"analyte": "csf_protein", "value": 90, "unit": "mg/dL"},
        ]
    )
    assert review_item(report).summary == "CSF report needs review today: CSF WBC above range, CSF protein above range"


def test_the_labs_own_range_decides_the_review(make_report):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 7, "unit": "cells/uL", "low": 0, "high": 10}])
    assert review_item(report).priority == "normal"


def test_the_trigger_is_data(make_report):
    from labs.models import Analyte

    Analyte.objects.filter(code="opening_pressure").update(review_when="")
    report = make_report(values=[{"analyte": "opening_pressure", "value": 300, "unit": "mmH2O"}])
    assert review_item(report).priority == "normal"
