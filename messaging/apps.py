from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from messaging import chart, dashboard, demo, nav
        from messaging.inbox_kinds import register_inbox_kind
        from messaging.models import Attachment, Message, Thread, ThreadForward
        from messaging.selectors import message_item_facts, patient_urgency
        from patients.plugins import register_chart_panels, register_patient_urgency
        from portal.plugins import register_plugins
        from portal.sealed import register_sealed_field

        # Menu, home-page panel and demo data (portal.plugins), the patient chart's
        # panel and the patient list's urgency (patients.plugins): patients and portal
        # sit below this app and reach it only through these registries.
        register_plugins(app="messaging", nav=nav.nav_items, dashboard=dashboard.panels, demo=demo.seed)
        register_chart_panels(app="messaging", panels=chart.panels)
        register_patient_urgency(patient_urgency)

        # Every sealed column, for key rotation. Each context binds the blob to its row.
        register_sealed_field(model=Thread, field="subject_sealed", context=lambda row: f"thread:{row.pk}")
        register_sealed_field(model=Message, field="body_sealed", context=lambda row: f"message:{row.pk}")
        register_sealed_field(model=Attachment, field="content_sealed", context=lambda row: f"attachment:{row.pk}")
        register_sealed_field(
            model=Attachment, field="filename_sealed", context=lambda row: f"attachment_name:{row.pk}"
        )
        register_sealed_field(model=ThreadForward, field="note_sealed", context=lambda row: f"thread_forward:{row.pk}")

        # A message item's row and pane show its subject and the patient's first line.
        register_inbox_kind("message", facts=message_item_facts)
