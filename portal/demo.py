"""Demo clinic accounts for ``seed_demo``. Idempotent: run it as often as you like.

Each app adds its own demo data in ``<app>/demo.py`` with ``seed(accounts)``;
the command calls them in dependency order.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from portal.accounts.models import Role, Specialty, User
from portal.clinic.models import ClinicSettings

DEMO_PASSWORD = "aftercare-demo-2026"  # noqa: S105 -- demo accounts only, printed by seed_demo


@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    first_name: str
    last_name: str
    role: str
    specialty: str = ""
    display_units: str = "C"
    time_zone: str = "Europe/London"
    is_quality: bool = False  # a quality lead: the clinic's quality figures
    # In the clinic's triage pool (CLINICAL.md section 7): the demo's pool is not empty.
    triage: bool = False


DEMO_PEOPLE = [
    DemoPerson("admin", "admin@aftercare.example", "Alex", "Admin", Role.ADMIN),
    DemoPerson(
        "neurologist",
        "neurologist@aftercare.example",
        "Nora",
        "Quinn",
        Role.CLINICIAN,
        Specialty.NEUROLOGY,
        triage=True,
    ),
    DemoPerson(
        "anesthesiologist",
        "anesthesiologist@aftercare.example",
        "Aaron",
        "Patel",
        Role.CLINICIAN,
        Specialty.ANESTHESIOLOGY,
    ),
    DemoPerson(
        "patient",
        "patient@aftercare.example",
        "Pat",
        "Rivera",
        Role.PATIENT,
        display_units="F",
        time_zone="America/New_York",
    ),
    DemoPerson("recovering_patient", "sam@aftercare.example", "Sam", "Okafor", Role.PATIENT),
    DemoPerson(
        "quality_lead",
        "quality@aftercare.example",
        "Quinn",
        "Harper",
        Role.CLINICIAN,
        Specialty.NURSING,
        is_quality=True,
    ),
]


DEMO_CLINIC_PHONE = "+1 555 0100"
DEMO_ONCALL_EMAIL = "oncall@aftercare.example"
# The demo patient Pat lives in New York: the clinic's opening hours are New York's.
DEMO_CLINIC_TIME_ZONE = "America/New_York"


def seed_clinic() -> None:
    """The demo clinic's phone, on-call address and time zone, where an admin has set none."""
    row = ClinicSettings.objects.filter(pk=ClinicSettings.SINGLETON_ID).first()
    if row is None:
        return
    if not row.phone:
        row.phone = DEMO_CLINIC_PHONE
    if not row.oncall_email:
        row.oncall_email = DEMO_ONCALL_EMAIL
    if row.time_zone == "UTC":
        row.time_zone = DEMO_CLINIC_TIME_ZONE
    row.save(update_fields=["phone", "oncall_email", "time_zone", "updated_at"])


@transaction.atomic
def seed_accounts() -> dict[str, User]:
    seed_clinic()
    accounts: dict[str, User] = {}
    for person in DEMO_PEOPLE:
        user, created = User.objects.get_or_create(
            email=person.email,
            defaults={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "role": person.role,
                "specialty": person.specialty,
                "is_quality": person.is_quality,
                "display_units": person.display_units,
                "time_zone": person.time_zone,
                "is_staff": person.role == Role.ADMIN,
                "is_superuser": person.role == Role.ADMIN,
                "is_triage": person.triage,
            },
        )
        if created:
            # Demo only: real accounts are invited and choose their own password.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        accounts[person.key] = user
    return accounts
