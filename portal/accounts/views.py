"""Account pages: accept an invitation, account settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal.accounts import services
from portal.accounts.forms import INVITED_EMAIL_KEY, AcceptInvitationForm, AccountSettingsForm


@never_cache
@sensitive_post_parameters("password1", "password2")
def accept_invitation(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(token=token, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            for message in exc.message_dict.get("password", []) + exc.message_dict.get("token", []):
                form.add_error("password1", message)
        else:
            messages.success(request, "Your password is set. Sign in to continue.")
            request.session[INVITED_EMAIL_KEY] = user.email  # the sign-in form fills it in (not in the URL)
            return redirect("account_login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invited": invitation.user})


@login_required
def account_settings(request):
    user = request.user
    form = AccountSettingsForm(
        request.POST or None, initial={"display_units": user.display_units, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        services.update_account_settings(user=user, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("account_settings")
    return render(request, "accounts/settings.html", {"form": form})
