"""GET /fhir/R4/Patient/<id>/$everything: the patient's record as FHIR R4.

Every resource is checked by parsing the whole Bundle back with fhir.resources' models
(R4B, the R4 line of the library): a field the model does not know, a wrong type or a
missing required element fails the test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire

from patients.models import SymptomEntry
from patients.questions import YES_NO_FIELDS
from portal.audit.models import AuditEvent
from tests.factories import AdminFactory, CareTeamGrantFactory
from tests.interop.conftest import FHIR, everything_url

pytestmark = pytest.mark.django_db


def get_everything(client, patient_id, query: str = "", **headers):
    return client.get(everything_url(patient_id, query), HTTP_ACCEPT=headers.get("accept", FHIR))


def resources(bundle: dict, kind: str | None = None) -> list[dict]:
    found = [entry["resource"] for entry in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def by_id(bundle: dict, kind: str, resource_id: str) -> dict:
    return next(r for r in resources(bundle, kind) if r["id"] == resource_id)


def test_the_whole_bundle_parses_back_with_the_fhir_models(client_for, patient, record):
    response = get_everything(client_for(patient.user), patient.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "searchset"
    kinds = sorted({entry.resource.get_resource_type() for entry in bundle.entry})
    assert kinds == [
        "CareTeam",
        "DiagnosticReport",
        "Flag",
        "MedicationStatement",
        "Observation",
        "Patient",
        "Procedure",
        "QuestionnaireResponse",
    ]
    # Every entry's full URL names its resource.
    for entry in bundle.entry:
        assert entry.fullUrl.endswith(f"/fhir/R4/{entry.resource.get_resource_type()}/{entry.resource.id}")


def test_patient_and_procedure(client_for, patient, record):
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    (resource,) = resources(bundle, "Patient")
    assert resource["id"] == str(patient.pk)
    assert resource["gender"] == "female"
    assert resource["birthDate"] == "1980-05-17"
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "277762005", "display": "Lumbar puncture"}
    ]
    assert procedure["code"]["text"] == "Diagnostic lumbar puncture"
    assert procedure["usedCode"][0]["coding"][0]["code"] == "atraumatic"
    assert procedure["usedCode"][0]["text"] == "Atraumatic (pencil-point) spinal needle, 22 gauge"
    gauge = next(e for e in procedure["extension"] if e["url"].endswith("/needle-gauge"))
    assert gauge["valueInteger"] == 22


def test_diary_values_as_observations_temperature_in_celsius_as_stored(client_for, patient, record):
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    fever = record["entries"][1]
    temperature = by_id(bundle, "Observation", f"entry-{fever.pk}-temperature")
    assert temperature["code"]["coding"][0]["code"] == "8310-5"
    # 100.4 °F was entered: stored as exactly 38.00 °C, exported so (not a rounded display).
    assert temperature["valueQuantity"] == {
        "value": 38,
        "unit": "Cel",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    assert Decimal(str(temperature["valueQuantity"]["value"])) == fever.temperature_c
    headache = by_id(bundle, "Observation", f"entry-{fever.pk}-headache")
    back = by_id(bundle, "Observation", f"entry-{fever.pk}-back-pain")
    assert headache["code"]["coding"][0]["code"] == back["code"]["coding"][0]["code"] == "72514-3"
    assert headache["bodySite"]["coding"][0]["code"] == "69536005"
    assert back["bodySite"]["coding"][0]["code"] == "37822005"
    assert (headache["valueInteger"], back["valueInteger"]) == (3, 3)
    assert headache["derivedFrom"] == [{"reference": f"QuestionnaireResponse/entry-{fever.pk}"}]
    # No temperature was measured in the other entries: no temperature observation.
    quiet = record["entries"][0]
    assert not [r for r in resources(bundle, "Observation") if r["id"] == f"entry-{quiet.pk}-temperature"]


def test_one_questionnaire_response_per_entry_answering_the_published_questionnaire(
    client, client_for, patient, record
):
    questionnaire = client.get("/fhir/R4/Questionnaire/aftercare-diary", HTTP_ACCEPT=FHIR)
    assert questionnaire.status_code == 200
    published = Questionnaire.model_validate_json(questionnaire.content)
    questions = {item.linkId: item.text for item in published.item}
    assert len([item for item in published.item if item.type == "boolean"]) == len(YES_NO_FIELDS) == 14
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    responses = resources(bundle, "QuestionnaireResponse")
    assert sorted(r["id"] for r in responses) == sorted(f"entry-{e.pk}" for e in record["entries"])
    quiet = by_id(bundle, "QuestionnaireResponse", f"entry-{record['entries'][0].pk}")
    assert quiet["questionnaire"] == published.url
    answers = {item["linkId"]: item["answer"][0] for item in quiet["item"]}
    assert answers["positional_headache"] == {"valueBoolean": True}
    assert answers["vomiting"] == {"valueBoolean": False}
    assert answers["notes"] == {"valueString": "dizzy"}
    for item in quiet["item"]:
        assert item["text"] == questions[item["linkId"]]
    assert quiet["author"] == {"reference": f"Patient/{patient.pk}"}


def test_a_question_an_older_entry_was_not_asked_has_no_answer(client_for, patient, record):
    """seizure and rash came later: an entry from before holds None for them, exported as
    no answer at all, never a "no" (CLINICAL.md section 1)."""
    older = record["entries"][0]
    SymptomEntry.objects.filter(pk=older.pk).update(seizure=None, rash=None)
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    answered = {item["linkId"] for item in by_id(bundle, "QuestionnaireResponse", f"entry-{older.pk}")["item"]}
    assert "seizure" not in answered and "rash" not in answered and "vomiting" in answered
    newer = record["entries"][-1]
    answers = {
        item["linkId"]: item["answer"][0]
        for item in by_id(bundle, "QuestionnaireResponse", f"entry-{newer.pk}")["item"]
    }
    assert answers["seizure"] == answers["rash"] == {"valueBoolean": False}


def test_released_labs_only_with_loinc_ucum_range_and_interpretation(client_for, clinician, patient, record):
    bundle = get_everything(client_for(clinician), patient.pk).json()
    (report,) = resources(bundle, "DiagnosticReport")
    assert report["id"] == f"lab-report-{record['released'].pk}"
    assert len(report["result"]) == 6  # five sent, and the glucose ratio computed
    values = {v.analyte.code: v for v in record["released"].values.select_related("analyte")}
    glucose = by_id(bundle, "Observation", f"lab-value-{values['csf_glucose'].pk}")
    assert glucose["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "2342-4",
        "display": "Glucose [Mass/volume] in Cerebral spinal fluid",
    }
    # 2.2 mmol/L was sent: stored and exported in the analyte's unit (x 18).
    assert glucose["valueQuantity"] == {
        "value": 39.6,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    }
    assert glucose["interpretation"][0]["coding"][0]["code"] == "L"
    assert glucose["referenceRange"][0]["low"]["value"] == 45
    assert glucose["referenceRange"][0]["high"]["value"] == 80
    assert "glucose" in glucose["note"][0]["text"].lower()
    wbc = by_id(bundle, "Observation", f"lab-value-{values['csf_wbc'].pk}")
    assert wbc["valueQuantity"]["code"] == "/uL"
    assert wbc["interpretation"][0]["coding"][0]["code"] == "H"
    pressure = by_id(bundle, "Observation", f"lab-value-{values['opening_pressure'].pk}")
    assert [c["system"].rsplit("/", 1)[-1] for c in pressure["code"]["coding"]] == ["analyte"]  # no LOINC code seeded
    assert pressure["valueQuantity"]["code"] == "mm[H2O]"
    assert f"lab-report-{record['unreleased'].pk}" not in {r["id"] for r in resources(bundle, "DiagnosticReport")}


def test_alerts_doses_and_care_team(client_for, patient, clinician, record):
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    flag = by_id(bundle, "Flag", f"alert-{record['alert'].pk}")
    assert flag["status"] == "inactive"  # resolved
    assert flag["code"]["coding"][0]["code"] == "fever"
    assert "end" in flag["period"]
    statement = by_id(bundle, "MedicationStatement", f"dose-{record['dose'].pk}")
    assert statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 500
    (team,) = resources(bundle, "CareTeam")
    assert team["status"] == "active"
    assert [p["member"]["identifier"]["value"] for p in team["participant"]] == [str(clinician.pk)]


def test_an_entry_entered_in_error_is_exported_as_such(client_for, patient, record):
    from patients.services import mark_entry_entered_in_error

    entry = record["entries"][2]
    mark_entry_entered_in_error(entry=entry, marked_by=patient.user, reason="wrong day")
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    assert by_id(bundle, "QuestionnaireResponse", f"entry-{entry.pk}")["status"] == "entered-in-error"
    assert by_id(bundle, "Observation", f"entry-{entry.pk}-headache")["status"] == "entered-in-error"


# --- Who may ask ---------------------------------------------------------------------------


def test_another_patients_id_is_404_like_a_missing_one(client_for, patient, other_patient, record):
    client = client_for(other_patient.user)
    theirs = get_everything(client, patient.pk)
    missing = get_everything(client, 987654321)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert theirs.json()["resourceType"] == "OperationOutcome"
    assert get_everything(client, "not-a-number").status_code == 404


def test_a_clinician_outside_the_care_team_gets_404(client_for, patient, outsider_clinician, record):
    assert get_everything(client_for(outsider_clinician), patient.pk).status_code == 404


def test_a_clinician_without_mfa_gets_403_mfa_required(client_for, patient, clinician_without_mfa):
    response = get_everything(client_for(clinician_without_mfa), patient.pk)
    assert response.status_code == 403
    issue = response.json()["issue"][0]
    assert issue["code"] == "security"
    assert issue["details"]["coding"][0]["code"] == "mfa_required"


def test_anonymous_401_and_admin_403(anon_client, client_for, patient):
    assert get_everything(anon_client, patient.pk).status_code == 401
    assert get_everything(client_for(AdminFactory()), patient.pk).status_code == 403


def test_a_care_team_read_is_audited_the_patients_own_is_not(client_for, patient, clinician, record):
    before = AuditEvent.objects.count()
    get_everything(client_for(patient.user), patient.pk)
    assert AuditEvent.objects.count() == before
    assert get_everything(client_for(clinician), patient.pk).status_code == 200
    (event,) = AuditEvent.objects.filter(action="fhir.everything.read")
    assert (event.actor, event.patient_id) == (clinician, patient.pk)


def test_a_revoked_grant_ends_access_at_once(client_for, patient, clinician, record):
    from patients.models import CareTeamGrant

    client = client_for(clinician)
    assert get_everything(client, patient.pk).status_code == 200
    CareTeamGrant.objects.filter(clinician=clinician).update(revoked_at="2026-01-01T00:00:00Z")
    assert get_everything(client, patient.pk).status_code == 404


# --- Formats, paging, _since -----------------------------------------------------------------


def test_accept_json_is_served_and_other_formats_are_406(client_for, patient, record):
    client = client_for(patient.user)
    assert get_everything(client, patient.pk, accept="application/json")["Content-Type"].startswith("application/json")
    refused = get_everything(client, patient.pk, accept="text/html")
    assert refused.status_code == 406
    assert refused.json()["resourceType"] == "OperationOutcome"


def test_paging_walks_the_whole_record_without_splitting_a_record(client_for, patient, record):
    client = client_for(patient.user)
    whole = get_everything(client, patient.pk).json()
    seen, url, pages = [], everything_url(patient.pk, "_count=2"), 0
    while url:
        page = client.get(url.replace("http://testserver", ""), HTTP_ACCEPT=FHIR).json()
        Bundle.model_validate(page)
        seen += [entry["fullUrl"] for entry in page["entry"]]
        nxt = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = nxt[0].split("/fhir/R4", 1)[1] if nxt else None
        url = f"/fhir/R4{url}" if url else None
        pages += 1
    assert seen == [entry["fullUrl"] for entry in whole["entry"]]
    # 9 records (patient, procedure, care team, 3 entries, a dose, an alert, a report) in pages of 2.
    assert pages == 5


def test_since_returns_only_what_changed(client_for, patient, record, frozen_clock):
    from datetime import timedelta

    from django.utils import timezone

    frozen_clock.shift(timedelta(hours=1))
    later = timezone.now()
    frozen_clock.shift(timedelta(minutes=1))
    from patients.diary import submit_symptom_entry
    from tests.factories import diary_answers

    new = submit_symptom_entry(
        patient=patient, data=diary_answers(back_pain=0, headache=0), entered_by=patient.user
    ).entry
    client = client_for(patient.user)  # signed in now: the patient's session would have timed out
    response = get_everything(client, patient.pk, "_since=" + later.isoformat().replace("+00:00", "Z"))
    assert response.status_code == 200, response.content
    bundle = response.json()
    ids = {(r["resourceType"], r["id"]) for r in resources(bundle)}
    assert ("QuestionnaireResponse", f"entry-{new.pk}") in ids
    assert not any(kind == "DiagnosticReport" for kind, _ in ids)
    assert ("QuestionnaireResponse", f"entry-{record['entries'][0].pk}") not in ids


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("_count=0", "_count"),
        ("_count=abc", "_count"),
        ("_count=1001", "_count"),
        ("_offset=-1", "_offset"),
        ("_since=yesterday", "_since"),
        ("_since=2026-01-01T00:00:00", "_since"),
    ],
)
def test_bad_parameters_are_400_naming_them(client_for, patient, query, name):
    response = get_everything(client_for(patient.user), patient.pk, query)
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"].startswith(name)


def test_the_export_reads_in_a_fixed_number_of_queries(
    client_for, patient, clinician, record, django_assert_max_num_queries
):
    from tests.factories import SymptomEntryFactory

    SymptomEntryFactory.create_batch(20, patient=patient)
    client = client_for(clinician)
    with django_assert_max_num_queries(40):
        assert get_everything(client, patient.pk).status_code == 200


def test_a_patient_with_two_care_team_clinicians_has_both_in_the_care_team(
    client_for, patient, clinician, outsider_clinician, record
):
    CareTeamGrantFactory(patient=patient, clinician=outsider_clinician)
    bundle = get_everything(client_for(patient.user), patient.pk).json()
    (team,) = resources(bundle, "CareTeam")
    assert len(team["participant"]) == 2
