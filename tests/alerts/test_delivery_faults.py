"""What the fault scripts of bench/faults/ found, kept as specifications.

* A worker killed (-9) in the middle of a batch re-sends at most one email.
  bench/faults/kill_worker.py found that a whole batch was marked sent in one UPDATE
  after the last message: a kill mid-batch left every email the server had already
  accepted "sending", and all of them went out again after the claim timeout (up to
  63 duplicates per kill). Each row is now marked sent before the next message goes.
* After a 5-minute SMTP outage every email goes out within 5 minutes.
  bench/faults/smtp_down.py took 299 s of the 300 with a backoff capped at an hour:
  a 240 s interval could straddle the return, plus up to a minute until the sweep.
  Capped at 120 s, the wait is at most 180 s.
* A whole worker killed while sending costs at most one duplicate too.
  bench/faults/kill_worker.py found two when both pool processes of the killed worker
  were sending, each with an accepted email not yet marked. They now take turns.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading

import pytest
from django.conf import settings as django_settings
from django.core.mail.backends.base import BaseEmailBackend

from alerts.services import evaluate_entry
from portal.outbox.delivery import backoff, deliver_due_notifications, sending_turn
from portal.outbox.models import Notification
from tests.factories import CareTeamGrantFactory, PatientFactory, SymptomEntryFactory

pytestmark = pytest.mark.django_db


class SentRowsAtEachSend(BaseEmailBackend):
    """Records, as each message goes out, how many outbox rows are already marked
    sent: what a worker killed at that moment would leave behind."""

    seen: list[int] = []

    def send_messages(self, messages):
        for _ in messages:
            SentRowsAtEachSend.seen.append(Notification.objects.filter(status="sent").count())
        return len(messages)


def test_each_row_is_marked_sent_before_the_next_message_goes(clinician, settings):
    for _ in range(3):
        patient = PatientFactory()
        CareTeamGrantFactory(patient=patient, clinician=clinician)
        evaluate_entry(SymptomEntryFactory(patient=patient, numbness=True))
    total = Notification.objects.count()
    assert total == 6  # the clinician and the patient, for each urgent alert
    settings.EMAIL_BACKEND = f"{__name__}.SentRowsAtEachSend"
    SentRowsAtEachSend.seen = []

    report = deliver_due_notifications(batch_size=100)  # one batch, one connection

    assert report.sent == total
    # When message n goes, the n-1 before it are marked: a kill re-sends at most the last one.
    assert SentRowsAtEachSend.seen == list(range(total))


@pytest.mark.parametrize("outage_seconds", [60, 300])
def test_default_backoff_clears_an_smtp_outage_within_five_minutes(outage_seconds):
    sweep = 60  # the every-minute beat picks up rows that are due
    worst = 0.0
    for first_try in range(outage_seconds + 1):  # a row first tried at any second of the outage
        at, attempt = float(first_try), 1
        while at < outage_seconds:  # still down: this attempt fails
            assert attempt < django_settings.AFTERCARE_NOTIFICATION_MAX_ATTEMPTS  # not given up
            at += backoff(attempt).total_seconds()
            attempt += 1
        worst = max(worst, at - outage_seconds)
    # Within 5 minutes with a minute to spare: the sweep's task may wait behind a scan on
    # a busy worker, and beat ticks drift (a one-hour cap left 1 s to spare).
    assert worst + sweep <= 4 * 60


def lock_is_free() -> bool:
    with open(django_settings.VAR_DIR / "outbox-sending.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
        return True


@pytest.fixture
def own_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # not the lock of the other test processes (xdist)


def test_a_workers_processes_take_turns_to_send(own_var_dir):
    holding, release = threading.Event(), threading.Event()

    def sender():
        with sending_turn():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=sender)
    thread.start()
    assert holding.wait(10)
    assert not lock_is_free()  # another process of the worker waits its turn
    release.set()
    thread.join(10)
    assert lock_is_free()


def test_a_killed_sender_does_not_keep_the_turn(own_var_dir):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; lock = open(sys.argv[1], 'a'); fcntl.flock(lock, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(60)",
            str(django_settings.VAR_DIR / "outbox-sending.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not lock_is_free()
    finally:
        holder.kill()  # SIGKILL, as the fault script does
        holder.wait(10)
    assert lock_is_free()
