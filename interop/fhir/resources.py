"""A patient's record as FHIR R4 resources: plain dicts built from the rows, one
function per resource, no queries (the rows come from ``interop.selectors`` with
everything they need already loaded). Every resource they make is checked against
fhir.resources' models in tests/interop (the whole Bundle parsed back).

Times are UTC instants; temperatures the stored °C value (two decimals, as entered:
100.4 °F is 38.00 °C), never a rounded display value; pain scores integers 0-10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from interop.fhir import codes
from patients.questions import QUESTIONS

NOTES_LINK_ID = "notes"
NOTES_QUESTION = "Anything else?"


def instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def number(value: Decimal | int) -> float | int:
    """A stored number for JSON: whole numbers as integers, the rest as they are (38.4, 0.595)."""
    if isinstance(value, int):
        return value
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def coding(system: str, code: str, display: str = "") -> dict:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(*codings: dict, text: str = "") -> dict:
    found: dict = {"coding": list(codings)}
    if text:
        found["text"] = text
    return found


def meta(moment: datetime | None) -> dict:
    return {"lastUpdated": instant(moment)} if moment is not None else {}


def subject(patient_id: int) -> dict:
    return {"reference": f"Patient/{patient_id}"}


def _with_meta(resource: dict, moment: datetime | None) -> dict:
    if moment is not None:
        resource["meta"] = meta(moment)
    return resource


# --- The patient, the procedure, the care team ------------------------------------------


def patient_resource(patient) -> dict:
    user = patient.user
    name: dict = {"use": "official", "text": user.get_full_name() or user.email}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    resource = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "identifier": [{"system": f"{codes.site_fhir_base()}/patient", "value": str(patient.pk)}],
        "active": user.is_active,
        "name": [name],
        "telecom": [
            {"system": "email", "value": user.email, "use": "home"},
            *([{"system": "phone", "value": patient.phone}] if patient.phone else []),
        ],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat() if isinstance(patient.date_of_birth, date) else None,
    }
    return _with_meta(resource, patient.updated_at)


def procedure_resource(procedure) -> dict:
    needle = procedure.get_needle_type_display()
    resource = {
        "resourceType": "Procedure",
        "id": str(procedure.pk),
        "extension": [
            {"url": codes.extension_url("needle-gauge"), "valueInteger": procedure.needle_gauge},
            {"url": codes.extension_url("needle-passes"), "valueInteger": procedure.passes},
        ],
        "status": "completed",
        "code": concept(coding(codes.SNOMED, *codes.LUMBAR_PUNCTURE), text="Diagnostic lumbar puncture"),
        "subject": subject(procedure.patient_id),
        "performedDateTime": instant(procedure.performed_at),
        "usedCode": [
            concept(
                coding(codes.local_system("needle-type"), procedure.needle_type, needle),
                text=f"{needle} spinal needle, {procedure.needle_gauge} gauge",
            )
        ],
    }
    if procedure.performed_by is not None:
        resource["performer"] = [{"actor": {"display": procedure.performed_by.display_name}}]
    return _with_meta(resource, procedure.created_at)


def care_team_resource(patient_id: int, grants) -> dict:
    """One CareTeam: every clinician the patient granted access, each with the period
    of the grant (a revoked grant has its end)."""
    participants = []
    for grant in grants:
        clinician = grant.clinician
        period = {"start": instant(grant.granted_at)}
        if grant.revoked_at is not None:
            period["end"] = instant(grant.revoked_at)
        participants.append(
            {
                "role": [{"text": clinician.get_specialty_display() or "Clinician"}],
                "member": {
                    "identifier": {"system": f"{codes.site_fhir_base()}/clinician", "value": str(clinician.pk)},
                    "display": clinician.get_full_name() or clinician.email,
                },
                "period": period,
            }
        )
    active = any(grant.revoked_at is None for grant in grants)
    changed = latest(*(latest(grant.granted_at, grant.revoked_at) for grant in grants))
    resource = {
        "resourceType": "CareTeam",
        "id": f"patient-{patient_id}",
        "status": "active" if active else "inactive",
        "name": "Care team (the clinicians the patient chose)",
        "subject": subject(patient_id),
        "participant": participants,
    }
    return _with_meta(resource, changed)


# --- The diary ---------------------------------------------------------------------------


def questionnaire() -> dict:
    """The diary's questions as a published Questionnaire: every yes/no question with its
    words and its linkId (the field name of the API), and the free-text notes."""
    items = [
        {"linkId": question.field, "text": question.text, "type": "boolean", "required": True} for question in QUESTIONS
    ]
    items.append({"linkId": NOTES_LINK_ID, "text": NOTES_QUESTION, "type": "text", "required": False})
    return {
        "resourceType": "Questionnaire",
        "id": codes.QUESTIONNAIRE_ID,
        "url": codes.questionnaire_url(),
        "version": "1",
        "name": "AftercareSymptomDiary",
        "title": "Aftercare symptom diary: yes/no questions",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "The yes/no questions of the daily diary after a lumbar puncture. Pain scores and "
        "temperature are Observations (LOINC 72514-3 and 8310-5) derived from the same response.",
        "item": items,
    }


def _entry_status(entry, done: str = "final") -> str:
    return "entered-in-error" if entry.entered_in_error_at is not None else done


def _entry_author(entry) -> dict:
    if entry.entered_by_id is not None and entry.entered_by_id == entry.patient.user_id:
        return subject(entry.patient_id)
    if entry.entered_by is not None:
        return {"display": entry.entered_by.get_full_name() or entry.entered_by.email}
    return subject(entry.patient_id)


def questionnaire_response(entry, notes: str) -> dict:
    # A question the entry was not asked (seizure and rash came later: None) has no
    # answer: an unanswered red-flag question is never a "no" (CLINICAL.md section 1).
    items = [
        {"linkId": question.field, "text": question.text, "answer": [{"valueBoolean": getattr(entry, question.field)}]}
        for question in QUESTIONS
        if getattr(entry, question.field) is not None
    ]
    if notes:
        items.append({"linkId": NOTES_LINK_ID, "text": NOTES_QUESTION, "answer": [{"valueString": notes}]})
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": f"entry-{entry.pk}",
        "questionnaire": codes.questionnaire_url(),
        "status": _entry_status(entry, "completed"),
        "subject": subject(entry.patient_id),
        "authored": instant(entry.recorded_at),
        "author": _entry_author(entry),
        "item": items,
    }
    return _with_meta(resource, latest(entry.created_at, entry.entered_in_error_at))


def _diary_observation(entry, suffix: str, category: str, code: tuple[str, str], value: dict) -> dict:
    resource = {
        "resourceType": "Observation",
        "id": f"entry-{entry.pk}-{suffix}",
        "status": _entry_status(entry),
        "category": [concept(coding(codes.OBSERVATION_CATEGORY, category))],
        "code": concept(coding(codes.LOINC, *code), text=code[1]),
        "subject": subject(entry.patient_id),
        "effectiveDateTime": instant(entry.recorded_at),
        **value,
        "derivedFrom": [{"reference": f"QuestionnaireResponse/entry-{entry.pk}"}],
    }
    return _with_meta(resource, latest(entry.created_at, entry.entered_in_error_at))


def diary_observations(entry) -> list[dict]:
    """The entry's numbers: headache and back pain (0-10, with the body site) and, when
    measured, the temperature in °C as stored."""
    found = []
    if entry.temperature_c is not None:
        quantity = {"value": number(entry.temperature_c), "unit": "Cel", "system": codes.UCUM, "code": codes.CELSIUS}
        found.append(
            _diary_observation(entry, "temperature", "vital-signs", codes.BODY_TEMPERATURE, {"valueQuantity": quantity})
        )
    for suffix, site, score in (
        ("headache", codes.HEAD, entry.headache),
        ("back-pain", codes.LOWER_BACK, entry.back_pain),
    ):
        observation = _diary_observation(entry, suffix, "survey", codes.PAIN_SEVERITY, {"valueInteger": score})
        observation["bodySite"] = concept(coding(codes.SNOMED, *site), text=site[1])
        found.append(observation)
    return found


def medication_statement(dose) -> dict:
    drug = dose.drug
    resource = {
        "resourceType": "MedicationStatement",
        "id": f"dose-{dose.pk}",
        "status": "entered-in-error" if dose.entered_in_error_at is not None else "completed",
        "medicationCodeableConcept": concept(
            coding(codes.local_system("drug"), drug.code, drug.label), text=drug.label
        ),
        "subject": subject(dose.patient_id),
        "effectiveDateTime": instant(dose.taken_at),
        "dateAsserted": instant(dose.created_at),
        "dosage": [
            {
                "text": f"{dose.dose_mg} mg",
                "doseAndRate": [
                    {"doseQuantity": {"value": dose.dose_mg, "unit": "mg", "system": codes.UCUM, "code": "mg"}}
                ],
            }
        ],
    }
    return _with_meta(resource, latest(dose.created_at, dose.entered_in_error_at))


def flag_resource(alert) -> dict:
    """An alert as a Flag: the rule (portal code, inbox words) and what the patient was
    told; active until resolved; its severity as the standard flag priority."""
    priority = codes.FLAG_PRIORITIES.get(alert.severity, codes.FLAG_PRIORITIES["info"])
    period = {"start": instant(alert.created_at)}
    if alert.resolved_at is not None:
        period["end"] = instant(alert.resolved_at)
    resource = {
        "resourceType": "Flag",
        "id": f"alert-{alert.pk}",
        "extension": [
            {
                "url": codes.FLAG_PRIORITY_EXTENSION,
                "valueCodeableConcept": concept(coding(codes.FLAG_PRIORITY, *priority)),
            }
        ],
        "status": "inactive" if alert.resolved_at is not None else "active",
        "category": [concept(coding(codes.FLAG_CATEGORY, "clinical", "Clinical"))],
        "code": concept(
            coding(codes.local_system("alert-rule"), alert.rule.code, alert.rule.summary), text=alert.message
        ),
        "subject": subject(alert.patient_id),
        "period": period,
    }
    return _with_meta(resource, latest(alert.created_at, alert.acknowledged_at, alert.resolved_at))
