from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from portal.sealed import register_sealed_field

        # Every sealed column, for key rotation. Each context binds the blob to its row.
        register_sealed_field(model="messaging.Thread", field="subject_sealed", context=lambda row: f"thread:{row.pk}")
        register_sealed_field(model="messaging.Message", field="body_sealed", context=lambda row: f"message:{row.pk}")
        register_sealed_field(
            model="messaging.Attachment", field="content_sealed", context=lambda row: f"attachment:{row.pk}"
        )
        register_sealed_field(
            model="messaging.Attachment", field="filename_sealed", context=lambda row: f"attachment_name:{row.pk}"
        )
        register_sealed_field(
            model="messaging.ThreadForward", field="note_sealed", context=lambda row: f"thread_forward:{row.pk}"
        )
