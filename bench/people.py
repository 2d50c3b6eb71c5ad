"""Small clinics for the latency and fault scripts: clinicians, patients with a recent
procedure and a care team, and their session tokens (bulk ORM writes, no sign-in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass
class Clinic:
    clinicians: list  # User
    patients: list  # Patient (with .user)
    tokens: dict[int, str]  # patient id -> X-Session-Token


def create_clinic(
    *, prefix: str, patients: int, clinicians: int = 2, team_size: int = 1, procedure_hours_ago: float = 12
) -> Clinic:
    """``patients`` new patients (procedure ``procedure_hours_ago`` hours ago: day 0, no
    check-in reminder due yet), each with ``team_size`` of the ``clinicians`` on the care
    team, and a signed-in session each."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from bench.signin import session_for
    from patients.models import CareTeamGrant, Patient, Procedure
    from portal.accounts.models import Role, User

    unusable = make_password(None)
    now = timezone.now()
    staff = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}-clinician-{n}@bench.test",
                first_name="Clin",
                last_name=f"Ician{n}",
                role=Role.CLINICIAN,
                specialty="neurology",
                password=unusable,
            )
            for n in range(clinicians)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(
                email=f"{prefix}-patient-{n}@bench.test",
                first_name="Pat",
                last_name=f"Ient{n}",
                role=Role.PATIENT,
                password=unusable,
            )
            for n in range(patients)
        ],
        batch_size=1000,
    )
    created = Patient.objects.bulk_create(
        [Patient(user=user, date_of_birth="1980-01-01", sex="female") for user in users], batch_size=1000
    )
    performed_at = now - timedelta(hours=procedure_hours_ago)
    Procedure.objects.bulk_create(
        [Procedure(patient=p, performed_at=performed_at, needle_type="atraumatic", needle_gauge=22) for p in created],
        batch_size=1000,
    )
    CareTeamGrant.objects.bulk_create(
        [
            CareTeamGrant(patient=p, clinician=staff[(n + k) % clinicians])
            for n, p in enumerate(created)
            for k in range(team_size)
        ],
        batch_size=1000,
    )
    for patient, user in zip(created, users, strict=True):
        patient.user = user
    return Clinic(staff, created, {p.pk: session_for(p.user) for p in created})
