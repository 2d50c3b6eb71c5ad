"""The append-only audit log.

Who read or changed what, when, from where. Rows are never updated or deleted
through the ORM (``save`` on an existing row and every delete raise); on
PostgreSQL a trigger refuses UPDATE and DELETE on the table as well.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Audit events cannot be changed or removed."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def for_patient(self, patient_id: int) -> AuditEventQuerySet:
        return self.filter(patient_id=patient_id)


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)  # "patient.read", "lab_report.download", "care_team.granted", ...
    # The patient whose record this concerns; a plain id so portal needs no import
    # from the patients app (it sits below it).
    patient_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)
    # The client, as the deployment's trusted proxies report it (portal.client_ip).
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What changed, in a few words without health data ("patient -> clinician").
    detail = models.CharField(max_length=200, blank=True, default="", db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # "Who looked at my record": a patient's events, newest first.
            models.Index(fields=["patient_id", "-at"], name="audit_patient_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")
