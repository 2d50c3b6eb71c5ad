"""'Who looked at my record': audit events in words a patient reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.apps import apps

from patients.caregivers import FOLLOWER_ROLES, caregiver_user_ids_of
from patients.models import CareTeamGrant, Patient
from patients.selectors import access_log
from portal.audit.models import AuditEvent

ACTION_WORDS = {
    "patient.read": "opened your record",
    "patient.chart.read": "opened your chart",
    "patient_list.read": "saw you in their patient list, with your latest diary entry",
    "patient.enrolled": "enrolled you in Aftercare",
    "patient.health_updated": "changed your health details",
    "symptoms.read": "read your symptom diary",
    "diary.read": "opened your diary to log how you feel",
    "symptoms.trend.read": "looked at your symptom trend",
    "symptom_entry.entered_in_error": "marked a diary entry as entered in error",
    "pain_plan.read": "looked at your pain plan",
    "medications.read": "looked at your medication log",
    "care_team.granted": "added a clinician to your care team",
    "care_team.revoked": "removed a clinician from your care team",
    "fhir.everything.read": "downloaded your whole record (FHIR)",
    "lab_report.receive": "sent a lab report (for your care team to review first)",
    "lab_report.read": "read your lab report",
    "lab_report.list": "looked at your list of lab reports",
    "lab_report.download": "downloaded your lab report",
    "lab_report.upload": "added a lab report to your record",
    "lab_report.release": "released a lab report to you",
    "lab_report.entered_in_error": "withdrew a lab report as entered in error",
    "lab_report.integrity_failure": "tried to open a lab report file that could not be read",
    "lab_request.create": "asked for lab tests",
    "lab_request.read": "read a lab request",
    "lab_request.review": "reviewed a lab request",
    "lab_request.prefill.read": "started a lab request from your alert",
    "alert.read": "read one of your alerts",
    "alerts.read": "looked at your alerts",
    "alerts.dashboard.read": "saw your open alerts on their home page",
    "alert.acknowledge": "marked one of your alerts as seen",
    "alert.resolve": "resolved one of your alerts",
    "alert_thresholds.read": "looked at your alert thresholds",
    "alert_threshold.set": "set one of your alert thresholds",
    "alert_threshold.reset": "put one of your alert thresholds back to the default",
    "messaging.thread.read": "read a conversation with you",
    "messaging.threads.list": "looked at your list of conversations",
    "messaging.thread.forward": "forwarded a conversation of yours to another clinician",
    "messaging.attachment.download": "downloaded a file you sent",
    "inbox.item.read": "opened an item about you in the clinic's inbox",
    "quality.feedback.read": "read your feedback",
}


@dataclass
class AccessLogLine:
    at: datetime
    actor: str
    role: str
    action: str
    description: str
    object: str

    @property
    def who(self) -> str:
        """ "Nora Quinn, neurology": the person and what they do, as a sentence starts."""
        name, _, specialty = self.actor.partition(" (")
        return f"{name}, {specialty.rstrip(')').lower()}" if specialty else self.actor


@lru_cache(maxsize=1)
def _object_names() -> dict[str, str]:
    """Every installed model's words by its label: an audit event stores the label
    of what was read as data ("labs.labreport"); no app is named here."""
    return {model._meta.label_lower: str(model._meta.verbose_name) for model in apps.get_models()}


def _object_name(object_type: str) -> str:
    name = _object_names().get(object_type.lower())
    return name if name is not None else object_type.rsplit(".", 1)[-1].replace("_", " ")


GRANT_WORDS = {
    "care_team.granted": "added {clinician} to your care team",
    "care_team.revoked": "removed {clinician} from your care team",
}


def describe(
    event: AuditEvent, grants: dict[str, CareTeamGrant] | None = None, caregivers: set[int] | None = None
) -> AccessLogLine:
    if event.actor_id:
        actor = event.actor.display_name
        if event.actor_id in (caregivers or ()):
            actor = f"{actor} (caregiver)"
    elif event.role == "integration":  # a lab system (interop/): the event's detail names it
        actor = "Lab system " + event.detail.removeprefix("from ")
    else:
        actor = "The system"
    words = ACTION_WORDS.get(event.action) or event.action.replace("_", " ").replace(".", ": ")
    grant = (grants or {}).get(event.object_id) if event.action in GRANT_WORDS else None
    if grant is not None:
        words = GRANT_WORDS[event.action].format(clinician=grant.clinician.display_name)
    obj = f"{_object_name(event.object_type)} #{event.object_id}" if event.object_type else ""
    return AccessLogLine(at=event.at, actor=actor, role=event.role, action=event.action, description=words, object=obj)


def access_log_lines(patient: Patient, *, limit: int = 500) -> list[AccessLogLine]:
    """Two queries: the events with their actors, and the care-team grants they
    name (so a line says who was added or removed); a third when a caregiver
    read (their lines say so)."""
    events = list(access_log(patient, limit=limit))
    grant_ids = {e.object_id for e in events if e.action in GRANT_WORDS and e.object_id.isdigit()}
    grants = {
        str(g.pk): g
        for g in CareTeamGrant.objects.filter(patient=patient, pk__in=grant_ids).select_related("clinician")
    }
    caregivers = caregiver_user_ids_of(patient) if any(e.role in FOLLOWER_ROLES for e in events) else set()
    return [describe(event, grants, caregivers) for event in events]
