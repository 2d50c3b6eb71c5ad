from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = "Clinic quality"

    def ready(self) -> None:
        from portal.sealed import register_sealed_field

        # Key rotation walks it (rotate_encryption_key): a patient's feedback comment, bound to its row.
        register_sealed_field(
            model="quality.Feedback", field="comment_sealed", context=lambda row: f"feedback:{row.pk}"
        )
