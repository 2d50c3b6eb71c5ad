from django.contrib import admin

from portal.outbox.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "channel", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["recipient__email", "dedup_key"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    list_select_related = ["recipient"]

    def has_add_permission(self, request):
        return False
