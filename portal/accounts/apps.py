from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from allauth.mfa.models import Authenticator
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_init, post_save

        from portal.accounts import mfa
        from portal.accounts.adapters import bind_authenticator_secrets
        from portal.accounts.models import Invitation
        from portal.accounts.sessions import on_user_logged_in
        from portal.sealed import register_sealed_field

        # The TOTP secret an invited clinician or admin sets up while accepting (key rotation).
        register_sealed_field(
            model=Invitation, field="totp_secret_sealed", context=lambda row: f"invitation_totp:{row.pk}"
        )

        user_logged_in.connect(on_user_logged_in, dispatch_uid="aftercare-session-started")
        # TOTP secrets and recovery seeds are sealed to the row that holds them.
        post_init.connect(bind_authenticator_secrets, sender=Authenticator, dispatch_uid="aftercare-mfa-bind")
        # Setting up or removing TOTP ends the user's other sessions, however it happens.
        post_save.connect(mfa.on_authenticator_saved, sender=Authenticator, dispatch_uid="aftercare-totp-added")
        post_delete.connect(mfa.on_authenticator_deleted, sender=Authenticator, dispatch_uid="aftercare-totp-removed")
