from django.contrib import admin, messages

from portal.outbox.models import Notification
from portal.outbox.services import retry_notifications


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "recipient",
        "kind",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient__email", "dedup_key"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = ["recipient"]
    actions = ["send_again"]

    @admin.action(description="Send the selected failed notifications again")
    def send_again(self, request, queryset):
        count = retry_notifications(ids=queryset.values_list("id", flat=True))
        self.message_user(request, f"{count} failed notification(s) queued again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False
