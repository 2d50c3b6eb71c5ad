from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"
    verbose_name = "Labs"

    def ready(self) -> None:
        from labs import chart, dashboard, demo, nav
        from labs.models import LabReport, LabReportFile, LabRequest, file_context, file_name_context
        from patients.plugins import register_chart_panels
        from portal.plugins import register_plugins
        from portal.sealed import register_sealed_field

        # Menu, home-page panel and demo data (portal.plugins), the patient chart's panel.
        register_plugins(app="labs", nav=nav.nav_items, dashboard=dashboard.panels, demo=demo.seed)
        register_chart_panels(app="labs", panels=chart.panels)

        # Key rotation walks these (rotate_encryption_key): the report file and its
        # original name, each bound to the report id.
        register_sealed_field(model=LabReportFile, field="sealed", context=lambda row: file_context(row.report_id))
        register_sealed_field(
            model=LabReportFile, field="name_sealed", context=lambda row: file_name_context(row.report_id)
        )
        # The releasing clinician's note on a report, bound to the report.
        register_sealed_field(
            model=LabReport, field="release_note_sealed", context=lambda row: f"lab_report_note:{row.pk}"
        )
        # A lab request's reason, bound to the request.
        register_sealed_field(model=LabRequest, field="reason_sealed", context=lambda row: f"lab_request:{row.pk}")
