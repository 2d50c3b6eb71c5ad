from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_accounts
from portal.plugins import demo_seeds


class Command(BaseCommand):
    help = "Create (or refresh) the demo clinic and print how to sign in. Idempotent."

    def handle(self, *args, **options):
        accounts = seed_accounts()
        # Dependency order (DESIGN.md, the order the apps registered in): each
        # app's demo may use what the earlier ones made.
        for seed in demo_seeds():
            seed(accounts)
        site = settings.AFTERCARE_SITE_URL
        self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
        self.stdout.write(f"Sign in at {site}/accounts/login/ with password {DEMO_PASSWORD!r} as:")
        for person in DEMO_PEOPLE:
            note = " (sets up TOTP on first sign-in)" if person.role in ("clinician", "admin") else ""
            self.stdout.write(f"  {person.email:<40} {person.role}{note}")
