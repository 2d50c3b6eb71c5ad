from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Aftercare portal"

    def ready(self) -> None:
        from portal import nav
        from portal.plugins import register_plugins

        # Home and Admin in the menu (portal.plugins; each app registers its own).
        register_plugins(app="portal", nav=nav.nav_items)
