"""The medication log against each drug's limits (CLINICAL.md section 5).

Each drug has its own label cap (a contact_provider warning at the cap); two
different NSAIDs within 24 hours are "do not combine" (contact_provider); above the
absolute maximum (acetaminophen, caffeine) is urgent with the Poison Control text;
a single dose larger than any product holds is refused as a typing error. Every
warning is an alert raised through the alerts app, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from alerts.models import Alert
from messaging.models import InboxItem
from patients.models import MedicationDose, Procedure
from portal.clinic.models import ClinicSettings

URL = "/api/v1/medications/"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
POISON_CONTROL = "Call Poison Control (1-800-222-1222 in the US) or 911 now, even if you feel well"


@pytest.fixture(autouse=True)
def at_now(patient):
    Procedure.objects.filter(patient=patient).update(performed_at=NOW - timedelta(days=2))
    with time_machine.travel(NOW, tick=False):
        yield


def log(api, medication_class, dose_mg, *, drug=None, hours_ago=0):
    body = {
        "medication_class": medication_class,
        "dose_mg": dose_mg,
        "taken_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
    }
    if drug is not None:
        body["drug"] = drug
    return api.post(URL, body, format="json")


CLASS_OF = {
    "acetaminophen": "acetaminophen",
    "acetaminophen_325": "acetaminophen",
    "ibuprofen": "nsaid",
    "naproxen": "nsaid",
    "caffeine": "caffeine",
}


# --- Boundary tables: at, just below, just above each limit ---------------------------


@pytest.mark.parametrize(
    ("drug", "total", "cap", "over_cap", "severity"),
    [
        # acetaminophen (500 mg products, or the strength is not given): 3,000 mg
        ("acetaminophen", 2999, 3000, False, None),
        ("acetaminophen", 3000, 3000, True, "contact_provider"),
        ("acetaminophen", 3001, 3000, True, "contact_provider"),
        # acetaminophen, 325 mg products: 3,250 mg
        ("acetaminophen_325", 3249, 3250, False, None),
        ("acetaminophen_325", 3250, 3250, True, "contact_provider"),
        ("acetaminophen_325", 3251, 3250, True, "contact_provider"),
        # acetaminophen's absolute maximum: above 4,000 mg in 24 h is urgent
        ("acetaminophen", 4000, 3000, True, "contact_provider"),
        ("acetaminophen", 4001, 3000, True, "urgent"),
        ("acetaminophen_325", 4000, 3250, True, "contact_provider"),
        ("acetaminophen_325", 4001, 3250, True, "urgent"),
        # ibuprofen: 1,200 mg (over the counter)
        ("ibuprofen", 1199, 1200, False, None),
        ("ibuprofen", 1200, 1200, True, "contact_provider"),
        ("ibuprofen", 1201, 1200, True, "contact_provider"),
        # naproxen sodium: 660 mg
        ("naproxen", 659, 660, False, None),
        ("naproxen", 660, 660, True, "contact_provider"),
        ("naproxen", 661, 660, True, "contact_provider"),
        # caffeine: 300 mg from all sources; above 400 mg is urgent
        ("caffeine", 299, 300, False, None),
        ("caffeine", 300, 300, True, "contact_provider"),
        ("caffeine", 301, 300, True, "contact_provider"),
        ("caffeine", 400, 300, True, "contact_provider"),
        ("caffeine", 401, 300, True, "urgent"),
    ],
)
def test_each_drug_against_its_own_limits(patient_api, drug, total, cap, over_cap, severity):
    # Two doses, so the 24-hour sum (not one dose) is what is compared.
    first = total // 2
    log(patient_api, CLASS_OF[drug], first, drug=drug, hours_ago=5)
    body = log(patient_api, CLASS_OF[drug], total - first, drug=drug).json()
    assert (body["total_24h_mg"], body["cap_mg"], body["over_cap"], body["severity"]) == (
        total,
        cap,
        over_cap,
        severity,
    )
    assert bool(body["message"]) == (severity is not None)


@pytest.mark.parametrize(
    ("health", "total", "cap", "over_cap"),
    [
        ({"pregnancy_weeks": 12}, 199, 200, False),  # less than 200 mg when pregnant
        ({"pregnancy_weeks": 12}, 200, 200, True),
        ({"pregnancy_weeks": 12}, 201, 200, True),
        ({"breastfeeding": True}, 299, 300, False),  # no more than 300 mg when breastfeeding
        ({"breastfeeding": True}, 300, 300, True),
        ({"breastfeeding": True}, 301, 300, True),
    ],
)
def test_caffeine_in_pregnancy_and_breastfeeding(patient, patient_api, health, total, cap, over_cap):
    for key, value in health.items():
        setattr(patient, key, value)
    patient.save()
    body = log(patient_api, "caffeine", total).json()
    assert (body["cap_mg"], body["over_cap"]) == (cap, over_cap)


def test_mixing_325_and_500_mg_acetaminophen_products_keeps_the_lower_cap(patient_api):
    log(patient_api, "acetaminophen", 1000, drug="acetaminophen_325", hours_ago=6)
    body = log(patient_api, "acetaminophen", 2000, drug="acetaminophen").json()
    assert (body["total_24h_mg"], body["cap_mg"], body["over_cap"]) == (3000, 3000, True)


@pytest.mark.parametrize(
    ("hours_apart", "combined"),
    [
        (23.99, True),  # just within 24 hours
        (24, False),  # at 24 hours: the rolling 24-hour window has moved on
        (24.01, False),
    ],
)
def test_two_different_nsaids_within_24_hours(patient_api, hours_apart, combined):
    log(patient_api, "nsaid", 200, drug="ibuprofen", hours_ago=hours_apart)
    body = log(patient_api, "nsaid", 220, drug="naproxen").json()
    assert ("medication_nsaid_combination" in body["rules"]) is combined
    assert body["severity"] == ("contact_provider" if combined else None)
    if combined:
        assert "do not combine" in body["message"].lower()


def test_the_same_nsaid_twice_is_not_a_combination(patient_api):
    log(patient_api, "nsaid", 200, drug="ibuprofen", hours_ago=6)
    body = log(patient_api, "nsaid", 200, drug="ibuprofen").json()
    assert body["rules"] == [] and body["severity"] is None


def test_a_late_logged_nsaid_still_meets_the_other_one(patient_api):
    log(patient_api, "nsaid", 220, drug="naproxen", hours_ago=1)
    body = log(patient_api, "nsaid", 200, drug="ibuprofen", hours_ago=20).json()
    assert "medication_nsaid_combination" in body["rules"]


@pytest.mark.parametrize(
    ("drug", "largest"),
    [
        ("acetaminophen", 50000),
        ("acetaminophen_325", 32500),
        ("ibuprofen", 20000),
        ("naproxen", 22000),
        ("caffeine", 20000),
    ],
)
@pytest.mark.parametrize("more", [-1, 0, 1])
def test_a_single_dose_larger_than_any_product_holds_is_refused(patient_api, drug, largest, more):
    response = log(patient_api, CLASS_OF[drug], largest + more, drug=drug)
    if more <= 0:
        assert response.status_code == 201
        return
    assert response.status_code == 400
    (message,) = response.json()["dose_mg"]
    assert "typing error" in message and f"{largest + more:,} mg" in message
    assert "Poison Control" in message  # if it was really taken: never silently
    assert MedicationDose.objects.count() == 0


# --- The defects of issue 13, each shown on the API -------------------------------------


def test_naproxen_is_held_to_its_own_cap_not_ibuprofens(patient_api):
    body = log(patient_api, "nsaid", 660, drug="naproxen").json()
    assert body["drug"] == "naproxen"
    assert (body["cap_mg"], body["over_cap"], body["severity"]) == (660, True, "contact_provider")


def test_naproxen_is_not_summed_with_ibuprofen(patient_api):
    log(patient_api, "nsaid", 800, drug="ibuprofen", hours_ago=3)
    body = log(patient_api, "nsaid", 440, drug="naproxen").json()
    assert body["total_24h_mg"] == 440  # naproxen only; the pair is a "do not combine" warning instead


def test_an_nsaid_without_a_drug_is_ibuprofen(patient_api):
    body = log(patient_api, "nsaid", 200).json()
    assert body["drug"] == "ibuprofen" and body["cap_mg"] == 1200


def test_a_drug_of_another_class_is_refused(patient_api):
    response = log(patient_api, "acetaminophen", 500, drug="naproxen")
    assert response.status_code == 400 and "drug" in response.json()
    assert MedicationDose.objects.count() == 0


def test_5000_mg_of_acetaminophen_in_24_hours_is_urgent_with_the_poison_control_text(patient, patient_api, clinician):
    for hours in (20, 15, 10, 5):
        log(patient_api, "acetaminophen", 1000, hours_ago=hours)
    body = log(patient_api, "acetaminophen", 1000).json()
    assert body["total_24h_mg"] == 5000
    assert body["severity"] == "urgent"
    assert body["message"].startswith(POISON_CONTROL)
    alert = Alert.objects.get(pk__in=body["alerts"], severity="urgent")
    assert alert.rule.code == "medication_above_maximum"
    assert InboxItem.objects.filter(kind="alert", patient=patient, priority="urgent").exists()


def test_the_poison_control_text_names_the_clinics_emergency_number_when_shown(patient, patient_api):
    ClinicSettings.objects.update_or_create(
        pk=ClinicSettings.SINGLETON_ID, defaults={"name": "C", "emergency_number": "112"}
    )
    body = log(patient_api, "caffeine", 500).json()
    assert "or 112 now" in body["message"]
    alert_id = body["alerts"][0]
    # The stored alert holds no number: it is filled in when shown, from the clinic's settings.
    ClinicSettings.objects.filter(pk=ClinicSettings.SINGLETON_ID).update(emergency_number="999")
    (shown,) = [a["message"] for a in patient_api.get("/api/v1/alerts/").json() if a["id"] == alert_id]
    assert "or 999 now" in shown and "112" not in shown


def test_over_the_cap_raises_one_contact_provider_alert_through_the_alerts_app(patient, patient_api, clinician):
    body = log(patient_api, "nsaid", 1200).json()
    (alert,) = Alert.objects.filter(pk__in=body["alerts"])
    assert (alert.rule.code, alert.severity, alert.patient_id) == (
        "medication_over_cap",
        "contact_provider",
        patient.pk,
    )
    assert InboxItem.objects.filter(kind="alert", patient=patient, priority="high").count() == 1


def test_below_every_limit_nothing_is_raised(patient_api):
    body = log(patient_api, "acetaminophen", 500).json()
    assert (body["severity"], body["message"], body["rules"], body["alerts"]) == (None, "", [], [])
    assert Alert.objects.count() == 0


def test_an_over_cap_combination_is_one_alert_listing_both_rules(patient_api):
    log(patient_api, "nsaid", 1200, drug="ibuprofen", hours_ago=2)
    body = log(patient_api, "nsaid", 220, drug="naproxen").json()
    assert body["rules"] == ["medication_nsaid_combination"]
    body = log(patient_api, "nsaid", 440, drug="naproxen").json()
    assert set(body["rules"]) == {"medication_nsaid_combination", "medication_over_cap"}
    assert Alert.objects.filter(pk__in=body["alerts"]).count() == 1  # one alert per dose and severity


def test_the_web_form_refuses_a_typing_error_with_a_message(patient, client_for):
    web = client_for(patient.user)
    response = web.post("/medications/", {"drug": "acetaminophen", "dose_mg": "500000", "taken_at": ""})
    assert response.status_code == 200
    assert "typing error" in response.content.decode()
    assert MedicationDose.objects.count() == 0


def test_the_web_form_warns_about_two_nsaids(patient, client_for):
    web = client_for(patient.user)
    web.post("/medications/", {"drug": "ibuprofen", "dose_mg": "400", "taken_at": ""})
    page = web.post("/medications/", {"drug": "naproxen", "dose_mg": "220", "taken_at": ""}, follow=True)
    text = page.content.decode()
    assert "Do not combine" in text and "Contact your care team today" in text


def test_the_web_form_shows_the_poison_control_text_with_a_call_link(patient, client_for):
    web = client_for(patient.user)
    page = web.post("/medications/", {"drug": "caffeine", "dose_mg": "450", "taken_at": ""}, follow=True)
    text = page.content.decode()
    assert POISON_CONTROL in text
    assert 'href="tel:911"' in text and 'href="tel:18002221222"' in text
