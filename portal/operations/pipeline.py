"""Is the alert pipeline on time? Heartbeats, the readiness status, and incidents.

* ``record_heartbeat`` (a service): the scan and the outbox delivery call it at the
  end of every successful run; one row each, in the database.
* ``pipeline_status`` (a read): one query, cheap enough for every clinician's page
  view: the scan's last run, the oldest notification still waiting, failures of the
  last 24 hours, and whether an incident is open or owes an email.
* ``watch_pipeline`` (a service): opens or clears the incident and sends its two
  emails to the on-call address, each exactly once, whichever process calls it first:
  a clinician's or admin's page view (``PipelineBannerMiddleware``), ``/readyz``, or
  ``manage.py check_pipeline`` (cron, the compose health checks).

The emails go straight to SMTP, not through the outbox: the outbox is delivered by
the worker, and a dead worker is one of the things they report.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from portal.clinic.selectors import current_clinic
from portal.operations.models import Heartbeat, PipelineIncident
from portal.outbox.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)

# A claimed email not marked sent after this long (its sender died, or SMTP refused
# it) is claimed again by the next process that looks.
MAIL_CLAIM_RETRY = timedelta(minutes=2)


def scan_limit() -> timedelta:
    return timedelta(seconds=settings.AFTERCARE_READY_SCAN_MAX_AGE_SECONDS)


def outbox_limit() -> timedelta:
    return timedelta(seconds=settings.AFTERCARE_READY_OUTBOX_MAX_AGE_SECONDS)


# --- Heartbeats -----------------------------------------------------------------------------


def record_heartbeat(
    *, name: str, duration_s: float, processed: int = 0, retried: int = 0, failed: int = 0, now: datetime | None = None
) -> None:
    """One run of a pipeline loop ended well: move its heartbeat and add to its totals.

    One conditional UPDATE (the row's lock is held for that statement only); the first
    run ever inserts the row, and the unique name settles two first runs at once."""
    now = now or timezone.now()
    changes = {
        "beat_at": now,
        "runs": F("runs") + 1,
        "last_duration_s": duration_s,
        "duration_s_total": F("duration_s_total") + duration_s,
        "processed_total": F("processed_total") + processed,
        "retried_total": F("retried_total") + retried,
        "failed_total": F("failed_total") + failed,
    }
    if Heartbeat.objects.filter(name=name).update(**changes):
        return
    try:
        with transaction.atomic():
            Heartbeat.objects.create(
                name=name,
                beat_at=now,
                runs=1,
                last_duration_s=duration_s,
                duration_s_total=duration_s,
                processed_total=processed,
                retried_total=retried,
                failed_total=failed,
            )
    except IntegrityError:
        Heartbeat.objects.filter(name=name).update(**changes)


# --- The status -----------------------------------------------------------------------------

WAITING = (NotificationStatus.PENDING, NotificationStatus.SENDING)


@dataclass(frozen=True)
class PipelineStatus:
    checked_at: datetime
    scan_last_run_at: datetime | None
    oldest_waiting_at: datetime | None
    failed_24h: int
    open_incident_id: int | None
    mail_owed: bool
    database: bool = True
    broker: bool | None = None  # None: not asked (page views do not ping the broker)

    @property
    def scan_age_s(self) -> float | None:
        if self.scan_last_run_at is None:
            return None
        return max(0.0, (self.checked_at - self.scan_last_run_at).total_seconds())

    @property
    def oldest_pending_age_s(self) -> float | None:
        if self.oldest_waiting_at is None:
            return None
        return max(0.0, (self.checked_at - self.oldest_waiting_at).total_seconds())

    @property
    def scan_ok(self) -> bool:
        age = self.scan_age_s
        return age is not None and age <= scan_limit().total_seconds()

    @property
    def outbox_ok(self) -> bool:
        age = self.oldest_pending_age_s
        return age is None or age <= outbox_limit().total_seconds()

    @property
    def delayed(self) -> bool:
        """Alerts are late: what the banner and the on-call emails are about."""
        return not (self.scan_ok and self.outbox_ok)

    @property
    def ok(self) -> bool:
        """What ``/readyz`` answers 200 for: on time, and the database and broker answer."""
        return self.database and self.broker is not False and not self.delayed

    def needs_watch(self) -> bool:
        """Whether an incident must be opened or cleared, or an email is owed."""
        return self.delayed != (self.open_incident_id is not None) or self.mail_owed

    def delay_sentence(self) -> str:
        """ "Alerts are delayed: the last scan ran 12 minutes ago" (no patient data)."""
        reasons = []
        if not self.scan_ok:
            if self.scan_last_run_at is None:
                reasons.append("the scan has not run yet")
            else:
                reasons.append(f"the last scan ran {_minutes(self.scan_age_s)} ago")
        if not self.outbox_ok:
            reasons.append(f"an email has waited {_minutes(self.oldest_pending_age_s)} to be sent")
        return "Alerts are delayed: " + " and ".join(reasons) if reasons else ""

    def as_json(self) -> dict:
        """The body of ``/readyz`` (API.md, Operations)."""

        def seconds(value: float | None) -> int | None:
            return None if value is None else int(value)

        return {
            "database": self.database,
            "broker": self.broker,
            "scan": {
                "last_run_at": self.scan_last_run_at.isoformat() if self.scan_last_run_at else None,
                "age_s": seconds(self.scan_age_s),
                "ok": self.scan_ok,
            },
            "outbox": {
                "oldest_pending_age_s": seconds(self.oldest_pending_age_s),
                "failed_24h": self.failed_24h,
                "ok": self.outbox_ok,
            },
            "ok": self.ok,
        }


def _minutes(seconds: float | None) -> str:
    minutes = int((seconds or 0) // 60)
    if minutes < 1:
        return "less than a minute"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def pipeline_status(*, now: datetime | None = None) -> PipelineStatus:
    """The pipeline's state in one query of indexed look-ups (every clinician page view
    runs it): the scan heartbeat, the oldest waiting notification (partial index
    ``outbox_waiting_created``), failures of the last 24 hours (``outbox_failed_claimed``),
    the open incident and whether any incident still owes an email."""
    now = now or timezone.now()
    heartbeat = Heartbeat._meta.db_table
    outbox = Notification._meta.db_table
    incident = PipelineIncident._meta.db_table
    sql = f"""
        SELECT
          (SELECT beat_at FROM {heartbeat} WHERE name = %s),
          (SELECT MIN(created_at) FROM {outbox} WHERE status IN (%s, %s)),
          (SELECT COUNT(*) FROM {outbox} WHERE status = %s AND claimed_at >= %s),
          (SELECT MAX(id) FROM {incident} WHERE cleared_at IS NULL),
          (SELECT COUNT(*) FROM {incident}
            WHERE (cleared_at IS NULL AND opened_mail_sent_at IS NULL)
               OR (cleared_at IS NOT NULL AND opened_mail_sent_at IS NOT NULL AND cleared_mail_sent_at IS NULL))
    """  # noqa: S608 (table names from the models' own metadata; every value is a parameter)
    since = connection.ops.adapt_datetimefield_value(now - timedelta(hours=24))
    params = [Heartbeat.SCAN, *WAITING, NotificationStatus.FAILED, since]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        scan_at, oldest, failed, open_id, owed = cursor.fetchone()
    return PipelineStatus(
        checked_at=now,
        scan_last_run_at=_aware(scan_at),
        oldest_waiting_at=_aware(oldest),
        failed_24h=int(failed or 0),
        open_incident_id=open_id,
        mail_owed=bool(owed),
    )


def _aware(value):
    """PostgreSQL hands raw SQL aware datetimes; SQLite naive ones or text, in UTC."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- Incidents and the on-call emails ---------------------------------------------------------


