from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.accounts import services
from portal.accounts.models import Role


class Command(BaseCommand):
    help = (
        "Invite an administrator (staff, Django admin): creates the account and emails a one-time "
        "sign-up link (valid 7 days). Accepting it verifies the address and sets the password and TOTP."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)

    def handle(self, *args, **options):
        try:
            user, _ = services.invite_user(
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=Role.ADMIN,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(self.style.SUCCESS(f"Invited {user.email} as an administrator: the link is in their email."))
