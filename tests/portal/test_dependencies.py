"""Apps depend on each other by plain imports, one way (DESIGN.md), or through a
registry the higher app fills in ``ready()``: never by looking a name up at run
time, where a rename turns into a silent loss instead of an import error.

The first test reads the source of every app (not the migrations, whose
``apps.get_model`` is Django's way to reach historical models) and fails on any
name look-up that comes back."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "patients", "messaging", "alerts", "labs", "interop", "quality")


def _app_sources() -> list[Path]:
    return sorted(
        path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts
    )


def _is_module(dotted: str) -> bool:
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _modules_bound(tree: ast.AST) -> set[str]:
    """Names that stand for a module in this file (``import x``, ``from a import b``
    where ``a.b`` is a module)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if _is_module(f"{node.module}.{alias.name}"):
                    names.add(alias.asname or alias.name)
    return names


def name_lookups(source: str, name: str) -> list[str]:
    tree = ast.parse(source, filename=name)
    modules = _modules_bound(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module == "importlib":
            found.append(f"{where} imports from importlib")
        elif isinstance(node, ast.Import) and any(alias.name == "importlib" for alias in node.names):
            found.append(f"{where} imports importlib")
        elif isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
            if caught & {"ModuleNotFoundError", "ImportError"}:
                found.append(f"{where} catches a missing module")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "get_model", "send_task", "__import__"):
                found.append(f"{where} calls {called}")
            elif called in ("getattr", "hasattr") and node.args:
                target = node.args[0]
                if isinstance(target, ast.Name) and target.id in modules:
                    found.append(f"{where} {called}({target.id}, ...) on a module")
    return found


def test_no_app_looks_another_up_by_name():
    found = [line for path in _app_sources() for line in name_lookups(path.read_text(), str(path.relative_to(ROOT)))]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'from importlib import import_module\nselectors = import_module("alerts.selectors")\n',
        'from django.apps import apps\nInboxItem = apps.get_model("messaging", "InboxItem")\n',
        'from portal.celery import app\napp.send_task("alerts.tasks.deliver_notifications")\n',
        "from alerts import services\nrun = getattr(services, 'medication_over_cap', None)\n",
        "try:\n    from labs import chart\nexcept ModuleNotFoundError:\n    chart = None\n",
    ],
)
def test_the_check_sees_each_kind_of_look_up(source):
    assert name_lookups(source, "example.py")


def test_the_plugins_are_registered_by_their_apps_at_start_up():
    from alerts import chart as alert_chart
    from labs import dashboard as lab_dashboard
    from messaging import nav as messaging_nav
    from patients import plugins as patient_plugins
    from portal import plugins
    from quality import demo as quality_demo

    assert list(plugins.NAV) == ["portal", "patients", "messaging", "alerts", "labs", "quality"]
    assert list(plugins.DASHBOARD) == ["patients", "messaging", "alerts", "labs", "quality"]
    assert list(plugins.DEMO) == ["patients", "messaging", "alerts", "labs", "quality"]
    assert list(patient_plugins.CHART_PANELS) == ["messaging", "alerts", "labs"]
    assert plugins.NAV["messaging"] is messaging_nav.nav_items
    assert plugins.DASHBOARD["labs"] is lab_dashboard.panels
    assert plugins.DEMO["quality"] is quality_demo.seed
    assert patient_plugins.CHART_PANELS["alerts"] is alert_chart.panels


def test_the_registries_the_lower_apps_read_are_filled():
    from alerts import selectors as alert_selectors
    from labs import integrations
    from messaging import selectors as messaging_selectors
    from patients import plugins

    assert plugins.chart_thresholds_source() is alert_selectors.chart_thresholds
    assert plugins.patient_urgency_source() is messaging_selectors.patient_urgency
    assert integrations._finders["alert"] is alert_selectors.alert_for


def test_a_missing_provider_fails_loudly(monkeypatch):
    from patients import plugins

    monkeypatch.setattr(plugins, "_providers", {})
    with pytest.raises(plugins.MissingProvider):
        plugins.chart_thresholds_source()


def test_every_beat_schedule_names_a_registered_task():
    """Beat names its tasks by string (portal/celery.py): a renamed task must fail here."""
    from portal.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)


def test_every_dose_finding_is_an_alert_rule(db):
    """``medication_over_cap`` and its siblings are the codes of the rules that raise
    them: renaming one on either side fails here (and at start-up), never silently."""
    from alerts.models import AlertRule
    from alerts.parameters import SCHEMAS
    from patients.medication_alerts import FINDINGS, OVER_CAP

    assert OVER_CAP == "medication_over_cap"
    assert set(FINDINGS) <= set(SCHEMAS)
    assert set(AlertRule.objects.filter(code__in=FINDINGS).values_list("code", flat=True)) == set(FINDINGS)


def test_a_dose_finding_renamed_on_one_side_stops_the_start(monkeypatch):
    from alerts.apps import check_dose_findings_have_rules
    from patients import medication_alerts

    check_dose_findings_have_rules()  # as shipped
    renamed = tuple(
        "medication_over_the_cap" if code == medication_alerts.OVER_CAP else code for code in medication_alerts.FINDINGS
    )
    monkeypatch.setattr(medication_alerts, "FINDINGS", renamed)
    with pytest.raises(ImproperlyConfigured, match="medication_over_the_cap"):
        check_dose_findings_have_rules()
