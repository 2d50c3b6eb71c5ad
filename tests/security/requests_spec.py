"""How each row of the permission matrix is requested: path values, query string and
body. Placeholders ``{name}`` are ids from the world (tests/security/world.py).

Bodies are valid, so a persona who may act gets a success and one who may not is
refused for who they are, not for a missing field. Path values default by the
parameter's name (``PATH_DEFAULTS``); a row may pick another object.
"""

from __future__ import annotations

from patients.questions import YES_NO_FIELDS
from tests.factories import diary_answers

# Parameter name -> world id, when a row says nothing else. ``pk`` depends on the route.
PATH_DEFAULTS = {
    "patient_id": "{patient_a}",
    "entry_id": "{entry}",
    "grant_id": "{grant}",
    "thread_id": "{thread}",
    "attachment_id": "{attachment}",
    "item_id": "{inbox_item}",
    "alert_id": "{alert}",
    "token": "{invitation_token}",
    "key": "dummy-key",
    "uidb36": "1",
    "url": "no-such-page/",
    "app_label": "patients",
    "figure": "pdph",
    "questionnaire_id": "aftercare-diary",
}
PK_BY_PREFIX = {
    "api/v1/lab-reports/": "{report}",
    "labs/reports/": "{report}",
    "api/v1/lab-requests/": "{lab_request}",
    "labs/requests/": "{lab_request}",
}

ENROL = {
    "email": "new.patient@example.test",
    "first_name": "Nia",
    "last_name": "New",
    "date_of_birth": "1990-01-01",
    "sex": "female",
    "procedure": {"performed_at": "{an_hour_ago}", "needle_type": "atraumatic", "needle_gauge": 22},
}
ENROL_FORM = {
    "email": "new.patient@example.test",
    "first_name": "Nia",
    "last_name": "New",
    "date_of_birth": "1990-01-01",
    "sex": "female",
    "performed_at": "{an_hour_ago_local}",
    "needle_type": "atraumatic",
    "needle_gauge": "22",
}
SYMPTOMS = {"back_pain": 1, "headache": 1, "notes": "fine", **diary_answers()}
DIARY_FORM = {
    "back_pain": "1",
    "headache": "1",
    "temperature": "",
    "temperature_unit": "C",
    "notes": "",
    **dict.fromkeys(YES_NO_FIELDS, "no"),
}

FHIR_LAB_BUNDLE = {
    "resourceType": "Bundle",
    "type": "transaction",
    "entry": [
        {
            "fullUrl": "urn:uuid:6f1c2a52-0d5e-4d0e-9d6a-2f0c4b1a7e01",
            "resource": {
                "resourceType": "DiagnosticReport",
                "identifier": [{"system": "urn:oid:1.2.3.4.5", "value": "MATRIX-1"}],
                "status": "final",
                "code": {"text": "CSF panel"},
                "subject": {"reference": "Patient/{patient_a}"},
                "effectiveDateTime": "{an_hour_ago}",
                "result": [{"reference": "urn:uuid:6f1c2a52-0d5e-4d0e-9d6a-2f0c4b1a7e02"}],
            },
            "request": {"method": "POST", "url": "DiagnosticReport"},
        },
        {
            "fullUrl": "urn:uuid:6f1c2a52-0d5e-4d0e-9d6a-2f0c4b1a7e02",
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "26465-5"}]},
                "valueQuantity": {"value": 4, "system": "http://unitsofmeasure.org", "code": "/uL"},
            },
            "request": {"method": "POST", "url": "Observation"},
        },
    ],
}

