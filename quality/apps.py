from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Clinic quality"

    def ready(self) -> None:
        from portal.plugins import register_plugins
        from portal.sealed import register_sealed_field
        from quality import dashboard, demo, nav
        from quality.models import Feedback

        # Menu, home-page panel and demo data (portal.plugins).
        register_plugins(app="quality", nav=nav.nav_items, dashboard=dashboard.panels, demo=demo.seed)

        # Key rotation walks it (rotate_encryption_key): a patient's feedback comment, bound to its row.
        register_sealed_field(model=Feedback, field="comment_sealed", context=lambda row: f"feedback:{row.pk}")
