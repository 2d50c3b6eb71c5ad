"""List endpoints and pages run a fixed number of queries whatever the number of
entries or patients (10 rows and 200 rows, the same ceiling)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messaging.services import post_inbox_item
from patients.models import CareTeamGrant, SymptomEntry
from tests.factories import PatientFactory

NOW = datetime.now(UTC)


def add_entries(patient, n):
    SymptomEntry.objects.bulk_create(
        SymptomEntry(patient=patient, recorded_at=NOW - timedelta(hours=i), back_pain=i % 11, headache=(i * 3) % 11)
        for i in range(n)
    )


def add_patients(clinician, n):
    for i in range(n):
        p = PatientFactory(user__email=f"listed{i}@example.test")
        CareTeamGrant.objects.create(patient=p, clinician=clinician)
        add_entries(p, 2)
        if i % 3 == 0:
            post_inbox_item(
                kind="alert", patient=p, priority="high", summary="alert", source_type="t", source_id=str(i)
            )


# Measured: 6 (API) and 12 (page: session, user, patient, procedure banner, thresholds,
# trend, count, page...) whatever the number of rows; a little headroom for middleware.
SYMPTOM_LIST_API_QUERIES = 8
HISTORY_PAGE_QUERIES = 14
# Measured: 8 (API) and 10 (page), with open-alert counts from the inbox as subqueries.
PATIENT_LIST_API_QUERIES = 10
PATIENT_LIST_PAGE_QUERIES = 12


@pytest.mark.parametrize("n", [10, 200])
def test_symptom_list_api(patient, patient_api, django_assert_max_num_queries, n):
    add_entries(patient, n)
    with django_assert_max_num_queries(SYMPTOM_LIST_API_QUERIES):
        assert patient_api.get("/api/v1/symptoms/").status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_history_page(patient, client_for, django_assert_max_num_queries, n):
    add_entries(patient, n)
    client = client_for(patient.user)
    with django_assert_max_num_queries(HISTORY_PAGE_QUERIES):
        assert client.get("/history/").status_code == 200


@pytest.mark.parametrize("n", [10, 200])
def test_clinician_patient_list_api(clinician, clinician_api, django_assert_max_num_queries, n):
    add_patients(clinician, n)
    with django_assert_max_num_queries(PATIENT_LIST_API_QUERIES):
        body = clinician_api.get("/api/v1/patients/", {"page_size": 200}).json()
    assert body["count"] == n + 1


@pytest.mark.parametrize("n", [10, 200])
def test_clinician_patient_list_page(clinician, client_for, django_assert_max_num_queries, n):
    add_patients(clinician, n)
    client = client_for(clinician)
    with django_assert_max_num_queries(PATIENT_LIST_PAGE_QUERIES):
        assert client.get("/patients/").status_code == 200
