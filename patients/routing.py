"""Who hears about a patient's alerts and red-flag messages (CLINICAL.md section 7).

The patient's active care team (clinicians with an unrevoked grant who are still
active clinicians); when there is none, the clinic's triage pool, with the emails to
the clinic's on-call address. Losing a care team (a revoked grant, a deactivated
clinician, a clinician whose role changed) needs no event of its own: every answer
here is read from the grants and accounts as they are now.

The alerts and messaging apps route through ``responsible_for`` and scope their reads
with ``patients_in_triage_for``, so who is told and who may open the item never differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet

from patients.models import CareTeamGrant, Patient
from portal.accounts.models import Role, User
from portal.clinic.selectors import current_clinic


class Audience(models.TextChoices):
    CARE_TEAM = "care_team", "The patient's care team"
    TRIAGE_POOL = "triage_pool", "The clinic's triage pool and on-call address"


@dataclass(frozen=True)
class Responsible:
    """Who is told about one patient now."""

    audience: str
    clinicians: tuple[User, ...]  # the care team, or the triage pool
    oncall_email: str = ""  # the on-call address, for the triage pool's emails

    @property
    def reachable(self) -> bool:
        """Somebody is told: a clinician, or the on-call address."""
        return bool(self.clinicians or self.oncall_email)


def _active_care_team_grants() -> QuerySet[CareTeamGrant]:
    return CareTeamGrant.objects.filter(
        revoked_at__isnull=True, clinician__role=Role.CLINICIAN, clinician__is_active=True
    )


def has_care_team(patient: Patient) -> bool:
    return _active_care_team_grants().filter(patient=patient).exists()


def patients_without_care_team() -> QuerySet[Patient]:
    """Patients no active clinician holds an unrevoked grant for."""
    return Patient.objects.filter(~Exists(_active_care_team_grants().filter(patient=OuterRef("pk"))))


def is_in_triage_pool(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.CLINICIAN
        and getattr(user, "is_triage", False)
    )


def patients_in_triage_for(user) -> QuerySet[Patient]:
    """The patients whose alerts, inbox items and messages the triage pool takes: those
    without an active care team. Nobody's for a clinician outside the pool."""
    if not is_in_triage_pool(user):
        return Patient.objects.none()
    return patients_without_care_team()


def triage_pool() -> tuple[User, ...]:
    return tuple(User.objects.triage_pool().order_by("pk"))


def responsible_for(patient: Patient) -> Responsible:
    """The care team if the patient has one, else the triage pool and on-call address."""
    team = tuple(
        User.objects.filter(pk__in=_active_care_team_grants().filter(patient=patient).values("clinician")).order_by(
            "pk"
        )
    )
    if team:
        return Responsible(audience=Audience.CARE_TEAM, clinicians=team)
    return Responsible(
        audience=Audience.TRIAGE_POOL, clinicians=triage_pool(), oncall_email=current_clinic().oncall_email
    )


def responsible_for_each(patients: Iterable[Patient]) -> dict[int, Responsible]:
    """``responsible_for`` of many patients (the scan's alerts) in one query, plus the
    triage pool's once when one of them has no care team."""
    ids = {patient.pk for patient in patients}
    teams: dict[int, dict[int, User]] = {}
    grants = _active_care_team_grants().filter(patient_id__in=ids).select_related("clinician")
    for grant in grants:
        teams.setdefault(grant.patient_id, {})[grant.clinician.pk] = grant.clinician
    answer = {
        patient_id: Responsible(audience=Audience.CARE_TEAM, clinicians=tuple(team[pk] for pk in sorted(team)))
        for patient_id, team in teams.items()
    }
    if len(answer) < len(ids):
        pool = Responsible(
            audience=Audience.TRIAGE_POOL, clinicians=triage_pool(), oncall_email=current_clinic().oncall_email
        )
        answer.update({patient_id: pool for patient_id in ids - answer.keys()})
    return answer
