"""Reads that touch health data, scoped to the caller.

``patient_for`` is the one access check for a patient's record: "missing" and
"not yours" are the same 404, so a response never reveals that a record exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from patients.caregivers import FOLLOWER_ROLES, followed_patient
from patients.models import CareTeamGrant, Drug, MedicationDose, Patient, Procedure, SymptomEntry
from patients.pain_plan import daily_cap_for
from patients.plugins import patient_urgency_source
from portal.accounts.models import Role, User
from portal.audit.models import AuditEvent
from portal.validation import id_or_404


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Patients this user may see: themselves, or a clinician's active care team."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    if user.role == Role.CLINICIAN:
        return Patient.objects.filter(
            care_team_grants__clinician=user, care_team_grants__revoked_at__isnull=True
        ).distinct()
    return Patient.objects.none()


def patient_for(user: User, patient_id: int | str | None) -> Patient:
    """The patient with this id if the user may see them, else 404."""
    pk = id_or_404(patient_id)
    patient = patients_visible_to(user).select_related("user").filter(pk=pk).first()
    if patient is None:
        raise Http404
    return patient


def own_patient(user: User) -> Patient:
    """The signed-in patient's own record (404 for anyone else)."""
    if not user.is_authenticated:
        raise Http404
    try:
        patient = Patient.objects.get(user=user)
    except Patient.DoesNotExist:
        raise Http404 from None
    patient.user = user  # the caller's own row: no join to read it again (every diary entry comes here)
    return patient


def is_on_care_team(*, clinician: User, patient: Patient) -> bool:
    return CareTeamGrant.objects.filter(clinician=clinician, patient=patient, revoked_at__isnull=True).exists()


def care_team_of(patient: Patient) -> QuerySet[User]:
    """Active clinicians the patient has chosen."""
    clinicians: QuerySet[User] = User.objects.filter(
        role=Role.CLINICIAN,
        is_active=True,
        care_team_grants__patient=patient,
        care_team_grants__revoked_at__isnull=True,
    ).distinct()
    return clinicians


def latest_procedure(patient: Patient) -> Procedure | None:
    return patient.procedures.order_by("-performed_at").first()


def latest_procedure_at(patient_id: int) -> Subquery:
    """When the patient's latest procedure was, as an expression: another query that
    reads a row of this patient carries it (the diary entry's look-back)."""
    return Subquery(
        Procedure.objects.filter(patient_id=patient_id).order_by("-performed_at").values("performed_at")[:1]
    )


# --- Scope: which patient a request is about -------------------------------------------


def patient_in_scope(user: User, patient_id: int | str | None, *, caregivers: bool = False) -> Patient:
    """The patient a read is about: a patient reads their own record (``patient``
    may be omitted); a clinician must name one of their care-team patients. Where
    the read is one a caregiver may make (``caregivers``), a caregiver (or a patient
    who follows someone) names a patient they follow (patients.caregivers).

    Raises ValidationError ``patient`` when a clinician or caregiver names none,
    Http404 otherwise.
    """
    if caregivers and user.is_authenticated and user.role in FOLLOWER_ROLES:
        own_id = getattr(getattr(user, "patient", None), "pk", None) if user.role == Role.PATIENT else None
        if patient_id not in (None, "") and str(patient_id) != str(own_id):
            return followed_patient(user, patient_id)
    if user.is_authenticated and user.role == Role.PATIENT:
        patient = own_patient(user)
        if patient_id not in (None, "") and str(patient_id) != str(patient.pk):
            raise Http404
        return patient
    if patient_id in (None, ""):
        raise ValidationError({"patient": ["Choose a patient (the patient query parameter is required)."]})
    return patient_for(user, patient_id)


# --- Monitoring window --------------------------------------------------------------


def day_since_procedure(procedure: Procedure | None, at: datetime | None = None) -> int | None:
    """Day N of CLINICAL.md: whole 24-hour periods since the procedure (day 0 is
    the first 24 h). Counted in elapsed time, not calendar dates, so a patient and
    a clinician in other time zones see the same day and the rules agree with it."""
    return day_since_procedure_at(procedure.performed_at if procedure is not None else None, at)


