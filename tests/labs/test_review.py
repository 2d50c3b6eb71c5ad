"""Clinician review of a new report (CLINICAL.md section 4): a CSF report with WBC
above 5, a low glucose ratio or high protein, or a CRP/ESR above its limit in a
patient who reports back pain, is a contact_provider (high priority) inbox item;
anything else a normal-priority review item.

"Reports back pain": the latest diary entry (not entered in error) of the last 7
days has back_pain >= 3 (both numbers are data on the CRP and ESR rows).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import InboxItem
from tests.factories import SymptomEntryFactory

pytestmark = pytest.mark.django_db


def review_item(report) -> InboxItem:
    return InboxItem.objects.get(kind="lab_result", source_type="labs.labreport", source_id=str(report.pk))


@pytest.mark.parametrize(
    ("values", "priority", "words"),
    [
        ([{"analyte": "csf_wbc", "value": 5}], "normal", ""),
        ([{"analyte": "csf_wbc", "value": 6}], "high", "CSF WBC above range"),
        ([{"analyte": "csf_protein", "value": 45}], "normal", ""),
        ([{"analyte": "csf_protein", "value": 46}], "high", "CSF protein above range"),
        (
            [{"analyte": "csf_glucose", "value": 60}, {"analyte": "serum_glucose", "value": 100}],
            "normal",
            "",
        ),
        (
            [{"analyte": "csf_glucose", "value": 50}, {"analyte": "serum_glucose", "value": 100}],
            "high",
            "CSF/blood glucose ratio borderline low",
        ),
        (
            [{"analyte": "csf_glucose", "value": 30}, {"analyte": "serum_glucose", "value": 100}],
            "high",
            "CSF/blood glucose ratio low",
        ),
        ([{"analyte": "csf_rbc", "value": 5000}], "normal", ""),
        ([{"analyte": "opening_pressure", "value": 300}], "normal", ""),
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
    ("analyte", "value", "back_pain", "days_ago", "priority"),
    [
        ("crp", 12, 3, 1, "high"),
        ("crp", 12, 2, 1, "normal"),  # not enough back pain
        ("crp", 9, 8, 1, "normal"),  # CRP within range
        ("crp", 12, 5, 8, "normal"),  # the entry is too old
        ("crp", 10, 3, 6.9, "high"),  # 10 is above "< 10"
        ("esr", 31, 4, 0, "high"),  # 50-year-old woman: limit 30
        ("esr", 30, 4, 0, "normal"),
    ],
)
def test_crp_or_esr_above_the_limit_with_back_pain(make_report, patient, analyte, value, back_pain, days_ago, priority):
    patient.date_of_birth = patient.date_of_birth.replace(year=1976, month=1, day=1)
    patient.sex = "female"
    patient.save()
    SymptomEntryFactory(patient=patient, back_pain=back_pain, recorded_at=timezone.now() - timedelta(days=days_ago))
    report = make_report(kind="blood", values=[{"analyte": analyte, "value": value}])
    # The report's collection date (2026-01-10) puts the patient at 50.
    assert review_item(report).priority == priority


def test_back_pain_that_has_settled_does_not_count(make_report, patient):
    SymptomEntryFactory(patient=patient, back_pain=6, recorded_at=timezone.now() - timedelta(days=2))
    SymptomEntryFactory(patient=patient, back_pain=1, recorded_at=timezone.now() - timedelta(hours=2))
    report = make_report(kind="blood", values=[{"analyte": "crp", "value": 40}])
    assert review_item(report).priority == "normal"


def test_an_entry_in_error_does_not_count(make_report, patient):
    SymptomEntryFactory(patient=patient, back_pain=1, recorded_at=timezone.now() - timedelta(days=2))
    SymptomEntryFactory(
        patient=patient,
        back_pain=7,
        recorded_at=timezone.now() - timedelta(hours=1),
        entered_in_error_at=timezone.now(),
    )
    report = make_report(kind="blood", values=[{"analyte": "crp", "value": 40}])
    assert review_item(report).priority == "normal"


def test_the_summary_names_each_finding(make_report):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 80}, {"analyte": "csf_protein", "value": 90}])
    assert review_item(report).summary == "CSF report needs review today: CSF WBC above range, CSF protein above range"


def test_the_labs_own_range_decides_the_review(make_report):
    report = make_report(values=[{"analyte": "csf_wbc", "value": 7, "low": 0, "high": 10}])
    assert review_item(report).priority == "normal"


def test_the_trigger_is_data(make_report):
    from labs.models import Analyte

    Analyte.objects.filter(code="opening_pressure").update(review_when="high")
    report = make_report(values=[{"analyte": "opening_pressure", "value": 300}])
    assert review_item(report).priority == "high"
