from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.accounts import services
from portal.accounts.models import Role, Specialty


class Command(BaseCommand):
    help = "Invite a clinician: creates the account and emails a one-time sign-up link (valid 7 days)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--specialty", required=True, choices=Specialty.values)
        parser.add_argument(
            "--triage",
            action="store_true",
            help="Put the clinician in the clinic's triage pool (alerts of patients without a care team).",
        )
        parser.add_argument(
            "--quality",
            action="store_true",
            help="Mark the clinician a quality lead (the clinic's quality figures and patients' feedback).",
        )

    def handle(self, *args, **options):
        try:
            user, _ = services.invite_user(
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=Role.CLINICIAN,
                specialty=options["specialty"],
                is_triage=options["triage"],
                is_quality=options["quality"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        self.stdout.write(self.style.SUCCESS(f"Invited {user.email}: the sign-up link is in their email."))
