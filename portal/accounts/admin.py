"""Accounts in Django admin: list and filter by role, invite, deactivate, reset MFA.

Admins never see health data here: users only, no patient record fields. The
authenticators (allauth's MFA rows) are read-only: an admin sees who has TOTP set
up and when it was last used, never the sealed secret, and cannot edit, add or
delete one (a reset goes through "Reset two-factor authentication", audited).
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path

from portal.accounts import services
from portal.accounts.forms import InviteClinicianForm
from portal.accounts.models import Invitation, Role, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "role",
        "specialty",
        "is_triage",
        "is_quality",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "specialty", "is_triage", "is_quality", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["last_name", "first_name"]
    fields = [
        "email",
        "first_name",
        "last_name",
        "role",
        "specialty",
        "is_triage",
        "is_quality",
        "display_units",
        "time_zone",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
        "last_login",
        "date_joined",
    ]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["groups"]
    # On one's own account: no role, triage, quality, staff, superuser or group change
    # (services.save_account_by_admin).
    OWN_ACCOUNT_READONLY = [
        "role",
        "specialty",
        "is_triage",
        "is_quality",
        "is_active",
        "is_staff",
        "is_superuser",
        "groups",
    ]
    actions = ["deactivate_users", "reset_users_mfa", "resend_invitation"]
    change_list_template = "admin/accounts/user/change_list.html"

    def get_urls(self):
        return [
            path(
                "invite-clinician/", self.admin_site.admin_view(self.invite_clinician_view), name="accounts_user_invite"
            ),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts are deactivated, never deleted: clinical rows point at them.
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += self.OWN_ACCOUNT_READONLY
        return fields

    def save_model(self, request, obj, form, change) -> None:
        # Refuses a change of one's own access (403) and audits every access change.
        services.save_account_by_admin(user=obj, actor=request.user, created=not change)

    def invite_clinician_view(self, request):
        form = InviteClinicianForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                user, _ = services.invite_user(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    role=Role.CLINICIAN,
                    specialty=data["specialty"],
                    is_triage=data["is_triage"],
                    is_quality=data["is_quality"],
                    invited_by=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(request, f"Invitation sent to {user.email}.", messages.SUCCESS)
                return redirect("admin:accounts_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Invite a clinician",
            "opts": self.model._meta,
        }
        return render(request, "admin/accounts/user/invite_clinician.html", context)

    def _confirm(self, request, queryset, *, action: str, title: str, consequences: list[str], button: str):
        """The page between "Go" and the change (as Django's delete confirmation): who
        is affected and what will happen; nothing changes until it is confirmed."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "users": list(queryset.order_by("email")),
            "action": action,
            "consequences": consequences,
            "button": button,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/accounts/user/confirm_action.html", context)

    @admin.action(description="Deactivate selected users")
    def deactivate_users(self, request, queryset):
        queryset = queryset.exclude(pk=request.user.pk)  # never yourself
        if request.POST.get("confirm") != "yes":
            return self._confirm(
                request,
                queryset,
                action="deactivate_users",
                title="Deactivate these accounts?",
                consequences=[
                    "They cannot sign in any more, and every session and app token of theirs ends at once.",
                    "Their records are kept. A deactivated patient is marked as such in clinicians' lists; "
                    "a deactivated clinician leaves every care team, and those patients' alerts go to the "
                    "triage pool; a deactivated caregiver follows nobody any more.",
                    "You can turn an account on again from its page (Active).",
                ],
                button="Yes, deactivate",
            )
        count = 0
        for user in queryset:
            services.deactivate_user(user=user, actor=request.user)
            count += 1
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)
        return None

    @admin.action(description="Reset two-factor authentication (user must enrol again)")
    def reset_users_mfa(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            return self._confirm(
                request,
                queryset,
                action="reset_users_mfa",
                title="Reset two-factor authentication?",
                consequences=[
                    "Their authenticator app and recovery codes stop working at once.",
                    "Every session of theirs ends; they sign in with their password and must set up an "
                    "authenticator app again before they see any patient data.",
                    "Check who is asking first (a lost phone): a reset lets whoever has the password in.",
                ],
                button="Yes, reset two-factor authentication",
            )
        for user in queryset:
            services.reset_mfa(user=user, actor=request.user)
        self.message_user(request, f"Two-factor authentication reset for {queryset.count()} user(s).", messages.SUCCESS)
        return None

    @admin.action(description="Send a new invitation link")
    def resend_invitation(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=True):
            if not user.has_usable_password():
                services.reissue_invitation(user=user, invited_by=request.user)
                count += 1
        self.message_user(request, f"{count} invitation(s) sent (users who already set a password are skipped).")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["user", "invited_by", "created_at", "expires_at", "used_at", "revoked_at"]
    list_select_related = ["user", "invited_by"]
    readonly_fields = ["user", "invited_by", "created_at", "expires_at", "used_at", "revoked_at"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
