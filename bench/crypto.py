"""Crypto benchmark: the cost of sealing lab reports, alone and through the API.

Run from the project folder (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/crypto.py [--iterations 40] [--keep]

1. Throughput of ``portal.crypto.seal`` and ``open_sealed`` on a 1 MB and a 10 MB
   report, against raw AES-256-GCM from ``cryptography`` (one ``AESGCM.encrypt`` /
   ``decrypt`` with a fixed key) on the same bytes. Raw and sealed runs alternate;
   the best run gives the MB/s and the ratio sealed/raw (the medians' ratio is
   printed too: on a busy machine it is the noisier one). Target: at least 0.8.
2. The round trip of a 5 MB report through the API, in-process through Django's test
   ``Client`` (full middleware, session, MFA check, DRF parsing, database): upload
   (``POST /api/v1/lab-reports/``) then download (``GET .../file/``), against the same
   round trip through a plaintext baseline defined here: the same authentication,
   parser, bounded upload handler and content check, the report row and the file row
   written and read, but the bytes stored and returned as they came (no sealing, no
   values, no inbox item). Both run interleaved, on a database created for the run
   (``aftercare_bench_crypto``) and dropped after it (unless ``--keep``). Prints the
   median and p95 of each, and the p95 ratio. Target: at most 1.2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "aftercare_bench_crypto"
SERVER = "postgres://postgres@127.0.0.1:5432"
os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"

MB = 1024 * 1024
BOUNDARY = "BenchBoundary7f3a"


# --- 1. Throughput -----------------------------------------------------------------------


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _throughput_of(size_mb: int, repeat: int) -> list[tuple[str, float, float, float, float]]:
    """Raw and sealed runs interleaved, so that load from other processes hits both alike.
    Returns (case, sealed MB/s, raw MB/s, ratio of the best runs, ratio of the medians)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from portal.crypto import open_sealed, seal

    data = os.urandom(size_mb * MB)
    context = "lab_report:1"
    aad = context.encode()
    raw = AESGCM(AESGCM.generate_key(bit_length=256))
    nonce = os.urandom(12)
    raw_blob = raw.encrypt(nonce, data, aad)
    sealed_blob = bytes(seal(data, context=context))
    assert open_sealed(sealed_blob, context=context) == data

    cases = {
        "raw seal": lambda: raw.encrypt(nonce, data, aad),
        "seal": lambda: seal(data, context=context),
        "raw open": lambda: raw.decrypt(nonce, raw_blob, aad),
        "open": lambda: open_sealed(sealed_blob, context=context),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for action in cases.values():
        action()  # warm-up
    for _ in range(repeat):
        for name, action in cases.items():
            timings[name].append(_timed(action))
    rows = []
    for name in ("seal", "open"):
        ours, theirs = timings[name], timings[f"raw {name}"]
        rows.append(
            (
                f"{name} {size_mb} MB",
                size_mb / min(ours),
                size_mb / min(theirs),
                min(theirs) / min(ours),
                statistics.median(theirs) / statistics.median(ours),
            )
        )
    return rows


def throughput() -> list[tuple[str, float, float, float, float]]:
    return _throughput_of(1, 200) + _throughput_of(10, 40)


# --- 2. The API round trip ------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def baseline_urls():
    """The plaintext baseline: the real API's plumbing, minus the crypto."""
    from django.db import transaction
    from django.http import HttpResponse
    from django.urls import include, path
    from rest_framework.generics import GenericAPIView
    from rest_framework.response import Response

    from labs.models import LabReport, LabReportFile
    from labs.uploads import BoundedMemoryUploadHandler, check_report_file, read_uploaded
    from patients.models import Patient
    from portal.audit.services import record_audit
    from portal.permissions import IsClinician

    class PlainUpload(GenericAPIView):
        permission_classes = [IsClinician]

        def initial(self, request, *args, **kwargs):
            self.handler = BoundedMemoryUploadHandler(request._request)
            request._request.upload_handlers = [self.handler]
            super().initial(request, *args, **kwargs)

        def post(self, request):
            uploaded = request.FILES.get("file")
            checked = check_report_file(read_uploaded(uploaded), original_name=uploaded.name)
            patient = Patient.objects.get(pk=request.data["patient"])
            with transaction.atomic():
                report = LabReport.objects.create(
                    patient=patient,
                    kind=request.data["kind"],
                    collected_at=request.data["collected_at"],
                    uploaded_by=request.user,
                    content_type=checked.content_type,
                    size=len(checked.content),
                )
                LabReportFile.objects.create(report=report, sealed=checked.content, name_sealed=checked.name.encode())
            return Response({"id": report.pk}, status=201)

    class PlainDownload(GenericAPIView):
        permission_classes = [IsClinician]

        def get(self, request, pk):
            report = LabReport.objects.get(pk=pk)
            stored = LabReportFile.objects.get(report=report)
            record_audit(actor=request.user, action="lab_report.download", patient_id=report.patient_id, obj=report)
            response = HttpResponse(bytes(stored.sealed), content_type=report.content_type)
            response["Content-Disposition"] = f'attachment; filename="{bytes(stored.name_sealed).decode()}"'
            return response

    return [
        path("bench/plain/", PlainUpload.as_view()),
        path("bench/plain/<int:pk>/", PlainDownload.as_view()),
        path("", include("portal.urls")),
    ]


def multipart_body(patient_id: int, content: bytes) -> bytes:
    parts = []
    for name, value in (
        ("patient", str(patient_id)),
        ("kind", "csf"),
        ("collected_at", "2026-01-10T08:30:00Z"),
        ("values", "[]"),
    ):
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def round_trips(iterations: int) -> dict[str, list[float]]:
    from django.test import Client, override_settings

    from patients.models import CareTeamGrant, Patient, Procedure
    from portal.accounts.models import Role, User
    from tests.factories import enable_totp

    clinician = User.objects.create_user(email="bench.clinician@bench.test", role=Role.CLINICIAN)
    enable_totp(clinician)
    patient_user = User.objects.create_user(email="bench.patient@bench.test", role=Role.PATIENT)
    patient = Patient.objects.create(user=patient_user, date_of_birth="1980-01-01", sex="female")
    Procedure.objects.create(
        patient=patient, performed_at="2026-01-10T08:00:00Z", needle_type="atraumatic", needle_gauge=22
    )
    CareTeamGrant.objects.create(patient=patient, clinician=clinician)

    content = b"%PDF-1.7\n" + os.urandom(5 * MB - 20) + b"\n%%EOF\n"
    body = multipart_body(patient.pk, content)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    client = Client()
    from tests.sessions import sign_in

    sign_in(client, clinician)

    def sealed_trip() -> float:
        started = time.perf_counter()
        response = client.generic("POST", "/api/v1/lab-reports/", body, content_type=content_type)
        assert response.status_code == 201, response.content[:300]
        download = client.get(f"/api/v1/lab-reports/{response.json()['id']}/file/")
        assert download.status_code == 200 and download.content == content
        return time.perf_counter() - started

    def plain_trip() -> float:
        started = time.perf_counter()
        response = client.generic("POST", "/bench/plain/", body, content_type=content_type)
        assert response.status_code == 201, response.content[:300]
        download = client.get(f"/bench/plain/{response.json()['id']}/")
        assert download.status_code == 200 and download.content == content
        return time.perf_counter() - started

    timings: dict[str, list[float]] = {"sealed": [], "plain": []}
    module = type(sys)("bench_crypto_urls")
    module.urlpatterns = baseline_urls()
    sys.modules["bench_crypto_urls"] = module
    with override_settings(ROOT_URLCONF="bench_crypto_urls"):
        for _ in range(3):  # warm-up
            sealed_trip()
            plain_trip()
        for n in range(iterations):
            # Interleaved, alternating which goes first, so drift hits both alike.
            order = (("sealed", sealed_trip), ("plain", plain_trip))
            for name, trip in order if n % 2 == 0 else reversed(order):
                timings[name].append(trip())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    import django

    create_database()
    django.setup()
    from django.core.management import call_command

    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"Load average before the run: {load} ({os.cpu_count()} CPUs); other work on the machine adds noise.")
        print("Sealing throughput against raw AES-256-GCM on the same bytes (best run; runs interleaved):")
        print(f"  {'case':<12} {'sealed MB/s':>12} {'raw MB/s':>10} {'ratio':>7} {'median ratio':>13}  (target >= 0.8)")
        for name, ours, raw, ratio, median_ratio in throughput():
            verdict = "ok" if ratio >= 0.8 else "BELOW TARGET"
            print(f"  {name:<12} {ours:>12.0f} {raw:>10.0f} {ratio:>7.2f} {median_ratio:>13.2f}  {verdict}")

        call_command("migrate", verbosity=0, interactive=False)
        timings = round_trips(args.iterations)
        sealed, plain = timings["sealed"], timings["plain"]
        print(f"\nUpload + download of a 5 MB report through the API ({args.iterations} round trips each):")
        print(f"  {'path':<26} {'median ms':>10} {'p95 ms':>8}")
        print(f"  {'sealed (the real API)':<26} {statistics.median(sealed) * 1000:>10.1f} {p95(sealed) * 1000:>8.1f}")
        print(f"  {'plaintext baseline':<26} {statistics.median(plain) * 1000:>10.1f} {p95(plain) * 1000:>8.1f}")
        ratio = p95(sealed) / p95(plain)
        print(f"  p95 ratio sealed/plaintext: {ratio:.2f}  (target <= 1.2) {'ok' if ratio <= 1.2 else 'ABOVE TARGET'}")
        print(
            f"  median ratio: {statistics.median(sealed) / statistics.median(plain):.2f} "
            "(the real API also flags values, posts the inbox item and audits the upload)"
        )
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
