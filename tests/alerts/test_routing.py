"""Who hears about an alert (CLINICAL.md section 7): no alert reaches nobody.

An urgent or contact_provider alert goes to the patient's active care team; without
one (never chosen, every grant revoked, every clinician deactivated or no longer a
clinician) it goes to the clinic's triage pool, and its emails to the on-call address.
An urgent alert not acknowledged in 15 minutes escalates to the pool and on-call too.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alert
from alerts.selectors import alerts_visible_to
from alerts.services import escalate_overdue_alerts, evaluate_entry
from messaging.models import InboxItem
from messaging.selectors import inbox_items_for
from patients.models import CareTeamGrant
from patients.services import revoke_care_team
from portal.accounts.models import Role
from portal.accounts.services import deactivate_user, save_account_by_admin
from portal.clinic.models import ClinicSettings
from portal.outbox.delivery import deliver_due_notifications
from portal.outbox.models import Notification
from tests.factories import ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db

ONCALL = "oncall@clinic.test"


@pytest.fixture
def oncall():
    ClinicSettings.objects.filter(pk=1).update(oncall_email=ONCALL)
    return ONCALL


@pytest.fixture
def triage_nurse(db):
    return ClinicianFactory(email="triage.nurse@example.test", is_triage=True, specialty="nursing")


def weakness(patient) -> Alert:
    """An entry with new leg weakness: urgent (neuro_deficit)."""
    result = evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    return Alert.objects.get(pk=result.alert_ids[0])


def emailed(alert: Alert, kind: str | None = None) -> set[str]:
    """Every address an email about this alert is queued for."""
    rows = Notification.objects.filter(source_type="alerts.alert", source_id=str(alert.pk))
    if kind:
        rows = rows.filter(kind=kind)
    return {row.recipient.email if row.recipient_id else row.address for row in rows}


def sees(clinician, alert: Alert) -> bool:
    """The alert and its inbox item are both in the clinician's reach."""
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)
    in_inbox = inbox_items_for(clinician).filter(pk=item.pk).exists()
    readable = alerts_visible_to(clinician).filter(pk=alert.pk).exists()
    assert in_inbox == readable, "the inbox item and the alert are visible together"
    return readable


# --- The defect: a patient without a care team -------------------------------------------------


def test_an_alert_of_a_patient_without_a_care_team_reaches_the_triage_pool(triage_nurse, oncall, client_for):
    """Issue 13: leg weakness, no active care-team clinician: the alert was created and
    nobody could see it. Now the triage pool sees it and the on-call address is emailed."""
    lonely = PatientFactory()
    alert = weakness(lonely)
    assert sees(triage_nurse, alert)
    assert emailed(alert) == {ONCALL, lonely.user.email}
    assert alert.audience == "triage_pool"
    answer = client_for(triage_nurse).get(f"/api/v1/alerts/{alert.pk}/")
    assert answer.status_code == 200
    assert answer.json()["audience"] == "triage_pool"


def test_a_care_team_alert_goes_to_the_care_team_only(patient, clinician, triage_nurse, oncall):
    alert = weakness(patient)
    assert alert.audience == "care_team"
    assert sees(clinician, alert)
    assert not sees(triage_nurse, alert)  # until it escalates
    assert emailed(alert) == {clinician.email, patient.user.email}


def test_every_alert_in_the_api_says_who_was_told(client_for, patient, clinician):
    evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))
    for user in (patient.user, clinician):
        rows = client_for(user).get("/api/v1/alerts/", {"patient": patient.pk}).json()
        assert [row["audience"] for row in rows] == ["care_team"]


def test_an_outsider_clinician_outside_the_pool_still_sees_nothing(outsider_clinician, triage_nurse, oncall):
    alert = weakness(PatientFactory())
    assert not alerts_visible_to(outsider_clinician).filter(pk=alert.pk).exists()
    assert not inbox_items_for(outsider_clinician).exists()


def test_the_triage_pool_acknowledges_and_resolves(client_for, triage_nurse, oncall):
    alert = weakness(PatientFactory())
    client = client_for(triage_nurse)
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json").status_code == 200
    assert client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "Called"}, format="json").status_code == 200
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by, alert.resolved_by) == ("resolved", triage_nurse, triage_nurse)


# --- Every way a patient loses their care team ---------------------------------------------------


def lose_by_revoking(patient, clinician, admin):
    revoke_care_team(grant=CareTeamGrant.objects.get(patient=patient, clinician=clinician), revoked_by=patient.user)


def lose_by_deactivating(patient, clinician, admin):
    deactivate_user(user=clinician, actor=admin)


def lose_by_role_change(patient, clinician, admin):
    clinician.role, clinician.specialty = Role.ADMIN, ""
    save_account_by_admin(user=clinician, actor=admin, created=False)


def never_had_one(patient, clinician, admin):
    CareTeamGrant.objects.filter(patient=patient).delete()


LOSSES = {
    "grant revoked": lose_by_revoking,
    "clinician deactivated": lose_by_deactivating,
    "clinician no longer a clinician": lose_by_role_change,
    "never had one": never_had_one,
}


@pytest.mark.parametrize("loss", LOSSES.values(), ids=LOSSES.keys())
def test_every_way_of_losing_the_care_team_routes_to_the_pool(loss, patient, clinician, admin, triage_nurse, oncall):
    from patients.routing import responsible_for

    earlier = weakness(patient)  # raised while the care team was there
    loss(patient, clinician, admin)
    assert responsible_for(patient).audience == "triage_pool"
    later = weakness(patient)
    assert later.audience == "triage_pool"
    assert emailed(later) == {ONCALL, patient.user.email}
    # Both the new alert and the one raised before the loss are in the pool's reach.
    assert sees(triage_nurse, later) and sees(triage_nurse, earlier)
    assert not alerts_visible_to(clinician).filter(pk=later.pk).exists()


