"""A round trip: a patient's released lab reports exported by $everything, sent back as a
transaction Bundle for another patient, read again through the labs API: the same
values, flags, ranges and explanations."""

from __future__ import annotations

import json

import pytest

from labs.services import release_lab_report, upload_lab_report
from tests.factories import CareTeamGrantFactory
from tests.interop.conftest import FHIR, everything_url

pytestmark = pytest.mark.django_db

COMPARED = ("analyte", "value", "shown", "unit", "low", "high", "flag", "band", "explanation", "range_text", "computed")


def as_transaction(bundle: dict, *, patient_id: int) -> dict:
    """What a receiving system would send back: each DiagnosticReport with its
    Observations, about another patient, as POST requests."""
    resources = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e for e in bundle["entry"]}
    entries = []
    for entry in bundle["entry"]:
        report = entry["resource"]
        if report["resourceType"] != "DiagnosticReport":
            continue
        report = {**report, "subject": {"reference": f"Patient/{patient_id}"}}
        entries.append(
            {"fullUrl": entry["fullUrl"], "resource": report, "request": {"method": "POST", "url": "DiagnosticReport"}}
        )
        for result in report["result"]:
            observation = resources[result["reference"]]
            resource = {**observation["resource"], "subject": {"reference": f"Patient/{patient_id}"}}
            entries.append(
                {
                    "fullUrl": observation["fullUrl"],
                    "resource": resource,
                    "request": {"method": "POST", "url": "Observation"},
                }
            )
        report["result"] = [{"reference": resources[r["reference"]]["fullUrl"]} for r in report["result"]]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def values_of(client, report_id) -> list[dict]:
    data = client.get(f"/api/v1/lab-reports/{report_id}/").json()
    return sorted(({key: value[key] for key in COMPARED} for value in data["values"]), key=lambda v: v["analyte"])


def test_export_then_import_for_another_patient_keeps_values_flags_and_explanations(
    client_for, clinician, patient, other_patient, record
):
    from datetime import timedelta

    from django.utils import timezone

    # A second released report: blood, with an ESR against the age/sex limit and a CRP at its limit.
    blood = upload_lab_report(
        uploaded_by=clinician,
        patient=patient,
        kind="blood",
        collected_at=timezone.now() - timedelta(minutes=30),
        values=[
            {"analyte": "crp", "value": 1, "unit": "mg/dL"},  # 10 mg/L: "below 10" means 10 is high
            {"analyte": "esr", "value": 25, "unit": "mm/h"},
            {"analyte": "serum_glucose", "value": 5, "unit": "mmol/L", "low": 4, "high": 6},  # the lab's own range
        ],
        file_content=b"blood\n",
        file_name="blood.txt",
    )
    release_lab_report(report=blood, released_by=clinician)
    CareTeamGrantFactory(patient=other_patient, clinician=clinician)
    # A man: his own ESR limit is lower; the value keeps the limit it was flagged against.
    other_patient.sex = "male"
    other_patient.save(update_fields=["sex"])
    client = client_for(clinician)
    exported = client.get(everything_url(patient.pk), HTTP_ACCEPT=FHIR).json()
    bundle = as_transaction(exported, patient_id=other_patient.pk)
    answer = client.post("/fhir/R4/", data=json.dumps(bundle), content_type=FHIR)
    assert answer.status_code == 200, answer.content
    locations = [
        e["response"]["location"] for e in answer.json()["entry"] if "DiagnosticReport" in e["response"]["location"]
    ]
    assert len(locations) == 2
    imported = [int(location.rsplit("-", 1)[1]) for location in locations]
    originals = [record["released"].pk, blood.pk]
    for original, copy in zip(originals, imported, strict=True):
        before, after = values_of(client, original), values_of(client, copy)
        assert after == before
        assert {v["flag"] for v in after} >= {"high"} or {v["flag"] for v in after} >= {"low"}
    # Both copies are new, unreleased reports of the other patient.
    from labs.models import LabReport

    copies = LabReport.objects.filter(pk__in=imported)
    assert {c.patient_id for c in copies} == {other_patient.pk}
    assert not any(c.is_released for c in copies)
