"""What a logged dose tells the alerts app, and the registry it answers through.

The medication log (this app) decides what a dose means against its drug's limits:
the findings below, named by the alert rule they raise. The alerts app sits above
patients in the layering, so it registers its handler here in ``AlertsConfig.ready()``,
as ``portal/sealed.py`` does for sealed columns. A missing handler raises
``NoDoseAlertHandler`` rather than dropping an alert in silence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from patients.models import MedicationDose

# The findings, in the order they are shown (the most serious first). Each is the
# code of the alert rule (``alerts.AlertRule``) that words and raises it.
ABOVE_MAXIMUM = "medication_above_maximum"  # above the absolute maximum in 24 h: urgent
NSAID_COMBINATION = "medication_nsaid_combination"  # two different NSAIDs within 24 h
OVER_CAP = "medication_over_cap"  # at or above the drug's daily cap in 24 h
FINDINGS = (ABOVE_MAXIMUM, NSAID_COMBINATION, OVER_CAP)

# CLINICAL.md section 5, the urgent text for a dose above the absolute maximum [APAP].
# ``{emergency_number}`` is filled from the clinic's settings when the text is shown.
POISON_CONTROL_TEXT = "Call Poison Control (1-800-222-1222 in the US) or {emergency_number} now, even if you feel well."
POISON_CONTROL_PHONE_HREF = "tel:18002221222"


@dataclass(frozen=True)
class DoseFindings:
    """A saved dose and what it meant; the numbers fill the rule's words."""

    dose: MedicationDose
    rules: tuple[str, ...]  # subset of FINDINGS, in their order
    drug: str  # the drug's label
    total_24h_mg: int
    cap_mg: int
    never_above_mg: int | None = None
    other_drug: str = ""  # the other NSAID, for NSAID_COMBINATION


@dataclass
class DoseAlerts:
    """What the alerts app answered: the words for the patient, the alerts raised."""

    recommendations: list[dict] = field(default_factory=list)  # [{"rule", "severity", "message"}], highest first
    alert_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class DoseAlertHandler:
    """``recommend`` words the findings (no writes); ``raise_alerts`` also raises the
    alerts (one per dose and severity), in the caller's transaction."""

    recommend: Callable[[DoseFindings], DoseAlerts]
    raise_alerts: Callable[[DoseFindings], DoseAlerts]


class NoDoseAlertHandler(LookupError):
    """No app registered a dose alert handler: a dose over a limit would reach nobody."""


_handlers: dict[str, DoseAlertHandler] = {}


def register_dose_alert_handler(handler: DoseAlertHandler) -> None:
    _handlers["dose"] = handler


def dose_alert_handler() -> DoseAlertHandler:
    try:
        return _handlers["dose"]
    except KeyError:
        raise NoDoseAlertHandler(
            "No dose alert handler is registered: the alerts app registers one in AlertsConfig.ready()."
        ) from None
