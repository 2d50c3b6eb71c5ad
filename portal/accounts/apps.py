from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from portal.accounts.sessions import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="aftercare-session-started")
