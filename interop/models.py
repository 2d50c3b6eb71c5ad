"""Who may send lab results by FHIR, and which lab reports arrived that way.

An ``IntegrationClient`` is a lab system an admin lets in (Django admin): its token is
shown once, when it is made, and only its SHA-256 is kept (a token is 256 random
bits, so a plain hash is enough, as for invitation tokens). Its one scope is the lab
import (``POST /fhir/R4/``); it reads nothing. Revoking it ends its access at once.

``ImportedLabReport`` remembers the identifier a DiagnosticReport came with, so the
same report sent again creates nothing new (idempotency). Its row is written first
(the claim) and its unique identifier decides between two imports that run at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from labs.models import LabReport


class Scope(models.TextChoices):
    LAB_IMPORT = "lab_import", "Send lab results (POST /fhir/R4/)"


class IntegrationClient(models.Model):
    name = models.CharField(
        max_length=100, unique=True, help_text="The lab system as the care team knows it, e.g. 'City Hospital lab'."
    )
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.LAB_IMPORT, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The token's first characters, so an admin can tell which token a system holds.
    token_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "integration client (lab system)"
        verbose_name_plural = "integration clients (lab systems)"
        indexes = [
            # Every import request looks its token up here (interop.auth).
            models.Index(fields=["token_hash"], condition=Q(revoked_at__isnull=True), name="client_active_token"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ImportedLabReport(models.Model):
    """A lab report that arrived as a FHIR DiagnosticReport, by its identifier."""

    identifier_system = models.CharField(max_length=255)
    identifier_value = models.CharField(max_length=255)
    # Empty only inside the importing transaction, between the claim and the report.
    report = models.OneToOneField(
        LabReport, on_delete=models.PROTECT, null=True, blank=True, related_name="fhir_import"
    )
    client = models.ForeignKey(IntegrationClient, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_system", "identifier_value"], name="imported_report_identifier_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Imported report #{self.pk}"