@pytest.mark.parametrize("loss", LOSSES.values(), ids=LOSSES.keys())
def test_a_second_clinician_keeps_the_care_team(loss, patient, clinician, anesthesiologist, admin, triage_nurse):
    loss(patient, clinician, admin)
    if loss is never_had_one:
        return  # the second clinician went with the first
    alert = weakness(patient)
    assert alert.audience == "care_team"
    assert emailed(alert) == {anesthesiologist.email, patient.user.email}


# --- An empty pool, no on-call address --------------------------------------------------------


def test_with_an_empty_pool_the_oncall_address_still_gets_it(oncall):
    lonely = PatientFactory()
    alert = weakness(lonely)
    assert alert.audience == "triage_pool"
    assert emailed(alert) == {ONCALL, lonely.user.email}


def test_with_a_pool_and_no_oncall_address_the_pool_is_emailed(triage_nurse):
    lonely = PatientFactory()
    alert = weakness(lonely)
    assert emailed(alert) == {triage_nurse.email, lonely.user.email}


def test_with_nobody_at_all_every_admin_is_told_without_health_data(admin, mailoutbox):
    lonely = PatientFactory()
    alert = weakness(lonely)
    assert emailed(alert) == {admin.email, lonely.user.email}
    deliver_due_notifications()
    (to_admin,) = [m for m in mailoutbox if m.to == [admin.email]]
    assert "triage pool" in to_admin.body and "on-call" in to_admin.body
    assert lonely.user.last_name not in to_admin.body


@pytest.mark.parametrize("who", ["clinician", "admin"])
def test_clinicians_and_admins_are_told_the_pool_is_empty(who, client_for, request):
    user = request.getfixturevalue(who)
    page = "/admin/" if who == "admin" else "/"
    html = client_for(user).get(page).content.decode()
    assert "triage pool is empty" in html
    ClinicianFactory(is_triage=True)
    html = client_for(user).get(page).content.decode()
    assert "triage pool is empty" not in html


# --- Escalation -------------------------------------------------------------------------------


def test_urgent_escalation_reaches_the_pool_and_oncall_not_only_the_care_team(
    patient, clinician, triage_nurse, oncall, client_for
):
    alert = weakness(patient)
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert escalate_overdue_alerts() == 1
    assert emailed(alert, "escalation") == {clinician.email, triage_nurse.email}
    assert emailed(alert, "oncall_escalation") == {ONCALL}
    assert sees(triage_nurse, alert)
    response = client_for(triage_nurse).post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert response.status_code == 200


def test_escalation_of_a_patient_without_a_care_team_has_recipients(triage_nurse, oncall):
    """Issue 13: the escalation marked the alert escalated with zero recipients."""
    alert = weakness(PatientFactory())
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert escalate_overdue_alerts() == 1
    assert emailed(alert, "escalation") == {triage_nurse.email}
    assert emailed(alert, "oncall_escalation") == {ONCALL}


def test_contact_provider_alert_without_a_care_team(triage_nurse, oncall):
    lonely = PatientFactory()
    result = evaluate_entry(SymptomEntryFactory(patient=lonely, temperature_c=Decimal("38.4")))
    alert = Alert.objects.get(pk=result.alert_ids[0])
    assert (alert.severity, alert.audience) == ("contact_provider", "triage_pool")
    assert sees(triage_nurse, alert)
    assert emailed(alert, "oncall_alert") == {ONCALL}


def test_the_oncall_address_receives_its_email_without_health_data(triage_nurse, oncall, mailoutbox):
    lonely = PatientFactory()
    weakness(lonely)
    deliver_due_notifications()
    (email,) = [m for m in mailoutbox if m.to == [ONCALL]]
    assert "A patient without a care team has a new urgent alert" in email.body
    assert "http://testserver/alerts/" in email.body
    assert lonely.user.last_name not in email.body and lonely.user.first_name not in email.body


def test_the_pool_claims_an_item_of_a_patient_without_a_care_team(client_for, triage_nurse, oncall):
    alert = weakness(PatientFactory())
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)
    response = client_for(triage_nurse).patch(f"/api/v1/inbox/{item.pk}/", {"assignee": "me"}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.assignee == triage_nurse


def test_the_pool_reaches_the_alerts_and_messages_of_a_patient_without_a_care_team_not_the_record(
    client_for, triage_nurse, oncall
):
    lonely = PatientFactory()
    alert = weakness(lonely)
    client = client_for(triage_nurse)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200
    for path in (
        f"/patients/{lonely.pk}/",
        f"/api/v1/patients/{lonely.pk}/",
        f"/api/v1/symptoms/?patient={lonely.pk}",
        f"/api/v1/lab-reports/?patient={lonely.pk}",
        f"/api/v1/pain-plan/?patient={lonely.pk}",
    ):
        assert client.get(path).status_code == 404, path
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert f"/patients/{lonely.pk}/" not in page  # no link that would only 404


def test_a_red_flag_message_of_a_patient_without_a_care_team_emails_the_oncall_address(client_for, oncall):
    lonely = PatientFactory()
    client_for(lonely.user).post("/api/v1/threads/", {"body": "I had a seizure"}, format="json")
    rows = Notification.objects.filter(kind="oncall_message")
    assert [row.address for row in rows] == [ONCALL]
    client_for(lonely.user).post("/api/v1/threads/", {"body": "When may I swim?"}, format="json")
    assert Notification.objects.filter(kind="oncall_message").count() == 1  # only the red flag