@dataclass
class WatchReport:
    opened: bool = False
    cleared: bool = False
    mails_sent: int = 0


def watch_pipeline(*, status: PipelineStatus | None = None, now: datetime | None = None) -> WatchReport:
    """Open or clear the incident and send what is owed to the on-call address.

    1. Read the status (unless the caller has it) and stop if nothing is to do.
    2. Late with no open incident: insert one; the partial unique index lets exactly
       one of several processes noticing at once succeed.
    3. On time with an incident open: clear it with a conditional update (once).
    4. Each owed email (the open incident's "delayed", a cleared incident's "back on
       time" when its "delayed" went out) is claimed with a conditional update, sent
       outside any transaction, then marked sent. A failed send keeps its claim, so
       the next try comes after ``MAIL_CLAIM_RETRY``, not on every page view.
    """
    now = now or timezone.now()
    status = status or pipeline_status(now=now)
    report = WatchReport()
    if not status.needs_watch():
        return report
    if status.delayed and status.open_incident_id is None:
        try:
            with transaction.atomic():
                PipelineIncident.objects.create(opened_at=now, cause=status.delay_sentence()[:200])
            report.opened = True
            logger.warning("Pipeline incident opened: %s", status.delay_sentence())
        except IntegrityError:
            pass  # another process opened it a moment ago
    elif not status.delayed and status.open_incident_id is not None:
        report.cleared = (
            PipelineIncident.objects.filter(pk=status.open_incident_id, cleared_at__isnull=True).update(cleared_at=now)
            == 1
        )
        if report.cleared:
            logger.warning("Pipeline incident cleared: alerts are on time again")
    report.mails_sent = _send_owed_mails(status=status, now=now)
    return report


