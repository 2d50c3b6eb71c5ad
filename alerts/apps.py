from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts.metrics import alert_metrics
        from alerts.services import raise_dose_alerts, recommend_for_dose
        from patients.medication_alerts import DoseAlertHandler, register_dose_alert_handler
        from portal.operations.metrics import register_metrics_source

        # /metrics: alerts raised by severity and escalations, read at scrape time.
        register_metrics_source(alert_metrics)
        # The patients app (below this one) reaches these through its registry:
        # a dose over a limit raises its alert here, never through a name lookup.
        register_dose_alert_handler(DoseAlertHandler(recommend=recommend_for_dose, raise_alerts=raise_dose_alerts))
