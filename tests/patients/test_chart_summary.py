"""The clinician's patient chart opens on a summary (issue 16, point 4): how to reach
the patient, the latest values, open alerts grouped by rule with their history
folded, the trend, then labs, medications and care team, in clinician wording, with
a fixed number of queries however long the record."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertRule, AlertStatus
from patients.models import CareTeamGrant, Drug, MedicationDose
from tests.factories import SymptomEntryFactory
from tests.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(clinician):
    client = Client()
    sign_in(client, clinician)
    return client


def add_alerts(patient, code: str, n: int, *, status: str = AlertStatus.OPEN, severity: str = "contact_provider"):
    rule = AlertRule.objects.get(code=code)
    now = timezone.now()
    for i in range(n):
        Alert.objects.create(
            patient=patient,
            rule=rule,
            severity=severity,
            status=status,
            message="Contact your care team today.",
            clinician_message=f"{rule.summary}: review today.",
            dedup_key=f"test:{code}:{status}:{i}",
            created_at=now - timedelta(minutes=10 * i + 1),
            resolved_at=now if status == AlertStatus.RESOLVED else None,
        )


def words(page: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def record(patient, clinician, anesthesiologist):
    patient.phone = "+1 (555) 010-0199"
    patient.save(update_fields=["phone"])
    now = timezone.now()
    SymptomEntryFactory(patient=patient, recorded_at=now - timedelta(hours=8), headache=3, back_pain=2)
    SymptomEntryFactory(
        patient=patient,
        recorded_at=now - timedelta(minutes=30),
        headache=6,
        back_pain=4,
        temperature_c=Decimal("38.6"),
        neck_stiffness=True,
    )
    add_alerts(patient, "score_rise", 12)
    add_alerts(patient, "fever", 2)
    add_alerts(patient, "fever_red_flag", 1, severity="urgent")
    add_alerts(patient, "vomiting", 3, status=AlertStatus.RESOLVED)
    return patient


def test_the_chart_opens_on_the_summary_in_clinician_words(record, web, anesthesiologist):
    response = web.get(f"/patients/{record.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    text = words(page)
    # How to reach the patient comes first: a tap-to-call link, a message, labs.
    assert '<a class="button primary" href="tel:+15550100199">Call +1 (555) 010-0199</a>' in page
    assert f"/messages/?patient={record.pk}" in page and f"/labs/requests/new/?patient={record.pk}" in page
    # The latest values, not the first entry.
    assert "headache 6 /10 · back pain 4 /10 · temperature 38.6 °C" in text
    assert "stiff neck" in text.lower()
    # Open alerts: one line per rule, the urgent one first, the rest folded under it.
    assert text.count("Pain score rising \u00d7 12") == 1
    assert "All 12 “Pain score rising” alerts" in text
    assert text.index("⚠ Urgent") < text.index("Pain score rising \u00d7 12")
    assert re.search(r"<details class=\"alert-history\">\s*<summary>Resolved alerts \(newest 3\)", page)
    # The order of the page: summary, alerts, trend, then labs, medications, care team; entries folded.
    order = ["Latest entry", "Open alerts", "Diary trend", "Labs", "Medications", "Care team", "Diary entries"]
    main = page.split("<main", 1)[1]
    positions = [re.search(rf"<h[23][^>]*>{heading}", main).start() for heading in order]
    assert positions == sorted(positions)
    assert re.search(r"<h2 id=\"history-heading\">Diary entries</h2>\s*<details", page)
    assert anesthesiologist.display_name in text and "(you)" in text
    # Clinician wording: nothing addressed to the patient.
    for patient_words in ("Your value is", "Your trend", "your record", "Contact your care team"):
        assert patient_words not in page


def test_a_patient_without_a_phone_number_says_so(patient, web):
    page = web.get(f"/patients/{patient.pk}/").content.decode()
    assert "No phone number on file." in page and "tel:" not in page.split("<main")[1].split("Open alerts")[0]


def test_the_care_team_says_when_the_triage_pool_has_the_patient(patient, clinician, web):
    CareTeamGrant.objects.filter(patient=patient).exclude(clinician=clinician).delete()
    page = web.get(f"/patients/{patient.pk}/").content.decode()
    assert clinician.display_name in page


def add_record(patient, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        SymptomEntryFactory(patient=patient, recorded_at=now - timedelta(hours=3 * i + 1), headache=i % 11)
    add_alerts(patient, "score_rise", n)
    add_alerts(patient, "fever", n // 2 + 1)
    add_alerts(patient, "neck_stiffness", n, status=AlertStatus.RESOLVED)
    drug = Drug.objects.filter(ingredient="acetaminophen").first()
    for i in range(n):
        MedicationDose.objects.create(
            patient=patient,
            medication_class="acetaminophen",
            drug=drug,
            dose_mg=500,
            taken_at=now - timedelta(hours=5 * i + 1),
        )


# Measured: 38 at 3 and at 30 of each (session and user, the patient and the audit
# writes, the banner, the trend, each panel's one or two reads); a little headroom for
# middleware. A query per alert, entry or dose would pass the ceiling at 30 of each.
CHART_QUERIES = 42


@pytest.mark.parametrize("n", [3, 30])
def test_the_chart_runs_a_fixed_number_of_queries(patient, web, django_assert_max_num_queries, n):
    add_record(patient, n)
    with django_assert_max_num_queries(CHART_QUERIES):
        assert web.get(f"/patients/{patient.pk}/").status_code == 200
