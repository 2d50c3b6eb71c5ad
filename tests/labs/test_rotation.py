"""Key rotation: ``rotate_encryption_key`` re-wraps every sealed object under the
newest key, in batches, resumably, without losing a concurrent write; afterwards
everything opens with the newest key alone."""

from __future__ import annotations

import base64

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from labs.models import LabReportFile, file_context, file_name_context
from portal.accounts.adapters import PREFIX, MFAAdapter, authenticator_seal_context
from portal.crypto import open_sealed, seal, sealed_key_id
from portal.management.commands import rotate_encryption_key
from portal.management.commands.rotate_encryption_key import Command
from tests.factories import ClinicianFactory

pytestmark = pytest.mark.django_db

RING = settings.AFTERCARE_ENCRYPTION_KEYS  # "test-2:...,test-1:...": test-2 is the newest
NEWEST, OLD = RING.split(",")
NEWEST_ID, OLD_ID = NEWEST.split(":")[0], OLD.split(":")[0]


@pytest.fixture
def old_objects(make_report, clinician):
    """Six lab reports and a clinician's TOTP and recovery codes, all sealed under
    the old key (as if written before the new key was added to the ring)."""
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=OLD):
        reports = [make_report(content=f"report {n}\n".encode()) for n in range(6)]
        user = ClinicianFactory(email="old-key@example.test", mfa=False)
        totp = TOTP.activate(user, "JBSWY3DPEHPK3PXP").instance
        codes = RecoveryCodes.activate(user).instance
    return {"reports": reports, "user": user, "totp": totp, "codes": codes}


def key_ids_of_lab_files() -> set[str]:
    ids = set()
    for stored in LabReportFile.objects.all():
        ids.add(sealed_key_id(bytes(stored.sealed)))
        ids.add(sealed_key_id(bytes(stored.name_sealed)))
    return ids


def mfa_key_ids(user) -> set[str]:
    ids = set()
    for authenticator in Authenticator.objects.filter(user=user):
        for key in ("secret", "seed"):
            if key in authenticator.data:
                ids.add(sealed_key_id(base64.b64decode(authenticator.data[key][len(PREFIX) :])))
    return ids


def run(batch_size: int = 2) -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_key", batch_size=batch_size, stdout=out)
    return out.getvalue()


def test_interrupted_half_way_then_resumed_everything_opens_with_the_newest_key_alone(
    old_objects, client_for, clinician, monkeypatch
):
    assert key_ids_of_lab_files() == {OLD_ID}
    assert mfa_key_ids(old_objects["user"]) == {OLD_ID}
    old_codes = RecoveryCodes(old_objects["codes"]).get_unused_codes()

    # First run: Ctrl-C after two batches of lab files (2 rows each).
    batches = []

    def interrupt(progress):
        if progress.label == "labs.LabReportFile.sealed":
            batches.append(progress.seen)
            if len(batches) == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(Command, "after_batch", staticmethod(interrupt))
    with pytest.raises(CommandError, match="Run the command again to continue"):
        run()
    files = {stored.report_id: sealed_key_id(bytes(stored.sealed)) for stored in LabReportFile.objects.all()}
    assert sorted(files.values()).count(NEWEST_ID) == 4  # two batches done
    assert sorted(files.values()).count(OLD_ID) == 2  # the rest still under the old key
    # The portal kept serving in between: a half-rotated ring opens both kinds.
    for report in old_objects["reports"]:
        assert client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/file/").status_code == 200

    # Second run: continues where blobs still need it.
    monkeypatch.setattr(Command, "after_batch", None)
    output = run()
    assert "labs.LabReportFile.sealed" in output
    assert "labs.LabReportFile.name_sealed" in output
    assert "mfa.Authenticator.data" in output
    assert "[########################] 6/6" in output
    assert "already current 4" in output  # the four done before the interruption were skipped
    assert "unreadable" not in output.split("Done:")[0]
    assert key_ids_of_lab_files() == {NEWEST_ID}
    assert mfa_key_ids(old_objects["user"]) == {NEWEST_ID}

    # With the newest key alone, every object opens.
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=NEWEST):
        for n, report in enumerate(old_objects["reports"]):
            stored = LabReportFile.objects.get(report=report)
            assert open_sealed(bytes(stored.sealed), context=file_context(report.pk)) == f"report {n}\n".encode()
            assert open_sealed(bytes(stored.name_sealed), context=file_name_context(report.pk)) == b"report.txt"
            response = client_for(clinician).get(f"/api/v1/lab-reports/{report.pk}/file/")
            assert response.status_code == 200
        adapter = MFAAdapter()
        totp = Authenticator.objects.get(pk=old_objects["totp"].pk)
        assert adapter.decrypt(totp.data["secret"]) == "JBSWY3DPEHPK3PXP"
        codes = RecoveryCodes(Authenticator.objects.get(pk=old_objects["codes"].pk))
        assert codes.get_unused_codes() == old_codes  # the seed opens and yields the same codes


