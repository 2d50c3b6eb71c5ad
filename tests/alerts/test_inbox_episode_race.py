"""Nothing lost: an alert raised while a clinician is closing the patient's episode item
(real PostgreSQL connections, one per thread) is never resolved unseen; it opens the
next item."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from alerts.models import Alert
from alerts.services import evaluate_entry
from messaging.models import InboxItem
from messaging.services import update_inbox_item
from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory, SymptomEntryFactory

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_an_alert_raised_while_its_item_is_being_closed_opens_the_next_item():
    clinician = ClinicianFactory()
    patient = PatientFactory()
    CareTeamGrantFactory(patient=patient, clinician=clinician)
    first = Alert.objects.get(
        pk=evaluate_entry(SymptomEntryFactory(patient=patient, temperature_c=Decimal("38.4"))).alert_ids[0]
    )
    item = InboxItem.objects.get(pk=Alert.objects.get(pk=first.pk).inbox_item_id)
    entry = SymptomEntryFactory(patient=patient, leg_weakness=True)
    raised: list = []
    errors: list = []

    def raise_alert():
        try:
            with transaction.atomic():
                raised.extend(evaluate_entry(entry).alert_ids)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    raiser = threading.Thread(target=raise_alert)
    with transaction.atomic():
        update_inbox_item(item=item, by=clinician, status="done")
        raiser.start()
        # The clinician's transaction holds the patient's queue: the alert waits for it.
        for _ in range(2000):
            if waiting_for_a_lock() or not raiser.is_alive():
                break
            threading.Event().wait(0.01)
        assert raiser.is_alive(), "the new alert waited for the closing to finish"
    raiser.join(60)
    assert not errors, errors
    (later_id,) = raised
    later = Alert.objects.get(pk=later_id)
    first.refresh_from_db()
    assert first.status == "resolved"
    assert later.status == "open", "the alert raised meanwhile is not resolved unseen"
    new_item = InboxItem.objects.get(pk=later.inbox_item_id)
    assert new_item.pk != item.pk
    assert (new_item.status, new_item.priority) == ("new", "urgent")
    assert InboxItem.objects.get(pk=item.pk).status == "done"
