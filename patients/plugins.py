"""What the apps above patients add to its pages and reads, registered in their
``AppConfig.ready()`` (as ``portal/sealed.py`` and ``patients/medication_alerts.py``
do): the panels of a clinician's patient chart, the thresholds the chart draws
(the alert rules', ``alerts``) and the urgency of each row of the patient list
(the open inbox items, ``messaging``).

The patients app never looks those apps up by name: a renamed or missing provider
fails at start-up or raises ``MissingProvider`` at its first use, never drops a
panel, a threshold line or an urgent patient in silence.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from patients.models import Patient

ChartPanels = Callable[["HttpRequest", "Patient"], list[str]]
# The alert rules' thresholds for one patient (their custom values win): the
# temperature and pain lines of the chart and the score-rise spike definition.
ChartThresholds = Callable[["Patient"], dict[str, Decimal]]
# Annotations for a queryset of patients: ``open_alert_count`` and ``urgency_rank``
# (the most urgent open inbox item: urgent 0, high 1, normal 2, none ``no_item_rank``).
PatientUrgency = Callable[[int], dict[str, Any]]


class MissingProvider(LookupError):
    """An app that should have registered a provider in its ``ready()`` did not."""


# App name -> its chart panels, in registration (INSTALLED_APPS) order.
CHART_PANELS: dict[str, ChartPanels] = {}
_providers: dict[str, Callable[..., Any]] = {}


def register_chart_panels(*, app: str, panels: ChartPanels) -> None:
    CHART_PANELS[app] = panels


def chart_panel_sources() -> dict[str, ChartPanels]:
    return dict(CHART_PANELS)


def register_chart_thresholds(source: ChartThresholds) -> None:
    _providers["chart_thresholds"] = source


def register_patient_urgency(source: PatientUrgency) -> None:
    _providers["patient_urgency"] = source


def _provider(name: str, registered_by: str) -> Callable[..., Any]:
    try:
        return _providers[name]
    except KeyError:
        raise MissingProvider(f"No {name} provider is registered: {registered_by} registers one in ready().") from None


def chart_thresholds_source() -> ChartThresholds:
    return _provider("chart_thresholds", "the alerts app")


def patient_urgency_source() -> PatientUrgency:
    return _provider("patient_urgency", "the messaging app")