def test_a_second_run_changes_nothing(old_objects):
    run(batch_size=50)
    before = {stored.pk: bytes(stored.sealed) for stored in LabReportFile.objects.all()}
    output = run(batch_size=50)
    assert "Done: 0 re-wrapped" in output
    assert before == {stored.pk: bytes(stored.sealed) for stored in LabReportFile.objects.all()}


def test_a_concurrent_write_is_not_lost(old_objects, monkeypatch):
    """The portal rewrites a blob between the command's read and its write: the
    command's conditional update misses, it reads again, and the new blob stays."""
    target = old_objects["reports"][0]
    real_rewrap = rotate_encryption_key.rewrap
    fresh_content = b"corrected report, written by the portal during rotation\n"
    calls = []

    def racing_rewrap(blob, *, context, ring=None):
        result = real_rewrap(blob, context=context, ring=ring)
        if context == file_context(target.pk) and not calls:
            calls.append(1)
            LabReportFile.objects.filter(report=target).update(
                sealed=seal(fresh_content, context=file_context(target.pk))
            )
        return result

    monkeypatch.setattr(rotate_encryption_key, "rewrap", racing_rewrap)
    output = run(batch_size=10)
    assert "1 changed meanwhile and read again" in output
    stored = LabReportFile.objects.get(report=target)
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=NEWEST):
        assert open_sealed(bytes(stored.sealed), context=file_context(target.pk)) == fresh_content


def test_a_damaged_blob_is_reported_not_fatal(old_objects):
    stored = LabReportFile.objects.get(report=old_objects["reports"][1])
    blob = bytearray(bytes(stored.sealed))
    blob[60] ^= 0x01  # inside the wrapped data key
    LabReportFile.objects.filter(pk=stored.pk).update(sealed=bytes(blob))
    output = run(batch_size=10)
    assert "1 unreadable" in output
    assert "Keep the old keys" in output


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError):
        call_command("rotate_encryption_key", batch_size=0)


def test_mfa_secrets_are_sealed_strings_bound_to_their_row(old_objects):
    totp = Authenticator.objects.get(pk=old_objects["totp"].pk)
    data = totp.data
    assert data["secret"].startswith(PREFIX)
    context = authenticator_seal_context(totp.user_id, "totp")
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=OLD):
        assert open_sealed(base64.b64decode(data["secret"][len(PREFIX) :]), context=context) == b"JBSWY3DPEHPK3PXP"


def test_message_subjects_and_bodies_are_rotated_too(patient, clinician):
    """Every column in the registry is walked, not only the labs ones."""
    from messaging.models import Message, Thread
    from portal.sealed import sealed_fields

    contexts = {(item.model, item.field): item.context for item in sealed_fields()}
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=OLD):
        thread = Thread.objects.create(patient=patient, subject_sealed=b"", created_by=patient.user)
        thread.subject_sealed = seal(b"Back pain", context=contexts["messaging.Thread", "subject_sealed"](thread))
        thread.save(update_fields=["subject_sealed"])
        message = Message.objects.create(thread=thread, author=patient.user, body_sealed=b"")
        message.body_sealed = seal(
            b"It hurts when I sit", context=contexts["messaging.Message", "body_sealed"](message)
        )
        message.save(update_fields=["body_sealed"])
    run(batch_size=1)
    thread.refresh_from_db()
    message.refresh_from_db()
    with override_settings(AFTERCARE_ENCRYPTION_KEYS=NEWEST):
        assert open_sealed(bytes(thread.subject_sealed), context=f"thread:{thread.pk}") == b"Back pain"
        assert open_sealed(bytes(message.body_sealed), context=f"message:{message.pk}") == b"It hurts when I sit"
