"""Issue 16 point 5: blood cultures can be entered. A care-team clinician types the
result of an order for blood cultures: the preliminary at 48 hours, then the final
at 5 days, each an organism or no growth. The patient reads it in plain words once
released; the FHIR export carries it as LOINC 600-7. Bad input is a 400 naming the
field, with nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle

from labs.models import BloodCultureResult, LabReport, LabRequest
from labs.services import enter_blood_culture, mark_report_entered_in_error, release_lab_report, request_labs
from messaging.models import InboxItem
from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

DRAWN = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
AT_48H = DRAWN + timedelta(hours=49)
AT_5D = DRAWN + timedelta(days=5, hours=1)


def place_order(clinician, patient, tests=("blood_culture",)) -> LabRequest:
    with time_machine.travel(DRAWN - timedelta(hours=1), tick=False):
        return request_labs(requested_by=clinician, patient=patient, tests=list(tests), reason="Fever on day 3.")


@pytest.fixture
def culture_order(clinician, patient) -> LabRequest:
    return place_order(clinician, patient)


def post(client, patient, order, **body):
    payload = {
        "patient": patient.pk,
        "lab_request": order.pk,
        "stage": "preliminary",
        "collected_at": DRAWN.isoformat(),
    }
    payload.update(body)
    return client.post("/api/v1/blood-cultures/", payload, format="json")


def nothing_saved() -> bool:
    return not LabReport.objects.exists() and not BloodCultureResult.objects.exists()


@time_machine.travel(AT_48H, tick=False)
def test_no_growth_at_48_hours_is_a_preliminary_unreleased_report(client_for, clinician, patient, culture_order):
    response = post(client_for(clinician), patient, culture_order, no_growth=True)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "blood" and body["released"] is False and body["answers_request"] == culture_order.pk
    assert body["culture"] == {
        "stage": "preliminary",
        "growth": "no_growth",
        "organism": "",
        "text": "No growth at 48 h (preliminary)",
    }
    assert body["file"] is None and body["values"] == []
    item = InboxItem.objects.get(kind="lab_result", source_id=str(body["id"]))
    assert (item.priority, item.summary) == ("normal", "Blood culture: preliminary result to review")
    assert AuditEvent.objects.filter(action="lab_report.culture", actor=clinician, patient_id=patient.pk).exists()
    # The patient sees nothing until it is released.
    assert client_for(patient.user).get(f"/api/v1/lab-reports/{body['id']}/").status_code == 404


def test_preliminary_then_final_no_growth_at_5_days(client_for, clinician, patient, culture_order):
    client = client_for(clinician)
    with time_machine.travel(AT_48H, tick=False):
        assert post(client, patient, culture_order, no_growth=True).status_code == 201
    with time_machine.travel(AT_5D, tick=False):
        # The final is of the same specimen: its collection time comes from the preliminary.
        response = post(client, patient, culture_order, stage="final", no_growth=True, collected_at=None)
    assert response.status_code == 201, response.content
    assert response.json()["culture"]["text"] == "No growth at 5 days (final)"
    assert response.json()["collected_at"].startswith("2026-11-20T08:00")
    assert BloodCultureResult.objects.filter(report__answers_request=culture_order).count() == 2


@time_machine.travel(AT_48H, tick=False)
def test_an_organism_is_a_high_priority_review_without_the_organism_in_the_row(
    client_for, clinician, patient, culture_order
):
    response = post(client_for(clinician), patient, culture_order, organism="  Staphylococcus   aureus ")
    assert response.status_code == 201, response.content
    assert response.json()["culture"]["organism"] == "Staphylococcus aureus"
    item = InboxItem.objects.get(kind="lab_result")
    assert item.priority == "high" and "aureus" not in item.summary


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"no_growth": True, "organism": "Escherichia coli"}, "organism"),  # both
        ({}, "organism"),  # neither
        ({"no_growth": False, "organism": "   "}, "organism"),  # blank is neither
        ({"organism": "x" * 201}, "organism"),
        ({"no_growth": True, "stage": "day3"}, "stage"),
        ({"no_growth": True, "lab_request": None}, "lab_request"),
        ({"no_growth": True, "collected_at": None}, "collected_at"),
        ({"no_growth": True, "collected_at": "last Tuesday"}, "collected_at"),
        ({"no_growth": True, "collected_at": "2026-11-23T08:00:00Z"}, "collected_at"),  # in the future
    ],
)
@time_machine.travel(AT_48H, tick=False)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(
    client_for, clinician, patient, culture_order, body, field
):
    response = post(client_for(clinician), patient, culture_order, **body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert nothing_saved()


@time_machine.travel(AT_5D, tick=False)
def test_a_final_before_its_preliminary_is_refused(client_for, clinician, patient, culture_order):
    response = post(client_for(clinician), patient, culture_order, stage="final", no_growth=True)
    assert response.status_code == 400
    assert "preliminary" in response.json()["stage"][0]
    assert nothing_saved()


def test_each_stage_once_and_nothing_after_the_final(client_for, clinician, patient, culture_order):
    client = client_for(clinician)
    with time_machine.travel(AT_5D, tick=False):
        assert post(client, patient, culture_order, no_growth=True).status_code == 201
        again = post(client, patient, culture_order, no_growth=True)
        assert again.status_code == 400 and "already has its preliminary" in again.json()["stage"][0]
        assert post(client, patient, culture_order, stage="final", organism="Escherichia coli").status_code == 201
        after = post(client, patient, culture_order, stage="final", organism="Escherichia coli")
        assert after.status_code == 400 and "final" in after.json()["stage"][0]
    assert LabReport.objects.count() == 2


def test_no_growth_cannot_be_recorded_before_its_time(client_for, clinician, patient, culture_order):
    client = client_for(clinician)
    with time_machine.travel(DRAWN + timedelta(hours=30), tick=False):
        early = post(client, patient, culture_order, no_growth=True)
        assert early.status_code == 400 and "48 hours" in early.json()["stage"][0]
        # Growth can be reported as soon as the lab sees it.
        assert post(client, patient, culture_order, organism="Gram-positive cocci in clusters").status_code == 201
    with time_machine.travel(DRAWN + timedelta(days=3), tick=False):
        early_final = post(client, patient, culture_order, stage="final", organism="Staphylococcus aureus")
        assert early_final.status_code == 201  # an identification is final when the lab says so


def test_a_final_no_growth_after_a_preliminary_growth_is_refused_until_that_is_withdrawn(
    client_for, clinician, patient, culture_order
):
    client = client_for(clinician)
    with time_machine.travel(AT_48H, tick=False):
        preliminary = post(client, patient, culture_order, organism="Staphylococcus epidermidis").json()
    with time_machine.travel(AT_5D, tick=False):
        response = post(client, patient, culture_order, stage="final", no_growth=True, collected_at=None)
        assert response.status_code == 400 and "no_growth" in response.json()
        report = LabReport.objects.get(pk=preliminary["id"])
        mark_report_entered_in_error(report=report, marked_by=clinician, reason="Wrong patient's bottle.")
        # With the preliminary withdrawn, the culture starts again from its preliminary.
        assert post(client, patient, culture_order, stage="final", no_growth=True).status_code == 400
        assert post(client, patient, culture_order, no_growth=True).status_code == 201


@time_machine.travel(AT_48H, tick=False)
def test_another_patients_order_is_a_400_naming_the_order(client_for, clinician, patient, other_patient):
    from patients.models import CareTeamGrant

    CareTeamGrant.objects.create(patient=other_patient, clinician=clinician)
    others = place_order(clinician, other_patient)
    response = post(client_for(clinician), patient, others, no_growth=True)
    assert response.status_code == 400
    assert response.json() == {"lab_request": ["Unknown lab order for this patient."]}
    assert nothing_saved()


@time_machine.travel(AT_48H, tick=False)
def test_an_order_without_blood_cultures_or_still_pending_is_refused(client_for, clinician, patient):
    crp_only = place_order(clinician, patient, tests=("crp",))
    response = post(client_for(clinician), patient, crp_only, no_growth=True)
    assert response.status_code == 400 and "blood cultures" in response.json()["lab_request"][0]
    with time_machine.travel(DRAWN - timedelta(hours=2), tick=False):
        asked = request_labs(requested_by=patient.user, patient=patient, tests=["blood_culture"], reason="Fever.")
    response = post(client_for(clinician), patient, asked, no_growth=True)
    assert response.status_code == 400 and "lab_request" in response.json()
    assert nothing_saved()


@time_machine.travel(AT_48H, tick=False)
def test_only_care_team_clinicians_enter_results(client_for, patient, outsider_clinician, culture_order):
    assert post(client_for(patient.user), patient, culture_order, no_growth=True).status_code == 403
    response = post(client_for(outsider_clinician), patient, culture_order, no_growth=True)
    assert response.status_code == 400 and response.json() == {"patient": ["Unknown patient."]}
    assert nothing_saved()


def test_the_patient_reads_it_in_plain_words_once_released(client_for, clinician, patient, culture_order):
    with time_machine.travel(AT_48H, tick=False):
        report = enter_blood_culture(
            entered_by=clinician,
            patient=patient,
            lab_request_id=culture_order.pk,
            stage="preliminary",
            no_growth=True,
            collected_at=DRAWN,
        )
        release_lab_report(report=report, released_by=clinician)
    client = client_for(patient.user)
    body = client.get(f"/api/v1/lab-reports/{report.pk}/").json()
    assert body["culture"]["text"] == "No germs have grown in your blood culture after 48 hours."
    page = client.get(f"/labs/reports/{report.pk}/").content.decode()
    assert "No germs have grown in your blood culture after 48 hours." in page
    assert "preliminary result" in page and "5 days" in page
    for words in ("reassuring", "ruled out", "rules out"):
        assert words not in page.lower()
    assert "Download the report" not in page  # typed in: there is no file
    assert client.get(f"/api/v1/lab-reports/{report.pk}/file/").status_code == 404
    index = client.get("/labs/").content.decode()
    assert "Blood culture, preliminary result: no germs grew." in index


def test_the_clinician_enters_it_on_the_order_page(client_for, clinician, patient, culture_order):
    clinician.time_zone = "America/New_York"
    clinician.save(update_fields=["time_zone"])
    client = client_for(clinician)
    order_page = client.get(f"/labs/requests/{culture_order.pk}/").content.decode()
    assert f"/labs/requests/{culture_order.pk}/culture/" in order_page
    with time_machine.travel(AT_48H, tick=False):
        both = client.post(
            f"/labs/requests/{culture_order.pk}/culture/",
            {"stage": "preliminary", "result": "no_growth", "organism": "E. coli", "collected_at": "2026-11-20T03:00"},
        )
        assert both.status_code == 200 and "not both" in both.content.decode()
        assert nothing_saved()
        response = client.post(
            f"/labs/requests/{culture_order.pk}/culture/",
            {
                "stage": "preliminary",
                "result": "organism",
                "organism": "Escherichia coli",
                "collected_at": "2026-11-20T03:00",
            },
            follow=True,
        )
    page = response.content.decode()
    assert "Growth: Escherichia coli (preliminary)" in page
    report = LabReport.objects.get()
    assert report.collected_at == DRAWN  # 03:00 in the clinician's New York time zone
    assert "Download the report" not in page


def test_the_fhir_export_carries_the_culture_as_loinc_600_7(client_for, clinician, patient, culture_order):
    with time_machine.travel(AT_48H, tick=False):
        kwargs = {"entered_by": clinician, "patient": patient, "lab_request_id": culture_order.pk}
        preliminary = enter_blood_culture(**kwargs, stage="preliminary", no_growth=True, collected_at=DRAWN)
        release_lab_report(report=preliminary, released_by=clinician)
    with time_machine.travel(AT_5D, tick=False):
        final = enter_blood_culture(**kwargs, stage="final", organism="Staphylococcus aureus")
        release_lab_report(report=final, released_by=clinician)
    response = client_for(clinician).get(f"/fhir/R4/Patient/{patient.pk}/$everything")
    Bundle.model_validate_json(response.content)  # valid FHIR, the culture resources included
    bundle = response.json()
    resources = {entry["resource"]["id"]: entry["resource"] for entry in bundle["entry"]}
    first, last = resources[f"blood-culture-{preliminary.pk}"], resources[f"blood-culture-{final.pk}"]
    assert first["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "600-7",
        "display": "Bacteria identified in Blood by Culture",
    }
    assert first["status"] == "preliminary"
    assert first["valueCodeableConcept"]["coding"][0]["code"] == "264868006"
    assert last["status"] == "final" and last["valueCodeableConcept"] == {"text": "Staphylococcus aureus"}
    report = resources[f"lab-report-{final.pk}"]
    assert report["status"] == "final" and report["code"]["coding"][0]["code"] == "600-7"
    assert report["result"] == [{"reference": f"Observation/blood-culture-{final.pk}"}]
    assert "presentedForm" not in report
