"""``patient_alert_banner``: on every page of a patient, their urgent and
contact_provider alerts until a clinician acknowledges them, then who saw them and when
(until resolved). Read lazily: one query, only when the base template shows it.

``admin_notices``: what admins must know on every admin page. Here: alert rules
whose saved thresholds fail their schema (written past the admin form), which the
engine does not use (``AlertRule.in_force``). Read lazily: only a page that shows the
notices (the admin's base template) pays its one query."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from alerts.rules import rule_problems
from alerts.selectors import banner_alerts_for
from portal.accounts.models import Role


def patient_alert_banner(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role != Role.PATIENT:
        return {}
    return {"patient_alert_banner": SimpleLazyObject(lambda: banner_alerts_for(user))}


def _notices() -> list[dict]:
    notices = []
    for problem in rule_problems():
        notices.append(
            {
                "text": f"Alert rule {problem.code}: its saved thresholds are not valid "
                f"({'; '.join(f'{name} {why}' for name, why in sorted(problem.problems.items()))}). "
                f"The rules use {problem.consequence}.",
                "link": reverse("admin:alerts_alertrule_changelist") + f"?q={problem.code}",
            }
        )
    return notices


def admin_notices(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_staff", False) or not request.path.startswith("/admin/"):
        return {}
    return {"admin_notices": SimpleLazyObject(_notices)}