# (METHOD, route[, variant]) -> how to request it. Rows not listed are requested
# with the default path values and no body.
REQUESTS: dict[tuple, dict] = {
    # --- portal and accounts
    ("POST", "settings/"): {"data": {"display_units": "F", "time_zone": "UTC"}},
    # --- quality: feedback from day 3 (B's procedure was 4 days ago, A's yesterday)
    ("POST", "api/v1/feedback/"): {"json": {"clarity": 4, "responsiveness": 5, "comment": "Clear advice."}},
    ("POST", "feedback/"): {"data": {"clarity": "4", "responsiveness": "5", "comment": ""}},
    ("POST", "invitations/<str:token>/"): {
        "data": {
            "password1": "a-Long-unique-pass-9",
            "password2": "a-Long-unique-pass-9",
            "code": "{invitation_totp_code}",
        }
    },
    ("PATCH", "api/v1/me"): {"json": {"display_units": "F"}},
    ("POST", "api/v1/invitations/accept/"): {
        "json": {
            "token": "{invitation_token}",
            "password": "a-Long-unique-pass-9",
            "totp_code": "{invitation_totp_code}",
        }
    },
    ("POST", "api/v1/invitations/totp/"): {"json": {"token": "{invitation_token}"}},
    # --- Django admin: the admin who edits a clinician's authenticator, pasting the data
    # of another clinician's (whose app they hold) into it; or adds one for them.
    ("POST", "admin/mfa/authenticator/<path:object_id>/change/"): {
        "path": {"object_id": "{care_team_totp}"},
        "data": {"user": "{care_team}", "type": "totp", "data": "{outsider_totp_data}"},
    },
    ("POST", "admin/mfa/authenticator/<path:object_id>/delete/"): {
        "path": {"object_id": "{care_team_totp}"},
        "data": {"post": "yes"},
    },
    ("POST", "admin/mfa/authenticator/add/"): {
        "data": {"user": "{care_team}", "type": "totp", "data": "{outsider_totp_data}"},
    },
    # --- allauth's headless API (the project keeps no phone numbers)
    ("POST", "_allauth/app/v1/account/phone"): {"json": {"phone": "+15555550123"}},
    ("POST", "_allauth/browser/v1/account/phone"): {"json": {"phone": "+15555550123"}},
    # --- patients API
    ("POST", "api/v1/patients/"): {"json": ENROL},
    ("PATCH", "api/v1/patients/<int:patient_id>/"): {"json": {"health": {"kidney_disease": True}}},
    ("PATCH", "api/v1/patients/<int:patient_id>/", "no_change"): {"json": {"health": {}}},
    ("GET", "api/v1/symptoms/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/symptoms/", "own"): {},
    ("POST", "api/v1/symptoms/"): {"json": SYMPTOMS},
    ("POST", "api/v1/symptoms/", "for_a"): {"json": {**SYMPTOMS, "patient": "{patient_a}"}},
    ("GET", "api/v1/symptoms/trend/"): {"query": "patient={patient_a}&days=14"},
    ("POST", "api/v1/symptoms/<int:entry_id>/entered-in-error/"): {"json": {"reason": "typed the wrong day"}},
    ("POST", "api/v1/care-team/"): {"json": {"clinician": "{unrelated_clinician}"}},
    ("DELETE", "api/v1/care-team/<int:grant_id>/"): {"path": {"grant_id": "{grant_revocable}"}},
    ("GET", "api/v1/medications/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/medications/", "own"): {},
    ("POST", "api/v1/medications/"): {
        "json": {"medication_class": "acetaminophen", "dose_mg": 500, "taken_at": "{an_hour_ago}"}
    },
    ("GET", "api/v1/pain-plan/"): {"query": "patient={patient_a}"},
    ("POST", "api/v1/caregivers/"): {
        "json": {"email": "new.caregiver@example.test", "first_name": "Nel", "can_log_symptoms": True}
    },
    ("PATCH", "api/v1/caregivers/<int:grant_id>/"): {
        "path": {"grant_id": "{caregiver_grant}"},
        "json": {"can_message": True},
    },
    ("DELETE", "api/v1/caregivers/<int:grant_id>/"): {"path": {"grant_id": "{caregiver_grant}"}},
    ("PATCH", "api/v1/caregiving/<int:patient_id>/"): {"json": {"urgent_alert_emails": True}},
    # --- messaging API
    ("POST", "api/v1/threads/"): {"json": {"subject": "Hello", "body": "A new question", "patient": "{patient_a}"}},
    ("POST", "api/v1/threads/", "own"): {"json": {"subject": "Hello", "body": "A new question"}},
    ("POST", "api/v1/threads/<int:thread_id>/messages/"): {"json": {"body": "Thank you"}},
    ("POST", "api/v1/threads/<int:thread_id>/forward/"): {
        "json": {"to": "{anesthesiologist}", "note": "Please review", "priority": "high"}
    },
    ("POST", "api/v1/inbox/bulk/"): {"json": {"ids": ["{inbox_item}"], "status": "in_progress"}},
    ("PATCH", "api/v1/inbox/<int:item_id>/"): {"json": {"status": "in_progress"}},
    # --- alerts API
    ("GET", "api/v1/alerts/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/alerts/", "own"): {},
    ("POST", "api/v1/alerts/<int:alert_id>/acknowledge/"): {"json": {"note": "Called the patient"}},
    ("POST", "api/v1/alerts/<int:alert_id>/resolve/"): {"json": {"note": "Settled"}},
    ("PUT", "api/v1/patients/<int:patient_id>/thresholds/"): {"json": {"rule": "fever", "value": 38.2}},
    # --- labs API
    ("GET", "api/v1/lab-reports/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/lab-reports/", "own"): {},
    ("POST", "api/v1/lab-reports/"): {
        "multipart": {
            "patient": "{patient_a}",
            "kind": "csf",
            "collected_at": "{an_hour_ago}",
            "values": '[{"analyte": "csf_wbc", "value": 4, "unit": "cells/uL"}]',
        },
        "file": ("file", "report.txt", b"CSF analysis\nWhite cells 4 /uL\n", "text/plain"),
    },
    ("GET", "api/v1/lab-reports/<int:pk>/", "unreleased"): {"path": {"pk": "{report_unreleased}"}},
    ("GET", "api/v1/lab-reports/<int:pk>/file/", "unreleased"): {"path": {"pk": "{report_unreleased}"}},
    ("POST", "api/v1/lab-reports/<int:pk>/release/"): {"path": {"pk": "{report_unreleased}"}},
    ("POST", "api/v1/lab-reports/<int:pk>/entered-in-error/"): {"json": {"reason": "Wrong patient"}},
    ("GET", "api/v1/lab-requests/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/lab-requests/", "own"): {},
    ("POST", "api/v1/lab-requests/"): {"json": {"patient": "{patient_a}", "tests": ["esr"], "reason": "Back pain"}},
    ("GET", "api/v1/lab-requests/prefill/"): {"query": "patient={patient_a}"},
    ("GET", "api/v1/lab-requests/prefill/", "alert"): {"query": "alert={alert}"},
    ("POST", "api/v1/lab-requests/<int:pk>/review/"): {"json": {"decision": "approve", "note": "Booked"}},
    # --- FHIR: a lab result for A in a transaction Bundle (A's CSF white count)
    ("POST", "fhir/R4/"): {"json": FHIR_LAB_BUNDLE},
    # --- patients pages
    ("POST", "diary/"): {"data": DIARY_FORM},
    ("POST", "diary/<int:entry_id>/entered-in-error/"): {"data": {"reason": "typed the wrong day"}},
    ("POST", "care-team/"): {"data": {"clinician": "{unrelated_clinician}"}},
    ("POST", "caregivers/"): {"data": {"first_name": "Nel", "email": "new.caregiver@example.test"}},
    ("POST", "caregivers/<int:grant_id>/"): {
        "path": {"grant_id": "{caregiver_grant}"},
        "data": {"save": "1"},  # both boxes unticked: follow only
    },
    ("GET", "caregivers/<int:grant_id>/revoke/"): {"path": {"grant_id": "{caregiver_grant}"}},
    ("POST", "caregivers/<int:grant_id>/revoke/"): {"path": {"grant_id": "{caregiver_grant}"}},
    ("GET", "caregivers/<int:grant_id>/"): {"path": {"grant_id": "{caregiver_grant}"}},
    ("POST", "caregiving/"): {"data": {"patient": "{patient_a}"}},
    ("POST", "caregiving/<int:patient_id>/emails/"): {"data": {"urgent_alert_emails": "on"}},
    ("POST", "care-team/<int:grant_id>/revoke/"): {"path": {"grant_id": "{grant_revocable}"}},
    ("POST", "settings/phone/"): {"data": {"phone": "555 010 0100"}},
    ("POST", "api/v1/blood-cultures/"): {
        "json": {
            "patient": "{patient_a}",
            "lab_request": "{culture_order}",
            "stage": "preliminary",
            "organism": "Escherichia coli",
            "collected_at": "{an_hour_ago}",
        }
    },
    ("GET", "labs/requests/<int:pk>/culture/"): {"path": {"pk": "{culture_order_web}"}},
    ("POST", "labs/requests/<int:pk>/culture/"): {
        "path": {"pk": "{culture_order_web}"},
        "data": {
            "stage": "preliminary",
            "result": "organism",
            "organism": "Escherichia coli",
            "collected_at": "{an_hour_ago_local}",
        },
    },
    ("POST", "pain-plan/health/"): {"data": {"kidney_disease": "on", "preferences": ""}},
    ("POST", "medications/"): {"data": {"drug": "acetaminophen", "dose_mg": "500", "taken_at": ""}},
    ("POST", "patients/enrol/"): {"data": ENROL_FORM},
    ("POST", "patients/<int:patient_id>/health/"): {"data": {"kidney_disease": "on", "preferences": ""}},
    # --- messaging pages
    ("POST", "inbox/bulk/"): {"data": {"ids": "{inbox_item}", "status": "in_progress"}},
    ("POST", "inbox/<int:item_id>/update/"): {"data": {"status": "in_progress"}},
    ("POST", "messages/"): {
        "data": {"new-subject": "Hello", "new-body": "A new question", "new-patient": "{patient_a}"}
    },
    ("POST", "messages/<int:thread_id>/"): {"data": {"reply-body": "Thank you", "reply-inbox_status": "waiting"}},
    ("POST", "messages/<int:thread_id>/forward/"): {
        "data": {"forward-to": "{anesthesiologist}", "forward-priority": "normal", "forward-note": "Please review"}
    },
    # --- alerts pages
    ("POST", "alerts/<int:alert_id>/acknowledge/"): {"data": {"note": "Called the patient"}},
    ("POST", "alerts/<int:alert_id>/resolve/"): {"data": {"note": "Settled"}},
    ("POST", "alerts/patients/<int:patient_id>/thresholds/"): {"data": {"rule": "fever", "value": "38.2"}},
    # --- labs pages
    ("GET", "labs/upload/"): {"query": "patient={patient_a}"},
    ("GET", "labs/reports/<int:pk>/release/"): {"path": {"pk": "{report_unreleased}"}},
    ("POST", "labs/reports/<int:pk>/release/"): {"path": {"pk": "{report_unreleased}"}},
    ("GET", "labs/reports/<int:pk>/", "unreleased"): {"path": {"pk": "{report_unreleased}"}},
    ("POST", "labs/reports/<int:pk>/entered-in-error/"): {"data": {"reason": "Wrong patient"}},
    ("GET", "labs/requests/new/"): {"query": "patient={patient_a}"},
    ("GET", "labs/requests/new/", "alert"): {"query": "alert={alert}"},
    ("POST", "labs/requests/new/"): {"data": {"patient": "{patient_a}", "tests": "crp", "reason": "Back pain"}},
    ("POST", "labs/requests/<int:pk>/"): {"data": {"decision": "approve", "note": "Booked"}},
    ("POST", "labs/patients/<int:patient_id>/upload/"): {
        "multipart": {
            "kind": "csf",
            "collected_at": "{an_hour_ago_local}",
            "csf_wbc__value": "4",
            "csf_wbc__unit": "cells/µL",
        },
        "file": ("file", "report.txt", b"CSF analysis\nWhite cells 4 /uL\n", "text/plain"),
    },
}
