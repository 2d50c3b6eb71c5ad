"""The demo clinic's labs: a released CSF report for Pat with values and a small
text file (sealed like any other), and a pending lab request. Idempotent."""

from __future__ import annotations

import pytest

from labs import demo
from labs.models import LabReport, LabRequest
from labs.services import open_report_file
from patients import demo as patients_demo
from portal.demo import seed_accounts

pytestmark = pytest.mark.django_db


def test_demo_labs_for_pat():
    accounts = seed_accounts()
    patients_demo.seed(accounts)
    demo.seed(accounts)
    demo.seed(accounts)  # twice: nothing doubles
    pat = accounts["patient"].patient
    report = LabReport.objects.get(patient=pat)
    assert report.kind == "csf" and report.released_at is not None
    assert {value.analyte.code for value in report.values.all()} >= {"csf_wbc", "csf_serum_glucose_ratio"}
    opened = open_report_file(report=report, user=accounts["patient"])
    assert b"CEREBROSPINAL FLUID" in opened.content
    assert LabRequest.objects.filter(patient=pat, status="pending").count() == 1


def test_demo_without_patients_is_a_no_op():
    demo.seed(seed_accounts())
    assert not LabReport.objects.exists()
