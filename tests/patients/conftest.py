"""Fixtures of the patients tests: the personas come from tests/conftest.py."""

from __future__ import annotations

import pytest

from alerts import services as alert_services
from alerts.services import EntryEvaluation


@pytest.fixture(autouse=True)
def _empty_rule_engine(request, monkeypatch):
    """The patients tests check the wiring, not the rules (the alerts tests do):
    the diary's engine answers "nothing flagged" unless a test asks for
    ``real_rule_engine``. (The medication log's alerts are real: they are its rules.)"""
    if "real_rule_engine" not in request.fixturenames:
        monkeypatch.setattr(alert_services, "evaluate_entry", lambda entry: EntryEvaluation())


@pytest.fixture
def real_rule_engine():
    """Run the alerts app's real rule engine in this test."""


@pytest.fixture
def patient_api(client_for, patient):
    return client_for(patient.user)


@pytest.fixture
def clinician_api(client_for, clinician):
    return client_for(clinician)


@pytest.fixture
def fixed_evaluation(monkeypatch):
    """Replace the rule engine with a fixed answer: ``fixed_evaluation(recs, ids)``.

    The engine itself is tested by the alerts app; these tests check the wiring.
    """

    def install(recommendations=(), alert_ids=()):
        calls = []

        def evaluate(entry):
            calls.append(entry)
            return EntryEvaluation(recommendations=list(recommendations), alert_ids=list(alert_ids))

        monkeypatch.setattr(alert_services, "evaluate_entry", evaluate)
        return calls

    return install
