"""The pipeline watching itself (DESIGN.md "No silent failure").

``Heartbeat``: one row per loop of the pipeline (the symptom scan, the outbox
delivery), updated by every run, in the database: whichever process reads it sees
what every worker did, and a restart of the cache or the broker forgets nothing.
Its running totals feed ``/metrics`` (sums over every worker on every machine).

``PipelineIncident``: a period during which ``/readyz`` would answer 503. At most one
is open (a partial unique index), so the process that opens it, and the one that
claims each of its two emails (opened, cleared), is exactly one, whichever of the
web processes, ``/readyz`` or ``manage.py check_pipeline`` notices first.
"""

from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    SCAN = "scan"
    DELIVERY = "delivery"

    name = models.CharField(max_length=32, unique=True)
    beat_at = models.DateTimeField(help_text="End of the latest successful run.")
    runs = models.BigIntegerField(default=0)
    last_duration_s = models.FloatField(default=0.0)
    duration_s_total = models.FloatField(default=0.0)
    # The scan: candidate entries evaluated. The delivery: emails accepted by the server.
    processed_total = models.BigIntegerField(default=0)
    # The delivery only: attempts that failed and will be retried, rows given up.
    retried_total = models.BigIntegerField(default=0)
    failed_total = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PipelineIncident(models.Model):
    """A delay of the alert pipeline: opened when the scan or the outbox passes its
    limit, cleared when both are back within them. Holds no patient data."""

    scope = models.CharField(max_length=16, default="pipeline")
    opened_at = models.DateTimeField()
    cause = models.CharField(max_length=200, help_text="What was late, in words (no patient data).")
    cleared_at = models.DateTimeField(null=True, blank=True)
    # Each email is claimed by one process with a conditional update, sent outside any
    # transaction, then marked sent; a claim older than the retry interval is taken again.
    opened_mail_claimed_at = models.DateTimeField(null=True, blank=True)
    opened_mail_sent_at = models.DateTimeField(null=True, blank=True)
    cleared_mail_claimed_at = models.DateTimeField(null=True, blank=True)
    cleared_mail_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # One open incident at a time: two processes noticing at once insert one row.
            models.UniqueConstraint(
                fields=["scope"], condition=models.Q(cleared_at__isnull=True), name="one_open_pipeline_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cause} since {self.opened_at:%Y-%m-%d %H:%M}"
