"""POST /fhir/R4/: lab results in a transaction Bundle become an unreleased lab report,
exactly as an upload does (converted, flagged, the review item), once per identifier;
anything wrong is a 400 OperationOutcome naming each problem, and nothing is stored."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from interop.models import ImportedLabReport
from labs.models import LabReport
from messaging.models import InboxItem
from portal.audit.models import AuditEvent
from tests.interop.conftest import FHIR, lab_bundle, observation

pytestmark = pytest.mark.django_db


def post(client, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        "/fhir/R4/", data=data, content_type=headers.pop("content_type", FHIR), HTTP_ACCEPT=FHIR, **headers
    )


def problems(response) -> list[tuple[str, str]]:
    outcome = OperationOutcome.model_validate_json(response.content)
    return [((issue.expression or [""])[0], issue.diagnostics) for issue in outcome.issue]


def low_glucose() -> list[dict]:
    return [observation("2342-4", 2.2, "mmol/L"), observation("26465-5", 3, "/uL")]


def test_a_clinician_imports_an_unreleased_report_converted_and_flagged(client_for, clinician, patient):
    response = post(client_for(clinician), lab_bundle(patient.pk, low_glucose()))
    assert response.status_code == 200, response.content
    answer = Bundle.model_validate_json(response.content)
    assert answer.type == "transaction-response"
    assert [entry.response.status for entry in answer.entry] == ["201 Created"] * 3
    report = LabReport.objects.get(patient=patient)
    assert not report.is_released
    assert (report.uploaded_by, report.kind) == (clinician, "csf")
    values = {v.analyte.code: v for v in report.values.select_related("analyte")}
    assert values["csf_glucose"].value == Decimal("39.6")  # 2.2 mmol/L x 18
    assert (values["csf_glucose"].entered_unit, values["csf_glucose"].flag) == ("mmol/L", "low")
    assert values["csf_wbc"].flag == "normal"
    assert answer.entry[0].response.location == f"DiagnosticReport/lab-report-{report.pk}"
    # The same review item as an upload: a low CSF glucose without a blood glucose asks for one.
    item = InboxItem.objects.get(kind="lab_result", source_id=str(report.pk))
    assert item.priority == "high"
    assert "ask for a blood glucose" in item.summary
    assert AuditEvent.objects.filter(action="lab_report.upload", actor=clinician, patient_id=patient.pk).count() == 1
    # The file is the resources as received.
    assert report.content_type == "text/plain"


def test_a_resend_creates_nothing_new(client_for, clinician, patient):
    client = client_for(clinician)
    bundle = lab_bundle(patient.pk, low_glucose())
    first = post(client, bundle)
    again = post(client, bundle)
    assert first.status_code == again.status_code == 200
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 3
    assert [e["response"]["location"] for e in again.json()["entry"]] == [
        e["response"]["location"] for e in first.json()["entry"]
    ]
    assert LabReport.objects.count() == 1
    assert InboxItem.objects.filter(kind="lab_result").count() == 1


def test_the_identifier_of_another_patients_report_is_refused(client_for, clinician, patient, other_patient):
    from tests.factories import CareTeamGrantFactory

    CareTeamGrantFactory(patient=other_patient, clinician=clinician)
    client = client_for(clinician)
    assert post(client, lab_bundle(patient.pk, low_glucose())).status_code == 200
    refused = post(client, lab_bundle(other_patient.pk, low_glucose()))
    assert refused.status_code == 400
    assert problems(refused) == [
        ("Bundle.entry[0].resource.identifier", "This identifier belongs to another report already.")
    ]


def test_each_problem_is_named_and_nothing_is_stored(client_for, clinician, patient):
    bundle = lab_bundle(
        patient.pk,
        [
            observation("9999-9", 1, "mg/dL"),  # unknown LOINC code
            observation("2880-3", 40, "mmHg"),  # a unit protein cannot be in
            observation("26465-5", 3, "/uL"),
        ],
        reports=[("ACC-2", [observation("1988-5", 5, "mg/L")])],
    )
    del bundle["entry"][3]["resource"]["valueQuantity"]["value"]  # a missing value
    bundle["entry"][5]["resource"]["status"] = "preliminary"
    response = post(client_for(clinician), bundle)
    assert response.status_code == 400
    found = problems(response)
    assert ("Bundle.entry[3].resource.valueQuantity", "The value is missing: send it as valueQuantity.") in found
    assert ("Bundle.entry[5].resource.status", "Only final results are imported (final, amended, corrected).") in found
    assert LabReport.objects.count() == 0 and ImportedLabReport.objects.count() == 0


def test_unknown_code_and_unit_not_convertible(client_for, clinician, patient):
    bundle = lab_bundle(patient.pk, [observation("9999-9", 1, "mg/dL"), observation("2880-3", 40, "mm[Hg]")])
    response = post(client_for(clinician), bundle)
    assert response.status_code == 400
    assert problems(response) == [
        ("Bundle.entry[1].resource.code", "Unknown LOINC code: no analyte of the portal has it."),
        (
            "Bundle.entry[2].resource.valueQuantity.code",
            "Not a unit of CSF protein the portal can convert: send one of mg/dL, g/L.",
        ),
    ]


def test_one_transaction_a_bad_second_report_stores_neither(client_for, clinician, patient):
    bundle = lab_bundle(patient.pk, low_glucose(), reports=[("ACC-2", [observation("1988-5", -5, "mg/L")])])
    response = post(client_for(clinician), bundle)
    assert response.status_code == 400
    assert problems(response)[0][0] == "Bundle.entry[4].resource.valueQuantity"
    assert LabReport.objects.count() == 0
    assert InboxItem.objects.filter(kind="lab_result").count() == 0


def test_lab_range_is_the_labs_own_unless_it_is_the_usual_one(client_for, clinician, patient):
    bundle = lab_bundle(
        patient.pk,
        [
            observation("1988-5", 10, "mg/L", high=10),  # the usual CRP limit: 10 itself is above it
            observation("30341-2", 30, "mm/h", low=0, high=40),  # the lab's own ESR range
        ],
    )
    assert post(client_for(clinician), bundle).status_code == 200
    values = {v.analyte.code: v for v in LabReport.objects.get().values.select_related("analyte")}
    assert (values["crp"].range_source, values["crp"].flag) == ("default", "high")
    assert (values["esr"].range_source, values["esr"].flag) == ("lab", "normal")


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        ({"hello": "world"}, "Bundle"),
        ({"resourceType": "Patient", "id": "1"}, "Bundle"),
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "Bundle.type"),
        ({"resourceType": "Bundle", "type": "transaction", "entry": []}, "Bundle.entry"),
        ([1, 2, 3], "Bundle"),
    ],
)
def test_not_a_transaction_bundle_is_400(client_for, clinician, body, expression):
    response = post(client_for(clinician), body)
    assert response.status_code == 400
    assert problems(response)[0][0] == expression


def test_a_resource_of_the_wrong_type_or_a_malformed_one_is_named(client_for, clinician, patient):
    bundle = lab_bundle(patient.pk, low_glucose())
    bundle["entry"].append({"resource": {"resourceType": "Patient"}, "request": {"method": "POST", "url": "Patient"}})
    bundle["entry"][1]["resource"]["code"] = "2342-4"  # a string where a CodeableConcept belongs
    response = post(client_for(clinician), bundle)
    assert response.status_code == 400
    found = dict(problems(response))
    assert "Bundle.entry[3].resource" in found
    assert "Bundle.entry[1].resource.code" in found


def test_malformed_json_is_400(client_for, clinician):
    response = post(client_for(clinician), "{not json")
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_ten_thousand_entries_are_413(client_for, clinician, patient):
    entry = observation("26465-5", 3, "/uL")
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry] * 10_000}
    response = post(client_for(clinician), bundle)
    assert response.status_code == 413
    assert problems(response)[0][0] == "Bundle.entry"


def test_another_clinics_or_an_unknown_patient_is_refused_alike(client_for, clinician, patient, other_patient):
    client = client_for(clinician)
    theirs = post(client, lab_bundle(other_patient.pk, low_glucose()))
    missing = post(client, lab_bundle(987654321, low_glucose()))
    elsewhere = lab_bundle(patient.pk, low_glucose())
    elsewhere["entry"][0]["resource"]["subject"]["reference"] = f"https://other.example/fhir/Patient/{patient.pk}"
    remote = post(client, elsewhere)
    assert theirs.status_code == missing.status_code == remote.status_code == 400
    assert theirs.json() == missing.json()
    assert problems(remote)[0][0] == "Bundle.entry[0].resource.subject"
    assert LabReport.objects.count() == 0


def test_who_may_import(client_for, anon_client, patient, clinician_without_mfa, admin):
    bundle = lab_bundle(patient.pk, low_glucose())
    assert post(anon_client, bundle).status_code == 401
    assert post(client_for(patient.user), bundle).status_code == 403
    assert post(client_for(admin), bundle).status_code == 403
    mfa = post(client_for(clinician_without_mfa), bundle)
    assert mfa.status_code == 403
    assert mfa.json()["issue"][0]["details"]["coding"][0]["code"] == "mfa_required"
    assert LabReport.objects.count() == 0


# --- A lab system (integration client) ------------------------------------------------------


def test_a_lab_system_imports_with_its_token(anon_client, lab_system, patient):
    client, token = lab_system
    response = post(anon_client, lab_bundle(patient.pk, low_glucose()), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    report = LabReport.objects.get()
    assert (report.uploaded_by, report.received_from, report.is_released) == (None, "City lab", False)
    event = AuditEvent.objects.get(action="lab_report.receive")
    assert (event.actor, event.role, event.patient_id, event.detail) == (
        None,
        "integration",
        patient.pk,
        "from City lab",
    )
    client.refresh_from_db()
    assert client.last_used_at is not None
    assert ImportedLabReport.objects.get().client == client


def test_a_token_is_stored_hashed_and_a_revoked_one_is_refused_at_once(anon_client, lab_system, patient, admin):
    from interop.services import revoke_integration_client

    client, token = lab_system
    assert token not in client.token_hash and len(client.token_hash) == 64
    revoke_integration_client(client=client, revoked_by=admin)
    response = post(anon_client, lab_bundle(patient.pk, low_glucose()), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="fhir"'
    assert AuditEvent.objects.filter(action="integration_client.revoke", actor=admin).count() == 1
    assert (
        post(anon_client, lab_bundle(patient.pk, low_glucose()), HTTP_AUTHORIZATION="Bearer afc_wrong").status_code
        == 401
    )


def test_the_token_opens_the_import_only(anon_client, lab_system, patient):
    _, token = lab_system
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert anon_client.get(f"/fhir/R4/Patient/{patient.pk}/$everything", **auth).status_code == 401
    assert anon_client.get(f"/api/v1/lab-reports/?patient={patient.pk}", **auth).status_code == 401
    assert anon_client.get("/api/v1/me", **auth).status_code == 401


def test_a_lab_system_cannot_send_for_an_unknown_patient(anon_client, lab_system):
    _, token = lab_system
    response = post(anon_client, lab_bundle(987654321, low_glucose()), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert problems(response) == [("Bundle.entry[0].resource.subject", "The subject is not a patient of this clinic.")]


def test_the_patients_access_log_names_the_lab_system(anon_client, lab_system, patient):
    from patients.access_log import access_log_lines

    _, token = lab_system
    post(anon_client, lab_bundle(patient.pk, low_glucose()), HTTP_AUTHORIZATION=f"Bearer {token}")
    (line,) = [line for line in access_log_lines(patient) if line.action == "lab_report.receive"]
    assert (line.actor, line.role) == ("Lab system City lab", "integration")
    assert line.description == "sent a lab report (for your care team to review first)"
