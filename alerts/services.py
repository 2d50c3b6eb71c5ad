"""Alert writes. The rule engine and alert lifecycle are built by the alerts work;
this module fixes the interface the symptom endpoint calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from patients.models import SymptomEntry


@dataclass
class EntryEvaluation:
    """What a new diary entry triggered: shown to the patient at once."""

    recommendations: list[dict] = field(default_factory=list)  # [{"rule", "severity", "message"}], highest first
    alert_ids: list[int] = field(default_factory=list)


def evaluate_entry(entry: SymptomEntry) -> EntryEvaluation:
    """Run the instant rules on a saved entry, inside the caller's transaction.

    Creates the alerts, inbox items and notifications for ``contact_provider`` and
    ``urgent`` results in that same transaction. (The engine is not built yet:
    nothing is flagged.)
    """
    return EntryEvaluation()