def _send_owed_mails(*, status: PipelineStatus, now: datetime) -> int:
    sent = 0
    stale = now - MAIL_CLAIM_RETRY
    incidents = PipelineIncident.objects.filter(cleared_at__isnull=True, opened_mail_sent_at__isnull=True)
    for incident in incidents:
        if _claim(incident.pk, "opened_mail", now=now, stale=stale):
            sent += _send(incident, "opened_mail", status=status, now=now)
    # A cleared incident whose "delayed" email went out owes its "back on time".
    owed = PipelineIncident.objects.filter(
        cleared_at__isnull=False, opened_mail_sent_at__isnull=False, cleared_mail_sent_at__isnull=True
    )
    for incident in owed:
        if _claim(incident.pk, "cleared_mail", now=now, stale=stale):
            sent += _send(incident, "cleared_mail", status=status, now=now)
    return sent


def _claim(pk: int, mail: str, *, now: datetime, stale: datetime) -> bool:
    """Claim one email of one incident: a conditional update only one process wins."""
    claimed, sent = f"{mail}_claimed_at", f"{mail}_sent_at"
    unclaimed = PipelineIncident.objects.filter(pk=pk, **{f"{sent}__isnull": True, f"{claimed}__isnull": True})
    if unclaimed.update(**{claimed: now}) == 1:
        return True
    timed_out = PipelineIncident.objects.filter(pk=pk, **{f"{sent}__isnull": True, f"{claimed}__lt": stale})
    return timed_out.update(**{claimed: now}) == 1


def incident_mail(incident: PipelineIncident, mail: str, *, status: PipelineStatus) -> tuple[str, str]:
    """(subject, body) of an on-call email: what is late and since when, no patient data."""
    site = settings.AFTERCARE_SITE_URL
    since = f"{incident.opened_at:%Y-%m-%d %H:%M} UTC"
    if mail == "opened_mail":
        subject = "[Aftercare] Alerts are delayed"
        body = (
            f"{incident.cause}.\n\n"
            f"Aftercare noticed it at {since}. Until this clears, new symptom alerts may not reach the "
            "care team. Check the Celery worker and beat, the broker and the email server.\n\n"
            f"Status: {site}/readyz\n\n"
            "A second email follows when alerts are on time again.\n"
        )
    else:
        until = f"{incident.cleared_at:%Y-%m-%d %H:%M} UTC" if incident.cleared_at else "now"
        subject = "[Aftercare] Alerts are on time again"
        body = (
            f"The delay noticed at {since} ended at {until}: the scan and the outbox are within their "
            "limits again.\n\n"
            f"Status: {site}/readyz\n"
        )
    return subject, body + "\nThis is an automatic message from Aftercare; replies are not read.\n"


def _send(incident: PipelineIncident, mail: str, *, status: PipelineStatus, now: datetime) -> int:
    address = current_clinic().oncall_email
    if not address:
        PipelineIncident.objects.filter(pk=incident.pk).update(last_error="no on-call address is set")
        logger.error("Pipeline incident: no on-call address is set (clinic settings); the email is not sent")
        return 0
    subject, body = incident_mail(incident, mail, status=status)
    try:
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
    except (smtplib.SMTPException, OSError) as exc:
        error = type(exc).__name__
        PipelineIncident.objects.filter(pk=incident.pk).update(last_error=f"{mail}: {error}"[:200])
        logger.error("Pipeline incident: the on-call email could not be sent (%s); retried later", error)
        return 0
    PipelineIncident.objects.filter(pk=incident.pk).update(**{f"{mail}_sent_at": timezone.now(), "last_error": ""})
    return 1
