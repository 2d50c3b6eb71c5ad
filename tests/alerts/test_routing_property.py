"""The property of CLINICAL.md section 7, over generated clinics and grant histories:
every urgent or contact_provider alert has at least one recipient who is an active
clinician (it is in their inbox and they may open it), as long as the clinic has a
triage pool; and without one the on-call address or an admin is emailed.

A generated world: clinicians (some in the triage pool), a patient, and a history of
grants, revocations, deactivations and role changes, with diary entries that raise
alerts at random points of it. The property is checked at the end for every alert,
including those raised before the care team changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts.models import Alert
from alerts.selectors import alerts_visible_to
from alerts.services import evaluate_entry
from messaging.models import InboxItem
from messaging.selectors import inbox_items_for
from patients.models import CareTeamGrant
from patients.services import grant_care_team, revoke_care_team
from portal.accounts.models import Role, User
from portal.accounts.services import deactivate_user, save_account_by_admin
from portal.clinic.models import ClinicSettings
from portal.outbox.models import Notification
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Person:
    triage: bool


STEPS = st.one_of(
    st.tuples(st.just("grant"), st.integers(0, 3)),
    st.tuples(st.just("revoke"), st.integers(0, 3)),
    st.tuples(st.just("deactivate"), st.integers(0, 3)),
    st.tuples(st.just("role_change"), st.integers(0, 3)),
    st.tuples(st.just("urgent_entry"), st.just(0)),
    st.tuples(st.just("contact_entry"), st.just(0)),
)


class Rollback(Exception):
    """Ends one example: everything it wrote is rolled back."""


def apply(step, *, patient, clinicians, admin) -> None:
    action, index = step
    clinician = clinicians[index % len(clinicians)]
    if action == "grant":
        if clinician.role == Role.CLINICIAN and clinician.is_active and not patient_has_grant(patient, clinician):
            grant_care_team(patient=patient, clinician=clinician, granted_by=patient.user)
    elif action == "revoke":
        grant = CareTeamGrant.objects.filter(patient=patient, clinician=clinician, revoked_at__isnull=True).first()
        if grant is not None:
            revoke_care_team(grant=grant, revoked_by=patient.user)
    elif action == "deactivate":
        deactivate_user(user=clinician, actor=admin)
    elif action == "role_change" and clinician.role == Role.CLINICIAN:
        clinician.role, clinician.specialty, clinician.is_triage = Role.ADMIN, "", False
        save_account_by_admin(user=clinician, actor=admin, created=False)
    elif action == "urgent_entry":
        evaluate_entry(SymptomEntryFactory(patient=patient, leg_weakness=True))
    elif action == "contact_entry":
        evaluate_entry(SymptomEntryFactory(patient=patient, vomiting=True))


def patient_has_grant(patient, clinician) -> bool:
    return CareTeamGrant.objects.filter(patient=patient, clinician=clinician, revoked_at__isnull=True).exists()


def active_clinicians_who_see(alert: Alert) -> set[int]:
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=alert.pk).inbox_item_id)
    return {
        user.pk
        for user in User.objects.filter(role=Role.CLINICIAN, is_active=True)
        if alerts_visible_to(user).filter(pk=alert.pk).exists() and inbox_items_for(user).filter(pk=item.pk).exists()
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(st.builds(Person, triage=st.booleans()), min_size=1, max_size=4),
    initial_grants=st.sets(st.integers(0, 3), max_size=4),
    history=st.lists(STEPS, max_size=10),
    oncall=st.booleans(),
)
def test_every_alert_reaches_an_active_clinician(db, people, initial_grants, history, oncall):
    try:
        with transaction.atomic():
            check_world(people, initial_grants, history, oncall)
            raise Rollback
    except Rollback:
        pass


def check_world(people, initial_grants, history, oncall) -> None:
    ClinicSettings.objects.filter(pk=1).update(oncall_email="oncall@clinic.test" if oncall else "")
    admin = AdminFactory(mfa=False)
    clinicians = [ClinicianFactory(mfa=False, is_triage=person.triage) for person in people]
    patient = PatientFactory()
    for index in sorted(initial_grants):
        if index < len(clinicians):
            grant_care_team(patient=patient, clinician=clinicians[index], granted_by=patient.user)
    # Every history ends with an entry that raises an alert of each severity.
    for step in [*history, ("urgent_entry", 0), ("contact_entry", 0)]:
        apply(step, patient=patient, clinicians=clinicians, admin=admin)
        for clinician in clinicians:
            clinician.refresh_from_db()

    pool = User.objects.triage_pool().exists()
    alerts = list(Alert.objects.filter(patient=patient))
    assert {a.severity for a in alerts} >= {"urgent", "contact_provider"}
    for alert in alerts:
        if pool:
            assert active_clinicians_who_see(alert), f"{alert.severity} alert #{alert.pk} reaches no active clinician"
        emails = Notification.objects.filter(source_type="alerts.alert", source_id=str(alert.pk)).exclude(
            recipient=patient.user
        )
        assert emails.exists(), f"nobody but the patient is emailed about alert #{alert.pk}"
