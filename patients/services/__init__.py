"""Every write to a patient's record.

Each service is keyword-only and atomic, validates everything before it writes,
and raises ``ValidationError({"field": [message]})`` with a message a patient
understands (the API turns it into a 400 naming the field; the pages show it next
to the field). Nothing is half-saved.

One module per concern; the names below are the package's interface.
"""

from patients.services.care_team import enrol_patient, grant_care_team, revoke_care_team
from patients.services.contact import PHONE_MAX, check_phone, update_phone
from patients.services.health import (
    ALLERGY_CHOICES,
    HEALTH_BOOLEANS,
    HEALTH_FIELDS,
    PREFERENCES_MAX,
    update_health,
)
from patients.services.medication_log import (
    MedicationLogResult,
    dose_totals,
    highest_24h_total,
    record_medication_dose,
)
from patients.services.symptoms import (
    NOTES_MAX,
    check_symptom_data,
    mark_entry_entered_in_error,
    record_symptoms,
)
from patients.services.validation import BEFORE_PROCEDURE_ALLOWANCE, CLOCK_SKEW_ALLOWANCE

__all__ = [
    "ALLERGY_CHOICES",
    "BEFORE_PROCEDURE_ALLOWANCE",
    "CLOCK_SKEW_ALLOWANCE",
    "HEALTH_BOOLEANS",
    "HEALTH_FIELDS",
    "NOTES_MAX",
    "PHONE_MAX",
    "PREFERENCES_MAX",
    "MedicationLogResult",
    "check_phone",
    "check_symptom_data",
    "dose_totals",
    "enrol_patient",
    "grant_care_team",
    "highest_24h_total",
    "mark_entry_entered_in_error",
    "record_medication_dose",
    "record_symptoms",
    "revoke_care_team",
    "update_health",
    "update_phone",
]
