"""The patients app reaches the alerts app (above it) only through a registry the
alerts app fills in ``AlertsConfig.ready()``: a renamed or missing handler fails
loudly instead of dropping the alert."""

from __future__ import annotations

import pytest

from alerts import services as alert_services
from patients import medication_alerts
from patients.diary import log_medication_dose
from patients.models import MedicationDose


def test_the_alerts_app_registers_its_dose_handler():
    handler = medication_alerts.dose_alert_handler()
    assert handler.raise_alerts is alert_services.raise_dose_alerts
    assert handler.recommend is alert_services.recommend_for_dose


def test_without_a_registered_handler_logging_a_dose_fails_loudly_and_saves_nothing(patient, monkeypatch):
    monkeypatch.setattr(medication_alerts, "_handlers", {})
    with pytest.raises(medication_alerts.NoDoseAlertHandler):
        log_medication_dose(
            patient=patient, data={"medication_class": "nsaid", "dose_mg": 200}, entered_by=patient.user
        )
    assert MedicationDose.objects.count() == 0
