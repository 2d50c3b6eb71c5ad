"""Navigation per role, gathered from the items each app registered
(``portal.plugins``), so apps add their pages without editing the base template."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from portal.permissions import needs_mfa
from portal.plugins import nav_sources


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    if needs_mfa(user):
        # Every other page sends them to TOTP set-up: offer nothing that bounces.
        return {"nav_items": [], "mfa_setup_pending": True}
    items = []
    for source in nav_sources():
        for item in source(user):
            try:
                url = reverse(item["url_name"], args=item.get("args", ()))
            except NoReverseMatch:
                continue
            items.append(
                {
                    "label": item["label"],
                    "url": url,
                    "order": item.get("order", 50),
                    "badge": item.get("badge"),
                    # A patient's bar holds the primary items; the rest go under "More".
                    "primary": item.get("primary", False),
                    "active": request.path == url or (url != "/" and request.path.startswith(url)),
                }
            )
    items.sort(key=lambda item: item["order"])
    return {"nav_items": items}