def day_since_procedure_at(performed_at: datetime | None, at: datetime | None = None) -> int | None:
    if performed_at is None:
        return None
    at = at or timezone.now()
    return max((at - performed_at) // timedelta(days=1), 0)


# --- Diary -----------------------------------------------------------------------


def symptom_entries(
    patient: Patient,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_entered_in_error: bool = True,
) -> QuerySet[SymptomEntry]:
    """A patient's entries, newest first. The caller has checked access."""
    entries = SymptomEntry.objects.filter(patient=patient)
    if since is not None:
        entries = entries.filter(recorded_at__gte=since)
    if until is not None:
        entries = entries.filter(recorded_at__lte=until)
    if not include_entered_in_error:
        entries = entries.filter(entered_in_error_at__isnull=True)
    return entries.order_by("-recorded_at", "-id")


def latest_entry(patient: Patient) -> SymptomEntry | None:
    return symptom_entries(patient, include_entered_in_error=False).first()


def entry_for(user: User, entry_id: int | str) -> SymptomEntry:
    """One entry the user may see (their own, or a care-team patient's), else 404."""
    try:
        pk = int(entry_id)
    except (TypeError, ValueError):
        raise Http404 from None
    entry = SymptomEntry.objects.select_related("patient").filter(pk=pk, patient__in=patients_visible_to(user)).first()
    if entry is None:
        raise Http404
    return entry


# --- Medication log ----------------------------------------------------------------


def medication_doses(patient: Patient, *, since: datetime | None = None) -> QuerySet[MedicationDose]:
    doses = MedicationDose.objects.filter(patient=patient, entered_in_error_at__isnull=True).select_related("drug")
    if since is not None:
        doses = doses.filter(taken_at__gte=since)
    return doses.order_by("-taken_at", "-id")


def _last_24h(patient: Patient, now: datetime | None) -> QuerySet[MedicationDose]:
    now = now or timezone.now()
    return MedicationDose.objects.filter(
        patient=patient, entered_in_error_at__isnull=True, taken_at__gt=now - timedelta(hours=24), taken_at__lte=now
    )


def medication_totals_24h(patient: Patient, *, now: datetime | None = None) -> dict[str, int]:
    """Milligrams of each class taken in the 24 hours up to ``now``."""
    rows = _last_24h(patient, now).values("medication_class").annotate(total=Sum("dose_mg"))
    return {row["medication_class"]: row["total"] for row in rows}


@dataclass(frozen=True)
class IngredientTotal:
    name: str
    total_mg: int
    cap_mg: int

    @property
    def reached(self) -> bool:
        return self.total_mg >= self.cap_mg


def medication_summary_24h(patient: Patient, *, now: datetime | None = None) -> list[IngredientTotal]:
    """Each ingredient's milligrams in the 24 hours up to ``now`` against its cap: the
    lowest cap of the products taken (of all its products when none was taken)."""
    taken: dict[int, int] = dict(
        _last_24h(patient, now).values("drug_id").annotate(total=Sum("dose_mg")).values_list("drug_id", "total")
    )
    by_ingredient: dict[str, list[Drug]] = {}
    for drug in Drug.objects.order_by("order", "code"):
        by_ingredient.setdefault(drug.ingredient, []).append(drug)
    summary = []
    for drugs in by_ingredient.values():
        used = [drug for drug in drugs if drug.pk in taken] or drugs
        summary.append(
            IngredientTotal(
                name=drugs[0].name,
                total_mg=sum(taken.get(drug.pk, 0) for drug in drugs),
                cap_mg=min(daily_cap_for(drug, patient) for drug in used),
            )
        )
    return summary


# --- Care team ---------------------------------------------------------------------


def care_team_grants(patient: Patient, *, include_revoked: bool = False) -> QuerySet[CareTeamGrant]:
    grants = CareTeamGrant.objects.filter(patient=patient).select_related("clinician", "granted_by")
    if not include_revoked:
        grants = grants.filter(revoked_at__isnull=True)
    return grants.order_by("-granted_at", "-id")


def grant_for_patient(patient: Patient, grant_id: int | str) -> CareTeamGrant:
    """An active grant of this patient's care team, else 404."""
    try:
        pk = int(grant_id)
    except (TypeError, ValueError):
        raise Http404 from None
    grant = care_team_grants(patient).filter(pk=pk).first()
    if grant is None:
        raise Http404
    return grant


def clinicians_to_add(patient: Patient) -> QuerySet[User]:
    """Active clinicians of the clinic not yet on this patient's care team."""
    clinicians: QuerySet[User] = (
        User.objects.clinicians()
        .exclude(care_team_grants__patient=patient, care_team_grants__revoked_at__isnull=True)
        .order_by("last_name", "first_name", "email")
    )
    return clinicians


# --- Access history ----------------------------------------------------------------


def access_log(patient: Patient, *, limit: int = 500) -> QuerySet[AuditEvent]:
    """Who read or changed the patient's record, newest first (the patient's own
    actions are not listed: they know what they did)."""
    return (
        AuditEvent.objects.filter(patient_id=patient.pk)
        .exclude(actor=patient.user_id)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


# --- The clinician's patient list --------------------------------------------------


def patient_list(user: User, *, search: str = "") -> QuerySet[Patient]:
    """The patients a user may list (a clinician's care team; a patient: themselves), most urgent first, in a fixed number of
    queries whatever their number: latest procedure, latest entry and open inbox
    counts are subqueries, not per-row look-ups.

    Urgency: the most urgent open inbox item (urgent, high, normal, none), then
    more open alerts, then the most recent entry.
    """
    patients = patients_visible_to(user).select_related("user")
    # PostgreSQL refuses a NUL character in a text comparison (a 500); no name has one.
    search = search.replace("\x00", "").strip()
    if search:
        words = Q()
        for word in search.split()[:5]:
            words &= (
                Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__email__icontains=word)
            )
        patients = patients.filter(words)
    latest_procedure_q = Procedure.objects.filter(patient=OuterRef("pk")).order_by("-performed_at")
    latest_entry_q = SymptomEntry.objects.filter(patient=OuterRef("pk"), entered_in_error_at__isnull=True).order_by(
        "-recorded_at", "-id"
    )
    patients = patients.annotate(
        procedure_at=Subquery(latest_procedure_q.values("performed_at")[:1]),
        latest_entry_id=Subquery(latest_entry_q.values("pk")[:1]),
        latest_entry_at=Subquery(latest_entry_q.values("recorded_at")[:1]),
    )
    # The open inbox items (the messaging app, above this one) rank the rows.
    patients = patients.annotate(**patient_urgency_source()(NO_OPEN_ITEM_RANK))
    # Names the registry's annotations give (``messaging.selectors.patient_urgency``).
    most_urgent_first = ("urgency_rank", "-open_alert_count")
    return patients.order_by(*most_urgent_first, F("latest_entry_at").desc(nulls_last=True), "user__last_name", "pk")


# Sorts after the inbox's ranks (urgent 0, high 1, normal 2): no open item.
NO_OPEN_ITEM_RANK = 9


def entries_by_id(ids: list[int]) -> dict[int, SymptomEntry]:
    """Entries by id, in one query (the patient list's latest entries)."""
    return {entry.pk: entry for entry in SymptomEntry.objects.filter(pk__in=[i for i in ids if i])}
