"""Demo labs for ``seed_demo``: a released CSF report for Pat (values and a small
text file, sealed like any other) and a pending lab request. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from labs.models import LabReport, LabRequest, LabRequestStatus
from labs.services import release_lab_report, request_labs, upload_lab_report
from patients.models import Patient
from patients.selectors import is_on_care_team, latest_procedure

REPORT_TEXT = """\
AFTERCARE DEMO LABORATORY - CEREBROSPINAL FLUID ANALYSIS (demo data, not a real patient)

Opening pressure (lateral decubitus)   180 mmH2O     (60-250)
Appearance                             clear, colourless
White cells                            3 /uL         (0-5)
Red cells                              12 /uL
Glucose                                62 mg/dL      (45-80)
Serum glucose (fasting, same time)     98 mg/dL      (70-99)
CSF/serum glucose ratio                0.63          (>= 0.6)
Protein                                38 mg/dL      (15-45)
Gram stain                             no organisms seen
"""

VALUES = [
    {"analyte": "opening_pressure", "value": 180, "unit": "mmH2O"},
    {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
    {"analyte": "csf_rbc", "value": 12, "unit": "cells/uL"},
    {"analyte": "csf_glucose", "value": 62, "unit": "mg/dL"},
    {"analyte": "serum_glucose", "value": 98, "unit": "mg/dL", "fasting": True},
    {"analyte": "csf_protein", "value": 38, "unit": "mg/dL"},
]


@transaction.atomic
def seed(accounts: dict) -> None:
    patient = Patient.objects.filter(user=accounts.get("patient")).first()
    clinician = accounts.get("neurologist")
    if patient is None or clinician is None or not is_on_care_team(clinician=clinician, patient=patient):
        return  # the patients demo makes Pat and the care team; nothing to attach to yet
    if not LabReport.objects.filter(patient=patient, kind="csf").exists():
        procedure = latest_procedure(patient)
        collected_at = (procedure.performed_at if procedure else timezone.now() - timedelta(days=1)) + timedelta(
            minutes=5
        )
        report = upload_lab_report(
            uploaded_by=clinician,
            patient=patient,
            kind="csf",
            collected_at=collected_at,
            values=VALUES,
            file_content=REPORT_TEXT.encode(),
            file_name="csf-analysis.txt",
        )
        release_lab_report(report=report, released_by=clinician)
    if not LabRequest.objects.filter(patient=patient, status=LabRequestStatus.PENDING).exists():
        request_labs(
            requested_by=patient.user,
            patient=patient,
            tests=["crp", "esr"],
            reason="My lower back still aches around the puncture site. Could we check for inflammation?",
        )
