"""Portal pages: the dashboard (panels from each app), health check, admin sign-in."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from portal.plugins import dashboard_sources


def _panels(request) -> list[str]:
    """The rendered home-page panels the apps registered (``portal.plugins``), in order."""
    return [panel for source in dashboard_sources() for panel in source(request)]


@login_required
def dashboard(request):
    # Two-factor authentication is optional for patients: offered on their home page until set up.
    offer_mfa = request.user.role == "patient" and not is_mfa_enabled(request.user)
    return render(request, "portal/dashboard.html", {"panels": _panels(request), "offer_mfa": offer_mfa})


def healthz(request):
    """Liveness for the load balancer and compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def admin_login_redirect(request, extra_context=None):
    """The admin site signs in through allauth (rate limits, MFA) like everyone else.

    A signed-in user who is not staff gets 403: sending them to the sign-in page would
    bounce straight back here.
    """
    if request.user.is_authenticated:
        raise PermissionDenied
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
