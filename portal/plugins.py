"""The registry of what each app adds to the portal's shared pages: navigation
items, home-page panels and demo data.

Each app registers its own in its ``AppConfig.ready()`` with plain imports::

    from messaging import dashboard, demo, nav
    register_plugins(app="messaging", nav=nav.nav_items, dashboard=dashboard.panels, demo=demo.seed)

so a broken plugin module fails at start-up, and a renamed function fails at
import, never in silence at the first request. Django runs ``ready()`` in
``INSTALLED_APPS`` order, which is the dependency order of DESIGN.md: panels are
shown, and demo data seeded, in that order. Like ``portal/sealed.py``, this keeps
portal free of imports from the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from portal.accounts.models import User

NavItems = Callable[["User"], list[dict[str, Any]]]
DashboardPanels = Callable[["HttpRequest"], list[str]]
DemoSeed = Callable[[dict[str, "User"]], None]
# Sections an app adds to the account settings page (each an HTML fragment whose form
# posts to the app's own view).
SettingsPanels = Callable[["HttpRequest"], list[str]]

# App name -> its plugin, in registration (INSTALLED_APPS) order.
NAV: dict[str, NavItems] = {}
DASHBOARD: dict[str, DashboardPanels] = {}
DEMO: dict[str, DemoSeed] = {}
SETTINGS: dict[str, SettingsPanels] = {}


def register_plugins(
    *,
    app: str,
    nav: NavItems | None = None,
    dashboard: DashboardPanels | None = None,
    demo: DemoSeed | None = None,
    settings: SettingsPanels | None = None,
) -> None:
    """Register an app's navigation items, home-page panels, demo seeding and settings
    sections (each optional)."""
    plugins: tuple[tuple[dict[str, Any], Any], ...] = (
        (NAV, nav),
        (DASHBOARD, dashboard),
        (DEMO, demo),
        (SETTINGS, settings),
    )
    for registry, plugin in plugins:
        if plugin is not None:
            registry[app] = plugin


def nav_sources() -> list[NavItems]:
    return list(NAV.values())


def dashboard_sources() -> list[DashboardPanels]:
    return list(DASHBOARD.values())


def demo_seeds() -> list[DemoSeed]:
    return list(DEMO.values())


def settings_sources() -> list[SettingsPanels]:
    return list(SETTINGS.values())


# The patients a user follows as a caregiver (``/api/v1/me``'s ``patients``, the
# caregiver's switcher): the patients app, above portal, fills it in ``ready()``.
FollowedPatients = Callable[["User"], list[int]]
FOLLOWED_PATIENTS: dict[str, FollowedPatients] = {}


def register_followed_patients(*, app: str, source: FollowedPatients) -> None:
    FOLLOWED_PATIENTS[app] = source


def followed_patient_ids(user: User) -> list[int]:
    """Ids of the patients this user may act for as a caregiver (none when no app
    registered a source)."""
    return [pk for source in FOLLOWED_PATIENTS.values() for pk in source(user)]
