"""A full clinic for the security tests, built through the apps' own services.

Patient A (Avery) owns one of everything: a diary entry that fired an alert, a
medication dose, a custom threshold, a message thread with an attachment, the inbox
items they caused, a released and an unreleased lab report, a lab request, a case
forwarded to the anesthesiologist, and care-team grants. Patient B (Blake) has a
smaller record of their own, with the outsider clinician as B's care team, so
that "B's lists hold only B's rows" is tested on lists that are not empty.

Every piece of A's health data carries a marker containing ``zqxa`` (and A's name
carries ``Zqxname``): a response to anyone who may not see A's record must contain
neither, and no log line, email, task argument or audit row may contain any.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.factories import (
    AdminFactory,
    CareTeamGrantFactory,
    ClinicianFactory,
    PatientFactory,
    UserFactory,
    diary_answers,
    totp_code,
)
from tests.reference_data import seed_reference_data

# Markers. Case-insensitive search for HEALTH_MARKER finds every piece of A's health data.
HEALTH_MARKER = "zqxa"
NAME_MARKER = "zqxname"
A_LAST_NAME = "Zqxname-Avery"
A_NOTES = "ZQXA-notes: dizzy after the tap"
A_SUBJECT = "ZQXA-subject about my headache"
A_BODY = "ZQXA-body: my headache is worse when I sit up"
A_ATTACHMENT_NAME = "zqxa-site-photo.png"
A_REPLY = "ZQXA-reply: lie flat and drink water"
A_FORWARD_NOTE = "ZQXA-forward: please consider a blood patch"
A_LAB_FILE = b"CSF analysis ZQXA-labfile\nWhite cells 3 /uL\n"
A_LAB_FILE_NAME = "zqxa-csf-report.txt"
A_LAB_REASON = "ZQXA-reason: back pain is getting worse"
A_PREFERENCES = "ZQXA-preferences: no pills before noon"
A_ALERT_NOTE = "ZQXA-alert-note: called the patient"

B_NOTES = "ZQXB-notes: feeling fine"
B_SUBJECT = "ZQXB-subject"
B_BODY = "ZQXB-body: a question"

# Just enough of each format for content sniffing; the marker rides after the header.
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
A_ATTACHMENT_BYTES = PNG + b"ZQXA-attachment-bytes"

# Who may see A's record: everyone else must never receive a marker.
MAY_SEE_A = {"patient_a", "care_team"}


@dataclass
class World:
    users: dict = field(default_factory=dict)  # persona -> User (no "anonymous")
    patient_a: object = None
    patient_b: object = None
    anesthesiologist: object = None
    ids: dict = field(default_factory=dict)  # name -> pk, for URL and body placeholders
    invitation_totp_secret: str = ""  # the invited clinician's authenticator app

    def user(self, persona: str):
        return self.users.get(persona)

    def fresh_ids(self) -> dict:
        """Values that depend on the moment of the request: the invited clinician's
        current TOTP code (a code computed when the world was built would expire)."""
        return {"invitation_totp_code": totp_code(self.invitation_totp_secret)}


def build_world() -> World:
    from allauth.mfa.models import Authenticator

    from alerts.models import Alert
    from alerts.services import acknowledge_alert, set_patient_threshold
    from interop.services import create_integration_client
    from labs.services import release_lab_report, request_labs, upload_lab_report
    from messaging import services as messaging
    from messaging.models import InboxItem
    from patients.diary import log_medication_dose, submit_symptom_entry
    from patients.models import CaregiverGrant, CareTeamGrant
    from patients.services import update_health
    from portal.accounts.services import invitation_totp_setup, invite_user
    from portal.operations.models import Heartbeat
    from portal.operations.pipeline import record_heartbeat

    seed_reference_data()
    world = World()
    now = timezone.now()
    # The scan ran just now: /readyz answers 200 whenever the matrix asks.
    record_heartbeat(name=Heartbeat.SCAN, duration_s=0.1)

    patient_a = PatientFactory(
        user__email="avery.zqxname@example.test", user__first_name="Avery", user__last_name=A_LAST_NAME
    )
    # B's procedure was 4 days ago: B may give feedback (from day 3), A may not yet.
    patient_b = PatientFactory(
        user__email="blake@example.test",
        user__first_name="Blake",
        user__last_name="Brook",
        procedure=now - timedelta(days=4),
    )
    care_team = ClinicianFactory(email="care.team@example.test", first_name="Casey", last_name="Carer")
    # A quality lead too: the clinic's figures (aggregates only), never A's record.
    outsider = ClinicianFactory(email="outsider@example.test", first_name="Oli", last_name="Outside", is_quality=True)
    no_mfa = ClinicianFactory(email="no.mfa@example.test", first_name="Noa", last_name="Nomfa", mfa=False)
    # On A's care team with TOTP set up, but signed in with the password alone (a session
    # from before TOTP was set up elsewhere): it must reach nothing of A's record.
    password_only = ClinicianFactory(email="password.only@example.test", first_name="Pia", last_name="Passonly")
    admin = AdminFactory(email="admin@example.test", first_name="Ada", last_name="Admin")
    anesthesiologist = ClinicianFactory(
        email="anesthesia@example.test", first_name="Ana", last_name="Esthesia", specialty="anesthesiology"
    )
    grant = CareTeamGrantFactory(patient=patient_a, clinician=care_team)
    CareTeamGrantFactory(patient=patient_a, clinician=no_mfa)
    CareTeamGrantFactory(patient=patient_a, clinician=password_only)
    anesthesia_grant = CareTeamGrantFactory(patient=patient_a, clinician=anesthesiologist)
    grant_b = CareTeamGrantFactory(patient=patient_b, clinician=outsider)

    world.users = {
        "patient_a": patient_a.user,
        "patient_b": patient_b.user,
        "care_team": care_team,
        "outsider": outsider,
        "no_mfa": no_mfa,
        "admin": admin,
        "password_only": password_only,
    }
    world.patient_a, world.patient_b, world.anesthesiologist = patient_a, patient_b, anesthesiologist

    # --- A's diary: a fever entry (an alert, its inbox item, notifications) and a quiet one.
    update_health(
        patient=patient_a, health={"anticoagulant": False, "preferences": A_PREFERENCES}, updated_by=patient_a.user
    )
    quiet = submit_symptom_entry(
        patient=patient_a,
        data=diary_answers(back_pain=2, headache=2, notes="ZQXA-notes-earlier", recorded_at=now - timedelta(hours=3)),
        entered_by=patient_a.user,
    )
    fever = submit_symptom_entry(
        patient=patient_a,
        data=diary_answers(back_pain=3, headache=3, temperature_c="38.4", notes=A_NOTES),
        entered_by=patient_a.user,
    )
    assert fever.alert_ids, "the fever entry raises an alert"
    alert = Alert.objects.get(pk=fever.alert_ids[0])
    dose = log_medication_dose(
        patient=patient_a,
        data={"medication_class": "acetaminophen", "dose_mg": 500, "taken_at": (now - timedelta(hours=1)).isoformat()},
        entered_by=patient_a.user,
    ).dose
    threshold = set_patient_threshold(patient=patient_a, rule_code="fever", value="38.5", set_by=care_team)

    # A second alert that a clinician has acknowledged (with a note).
    second = submit_symptom_entry(
        patient=patient_a,
        data=diary_answers(back_pain=1, headache=1, site_redness=True, notes="ZQXA-notes-site"),
        entered_by=patient_a.user,
    )
    acknowledged = Alert.objects.get(pk=second.alert_ids[0])
    acknowledge_alert(alert=acknowledged, by=care_team, note=A_ALERT_NOTE)

    # --- A's messages: a thread with an attachment, a clinician's reply, a forward.
    thread = messaging.start_thread(
        author=patient_a.user,
        subject=A_SUBJECT,
        body=A_BODY,
        attachments=[SimpleUploadedFile(A_ATTACHMENT_NAME, A_ATTACHMENT_BYTES, content_type="image/png")],
    )
    message = thread.messages.order_by("pk").first()
    attachment = message.attachments.get()
    messaging.post_message(author=care_team, thread=thread, body=A_REPLY)
    forward = messaging.forward_thread(thread=thread, by=care_team, to_id=anesthesiologist.pk, note=A_FORWARD_NOTE)

    # --- A's labs: one released report, one not yet released, a follow-up request.
    collected = now - timedelta(hours=2)
    released = upload_lab_report(
        uploaded_by=care_team,
        patient=patient_a,
        kind="csf",
        collected_at=collected,
        values=[
            {"analyte": "csf_wbc", "value": 3, "unit": "cells/uL"},
            {"analyte": "csf_protein", "value": 40, "unit": "mg/dL"},
        ],
        file_content=A_LAB_FILE,
        file_name=A_LAB_FILE_NAME,
    )
    release_lab_report(report=released, released_by=care_team)
    unreleased = upload_lab_report(
        uploaded_by=care_team,
        patient=patient_a,
        kind="blood",
        collected_at=collected,
        values=[{"analyte": "crp", "value": 12, "unit": "mg/L"}],
        file_content=A_LAB_FILE,
        file_name=A_LAB_FILE_NAME,
    )
    lab_request = request_labs(requested_by=patient_a.user, patient=patient_a, tests=["crp"], reason=A_LAB_REASON)
    # The care team's orders for blood cultures: what a culture result answers (one for the
    # API's row, one for the page's, so neither finds the other's preliminary result).
    culture_order = request_labs(
        requested_by=care_team, patient=patient_a, tests=["blood_culture"], reason=A_LAB_REASON
    )
    culture_order_web = request_labs(
        requested_by=care_team, patient=patient_a, tests=["blood_culture"], reason=A_LAB_REASON
    )

    # --- B's own record (outsider is B's clinician).
    entry_b = submit_symptom_entry(
        patient=patient_b, data=diary_answers(back_pain=1, headache=1, notes=B_NOTES), entered_by=patient_b.user
    ).entry
    thread_b = messaging.start_thread(author=patient_b.user, subject=B_SUBJECT, body=B_BODY)
    report_b = upload_lab_report(
        uploaded_by=outsider,
        patient=patient_b,
        kind="csf",
        collected_at=collected,
        values=[{"analyte": "csf_wbc", "value": 2, "unit": "cells/uL"}],
        file_content=b"CSF analysis ZQXB-labfile\n",
        file_name="b.txt",
    )
    release_lab_report(report=report_b, released_by=outsider)

    # An invited clinician who has not accepted yet (the invitation link pages): accepting
    # sets up TOTP too, with the secret the invitation carries.
    invited, token = invite_user(
        email="invited@example.test", first_name="Ivy", last_name="Invited", role="clinician", specialty="nursing"
    )
    world.invitation_totp_secret = invitation_totp_setup(invited.invitations.get())["secret"]
    UserFactory(email="unrelated@example.test")
    # A's caregivers (proxy access): one may log symptoms, one follows only, one was revoked.
    caregiver_logs = UserFactory(email="cara.logs@example.test", first_name="Cara", last_name="Logs", role="caregiver")
    caregiver_follows = UserFactory(
        email="finn.follows@example.test", first_name="Finn", last_name="Follows", role="caregiver"
    )
    caregiver_revoked = UserFactory(
        email="rory.revoked@example.test", first_name="Rory", last_name="Revoked", role="caregiver"
    )
    caregiver_grant = CaregiverGrant.objects.create(patient=patient_a, caregiver=caregiver_logs, can_log_symptoms=True)
    CaregiverGrant.objects.create(patient=patient_a, caregiver=caregiver_follows)
    CaregiverGrant.objects.create(patient=patient_a, caregiver=caregiver_revoked, can_log_symptoms=True, revoked_at=now)
    world.users.update(
        caregiver_logs=caregiver_logs, caregiver_follows=caregiver_follows, caregiver_revoked=caregiver_revoked
    )
    # A lab system (its admin pages; its token opens the FHIR import only: tests/interop).
    create_integration_client(name="Matrix lab", created_by=admin)

    message_item = InboxItem.objects.get(kind="message", patient=patient_a)
    alert_item = InboxItem.objects.filter(kind="alert", patient=patient_a).order_by("pk").first()
    lab_request_item = InboxItem.objects.get(kind="lab_request", patient=patient_a)
    referral_item = InboxItem.objects.get(kind="referral", patient=patient_a)

    world.ids = {
        "patient_a": patient_a.pk,
        "patient_b": patient_b.pk,
        "user_a": patient_a.user.pk,
        "care_team": care_team.pk,
        "outsider": outsider.pk,
        "no_mfa": no_mfa.pk,
        "password_only": password_only.pk,
        "anesthesiologist": anesthesiologist.pk,
        "unrelated_clinician": ClinicianFactory(email="unrelated.clinician@example.test").pk,
        "entry": fever.entry.pk,
        "entry_quiet": quiet.entry.pk,
        "entry_b": entry_b.pk,
        "alert": alert.pk,
        "alert_acknowledged": acknowledged.pk,
        "dose": dose.pk,
        "threshold": threshold.pk,
        "grant": grant.pk,
        "grant_anesthesia": anesthesia_grant.pk,
        "grant_b": grant_b.pk,
        "grant_revocable": CareTeamGrant.objects.get(patient=patient_a, clinician=no_mfa).pk,
        "caregiver_grant": caregiver_grant.pk,
        "thread": thread.pk,
        "thread_b": thread_b.pk,
        "message": message.pk,
        "attachment": attachment.pk,
        "forward": forward.pk,
        "inbox_item": message_item.pk,
        "inbox_alert": alert_item.pk,
        "inbox_lab_request": lab_request_item.pk,
        "inbox_referral": referral_item.pk,
        "report": released.pk,
        "report_unreleased": unreleased.pk,
        "report_b": report_b.pk,
        "lab_request": lab_request.pk,
        "culture_order": culture_order.pk,
        "culture_order_web": culture_order_web.pk,
        "invitation_token": token,
        "care_team_totp": Authenticator.objects.get(user=care_team, type="totp").pk,
        "outsider_totp_data": json.dumps(
            Authenticator.objects.filter(user=outsider, type="totp").values_list("data", flat=True).get()
        ),
        "an_hour_ago": (now - timedelta(hours=1)).isoformat(),
        "an_hour_ago_local": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    return world


# Ids of A's objects: asking for any of them must be answered exactly like asking
# for an object that does not exist, by anyone who may not see A's record.
A_OWNED = (
    "patient_a",
    "entry",
    "entry_quiet",
    "alert",
    "alert_acknowledged",
    "dose",
    "threshold",
    "grant",
    "grant_anesthesia",
    "grant_revocable",
    "caregiver_grant",
    "thread",
    "message",
    "attachment",
    "forward",
    "inbox_item",
    "inbox_alert",
    "inbox_lab_request",
    "inbox_referral",
    "report",
    "report_unreleased",
    "lab_request",
    "culture_order",
    "culture_order_web",
)


def fill(value, ids: dict):
    """Replace ``"{name}"`` placeholders (whole strings become ints when the id is)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]) if m.group(1) in ids else m.group(0), value)
    if isinstance(value, list):
        return [fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


def json_values(payload):
    """``values`` of a multipart lab upload is a JSON string."""
    return json.dumps(payload)
