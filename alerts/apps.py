from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        from alerts.metrics import alert_metrics
        from portal.operations.metrics import register_metrics_source

        # /metrics: alerts raised by severity and escalations, read at scrape time.
        register_metrics_source(alert_metrics)
