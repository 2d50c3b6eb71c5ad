from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


def check_dose_findings_have_rules() -> None:
    """Each finding of the medication log (``patients.medication_alerts.FINDINGS``) is
    the code of the alert rule that words and raises it. A finding renamed on one side
    only would find no rule and raise nothing: refuse to start instead."""
    from alerts.parameters import SCHEMAS
    from patients.medication_alerts import FINDINGS

    missing = [code for code in FINDINGS if code not in SCHEMAS]
    if missing:
        raise ImproperlyConfigured(f"Dose findings without an alert rule: {', '.join(missing)}")


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts import chart, dashboard, demo, nav
        from alerts.inbox import alert_item_facts, follow_item_status
        from alerts.metrics import alert_metrics
        from alerts.selectors import alert_for, chart_thresholds
        from alerts.services import raise_dose_alerts, recommend_for_dose
        from labs.integrations import register_alert_finder
        from messaging.inbox_kinds import register_inbox_kind
        from patients.medication_alerts import DoseAlertHandler, register_dose_alert_handler
        from patients.plugins import register_chart_panels, register_chart_thresholds
        from portal.operations.metrics import register_metrics_source
        from portal.plugins import register_plugins

        # /metrics: alerts raised by severity and escalations, read at scrape time.
        register_metrics_source(alert_metrics)
        # The patients app (below this one) reaches these through its registry:
        # a dose over a limit raises its alert here, never through a name lookup.
        check_dose_findings_have_rules()
        register_dose_alert_handler(DoseAlertHandler(recommend=recommend_for_dose, raise_alerts=raise_dose_alerts))
        # Menu, home-page panel and demo data (portal.plugins); the patient chart's
        # panel and threshold lines, from the alert rules (patients.plugins).
        register_plugins(app="alerts", nav=nav.nav_items, dashboard=dashboard.panels, demo=demo.seed)
        register_chart_panels(app="alerts", panels=chart.panels)
        register_chart_thresholds(chart_thresholds)
        # "Request labs" from an alert: labs, beside this app, finds the alert here.
        register_alert_finder(alert_for)
        # The inbox (above which alerts sit) learns what an alert item shows and
        # what its status means for its alerts: one status model (alerts.inbox).
        register_inbox_kind("alert", facts=alert_item_facts, on_status=follow_item_status)
