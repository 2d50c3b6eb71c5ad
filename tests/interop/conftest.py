"""FHIR fixtures: a patient's record with one of everything, lab Bundles, a lab system."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.services import resolve_alert
from interop.services import create_integration_client
from labs.services import release_lab_report, upload_lab_report
from patients.diary import log_medication_dose, submit_symptom_entry
from tests.factories import AdminFactory, diary_answers

FHIR = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def everything_url(patient_id, query: str = "") -> str:
    return f"/fhir/R4/Patient/{patient_id}/$everything" + (f"?{query}" if query else "")


@pytest.fixture
def record(patient, clinician):
    """The patient's record: three diary entries (one with a fever that raised an alert,
    later resolved), a dose, a released CSF report and an unreleased blood report."""
    now = timezone.now()
    quiet = submit_symptom_entry(
        patient=patient,
        data=diary_answers(
            back_pain=2, headache=5, positional_headache=True, notes="dizzy", recorded_at=now - timedelta(hours=5)
        ),
        entered_by=patient.user,
    )
    fever = submit_symptom_entry(
        patient=patient,
        data=diary_answers(back_pain=3, headache=3, temperature_f="100.4", recorded_at=now - timedelta(hours=4)),
        entered_by=patient.user,
    )
    from alerts.models import Alert

    alert = Alert.objects.get(pk=fever.alert_ids[0])
    resolve_alert(alert=alert, by=clinician, note="Called")
    plain = submit_symptom_entry(patient=patient, data=diary_answers(back_pain=1, headache=1), entered_by=patient.user)
    dose = log_medication_dose(
        patient=patient,
        data={"medication_class": "acetaminophen", "dose_mg": 500, "taken_at": (now - timedelta(hours=1)).isoformat()},
        entered_by=patient.user,
    ).dose
    released = upload_lab_report(
        uploaded_by=clinician,
        patient=patient,
        kind="csf",
        collected_at=now - timedelta(hours=3),
        values=[
            {"analyte": "csf_wbc", "value": 12, "unit": "cells/uL"},
            {"analyte": "csf_glucose", "value": 2.2, "unit": "mmol/L"},
            {"analyte": "serum_glucose", "value": 90, "unit": "mg/dL"},
            {"analyte": "csf_protein", "value": 0.5, "unit": "g/L"},
            {"analyte": "opening_pressure", "value": 18, "unit": "cmH2O"},
        ],
        file_content=b"CSF analysis\n",
        file_name="csf.txt",
    )
    release_lab_report(report=released, released_by=clinician)
    unreleased = upload_lab_report(
        uploaded_by=clinician,
        patient=patient,
        kind="blood",
        collected_at=now - timedelta(hours=2),
        values=[{"analyte": "crp", "value": 12, "unit": "mg/L"}],
        file_content=b"CRP\n",
        file_name="crp.txt",
    )
    return {
        "entries": [quiet.entry, fever.entry, plain.entry],
        "alert": alert,
        "dose": dose,
        "released": released,
        "unreleased": unreleased,
    }


def observation(loinc: str, value, ucum: str, *, low=None, high=None, full_url: str | None = None) -> dict:
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "valueQuantity": {"value": value, "system": UCUM, "code": ucum},
    }
    if low is not None or high is not None:
        resource["referenceRange"] = [
            {
                **({"low": {"value": low, "system": UCUM, "code": ucum}} if low is not None else {}),
                **({"high": {"value": high, "system": UCUM, "code": ucum}} if high is not None else {}),
            }
        ]
    return {
        "fullUrl": full_url or f"urn:uuid:{uuid.uuid4()}",
        "resource": resource,
        "request": {"method": "POST", "url": "Observation"},
    }


def lab_bundle(
    patient_id, observations: list[dict], *, identifier: str = "ACC-1", collected_at=None, reports=None
) -> dict:
    """A transaction Bundle with one DiagnosticReport (``reports`` adds more, as
    (identifier, observations) pairs)."""
    collected = (collected_at or timezone.now() - timedelta(hours=1)).isoformat()
    entries = []
    for ident, items in [(identifier, observations), *(reports or [])]:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": {
                    "resourceType": "DiagnosticReport",
                    "identifier": [{"system": "urn:oid:1.2.3.4.5", "value": ident}],
                    "status": "final",
                    "code": {"text": "CSF panel"},
                    "subject": {"reference": f"Patient/{patient_id}"},
                    "effectiveDateTime": collected,
                    "result": [{"reference": item["fullUrl"]} for item in items],
                },
                "request": {"method": "POST", "url": "DiagnosticReport"},
            }
        )
        entries.extend(items)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


@pytest.fixture
def lab_system(db):
    """An integration client and its token (made as an admin would)."""
    client, token = create_integration_client(name="City lab", created_by=AdminFactory(email="lab.admin@example.test"))
    return client, token
