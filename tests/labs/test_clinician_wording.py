"""A clinician reads a lab value about the result, not "Your value is ..." (issue 16,
point 4: the chart and the pages it leads to speak to the clinician)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_a_clinician_reads_each_value_about_the_result(client_for, clinician, patient, make_report):
    report = make_report(
        values=[
            {"analyte": "csf_wbc", "value": 12, "unit": "cells/uL"},
            {"analyte": "csf_rbc", "value": 40, "unit": "cells/uL"},
        ]
    )
    page = client_for(clinician).get(f"/labs/reports/{report.pk}/").content.decode()
    assert "Your value" not in page
    assert "CSF WBC 12 cells/µL, above the usual range (0\u20135 cells/µL)." in page
    assert re.search(r'<svg class="range-bar"[^>]*aria-label="CSF WBC 12 cells/µL, above', page)


def test_the_patient_still_reads_your_value(client_for, patient, make_report):
    report = make_report(released=True, values=[{"analyte": "csf_wbc", "value": 12, "unit": "cells/uL"}])
    page = client_for(patient.user).get(f"/labs/reports/{report.pk}/").content.decode()
    assert "Your value is 12 cells/µL, above the usual range" in page
