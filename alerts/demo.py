"""Demo alerts: evaluate the demo patients' diary entries (seeded by the patients
app) and run the scan, so the chart, inbox and "my alerts" show real alerts.
Idempotent (dedup keys) and safe when there are no entries yet."""

from __future__ import annotations

from django.db import transaction

from alerts import scan, services
from alerts.models import Alert, AlertStatus
from patients.models import Patient, SymptomEntry
from patients.selectors import is_on_care_team


def seed(accounts: dict) -> None:
    users = [accounts[key] for key in ("patient", "recovering_patient") if key in accounts]
    patients = list(Patient.objects.filter(user__in=users))
    with transaction.atomic():
        entries = SymptomEntry.objects.filter(patient__in=patients, entered_in_error_at__isnull=True).select_related(
            "patient"
        )
        for entry in entries.order_by("recorded_at", "id"):
            services.evaluate_entry(entry)
    scan.scan_symptom_logs()
    _show_the_loop(accounts, patients)


def _show_the_loop(accounts: dict, patients: list[Patient]) -> None:
    """The neurologist has seen the demo patient's oldest alert, so "seen by your care
    team at ..." shows on the patient's page."""
    clinician = accounts.get("neurologist")
    if clinician is None:
        return
    for patient in patients:
        if not is_on_care_team(clinician=clinician, patient=patient):
            continue
        if patient.alerts.exclude(status=AlertStatus.OPEN).exists():
            continue
        oldest = Alert.objects.filter(patient=patient, status=AlertStatus.OPEN).order_by("created_at").first()
        if oldest is not None:
            services.acknowledge_alert(alert=oldest, by=clinician, note="Called the patient; plan agreed.")
