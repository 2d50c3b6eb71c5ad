from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "portal.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Login failures counted for /metrics; every task's JSON log line and the
        # request id carried into it (portal.operations.logs).
        from portal.operations import logs, metrics

        metrics.connect_signals()
        logs.connect_celery_signals()
