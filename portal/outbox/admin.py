"""The notification outbox in Django admin: delivery state, and "send again" for
failed rows. A notification to a patient is itself a clinical event (a lab result
released, an alert): the admin sees that *a patient* was notified, never which one,
and no key or link that leads back to them (DESIGN.md: admins never see which
patient had which alert)."""

from django.contrib import admin, messages

from portal.outbox.models import Notification
from portal.outbox.services import retry_notifications


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "to",
        "kind",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "channel"]
    fields = ["created_at", "to", "kind", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    readonly_fields = fields
    list_select_related = ["recipient"]
    actions = ["send_again"]

    @admin.display(description="to")
    def to(self, notification: Notification) -> str:
        recipient = notification.recipient
        if recipient is None:
            return "The on-call address"
        if recipient.role == "patient":
            return "A patient"
        return recipient.display_name

    @admin.action(description="Send the selected failed notifications again")
    def send_again(self, request, queryset):
        count = retry_notifications(ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"{count} failed notification(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False
