"""Integration clients (lab systems) in Django admin.

Adding one shows its token on the next page, once: only its SHA-256 is stored, so a
lost token is replaced by revoking the client and adding a new one. Clients are
revoked, never deleted (the audit log and imported reports point at them). Every
creation and revocation is in the audit log.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from interop.models import IntegrationClient
from interop.services import create_integration_client, revoke_integration_client


@admin.register(IntegrationClient)
class IntegrationClientAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "token_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name"]
    fields = ["name", "scope", "token_prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["scope", "token_prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        # The name is set when the client is made; a renamed client would read as another one.
        return [*self.readonly_fields, "name"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # nothing of an existing client is editable here: revoke it instead
        # The form has checked the name (required, unique): the service checks it again.
        client, token = create_integration_client(name=obj.name, created_by=request.user, request=request)
        obj.pk, obj.token_prefix = client.pk, client.token_prefix
        obj._state.adding = False
        obj.token_shown_once = token  # on the new client's instance for response_add; never stored

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(obj, "token_shown_once", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "client": obj, "token": token, "opts": self.model._meta}
        return TemplateResponse(request, "admin/interop/integrationclient/token_shown_once.html", context)

    @admin.action(description="Revoke the selected clients (their tokens stop working at once)")
    def revoke(self, request, queryset) -> None:
        revoked = sum(
            revoke_integration_client(client=client, revoked_by=request.user, request=request) for client in queryset
        )
        self.message_user(request, f"{revoked} client(s) revoked.", messages.SUCCESS)
