"""Account pages: accept an invitation, account settings."""

from __future__ import annotations

import base64

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from portal.accounts import services
from portal.accounts.forms import INVITED_EMAIL_KEY, AcceptInvitationForm, AccountSettingsForm
from portal.accounts.sessions import keep_alive, seconds_left
from portal.clinic.selectors import current_clinic
from portal.plugins import settings_sources


@never_cache
@sensitive_post_parameters("password1", "password2", "code")
def accept_invitation(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    totp = services.invitation_totp_setup(invitation)
    form = AcceptInvitationForm(request.POST or None, with_totp=totp is not None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_invitation(
                token=token, password=form.cleaned_data["password1"], totp_code=form.cleaned_data.get("code")
            )
        except ValidationError as exc:
            errors = exc.message_dict
            for message in errors.get("password", []) + errors.get("token", []):
                form.add_error("password1", message)
            for message in errors.get("totp_code", []):
                form.add_error("code", message)
        else:
            if totp is not None:
                messages.success(request, "Your password and authenticator app are set. Sign in with both to continue.")
            else:
                messages.success(request, "Your password is set. Sign in to continue.")
            request.session[INVITED_EMAIL_KEY] = user.email  # the sign-in form fills it in (not in the URL)
            return redirect("account_login")
    if totp is not None:
        # The QR code as an SVG data URI, as allauth's own set-up page shows it.
        svg = get_mfa_adapter().build_totp_svg(totp["otpauth_url"])
        totp["qr_data_uri"] = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return render(request, "accounts/invitation_accept.html", {"form": form, "invited": invitation.user, "totp": totp})


@login_required
def account_settings(request):
    user = request.user
    form = AccountSettingsForm(
        request.POST or None,
        initial={"display_units": user.display_units, "time_zone": user.time_zone},
        likely_zones=[user.time_zone, current_clinic().time_zone],
    )
    if request.method == "POST" and form.is_valid():
        services.update_account_settings(user=user, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("account_settings")
    # What the apps above portal add (portal.plugins): a patient's phone number, for one.
    panels = [panel for source in settings_sources() for panel in source(request)]
    return render(request, "accounts/settings.html", {"form": form, "panels": panels})


@require_POST
def session_keep_alive(request):
    """ "Stay signed in" in the time-out warning: an authenticated request that gives the
    session its full idle time back. A session already ended (the time-out middleware
    signed it out) answers 401, so the page can say so instead of pretending."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    keep_alive(request.session)
    return JsonResponse({"signed_in": True, "seconds_left": seconds_left(request.session, request.user.role)})
