"""FHIR export benchmark: ``GET /fhir/R4/Patient/<id>/$everything`` for a long record.

Run from the project folder (PostgreSQL on 127.0.0.1:5432, user postgres):

    .venv/bin/python bench/fhir_export.py [--iterations 100] [--keep]

1. Creates its own database (``aftercare_bench_fhir``), migrates it.
2. Seeds, through the apps' own services (sealed notes, the alert rules, flags): one
   patient 30 days after the procedure with 120 diary entries (every 6 hours, some
   with notes, some with a fever that raises an alert), 20 medication doses and 10
   released lab reports (CSF and blood, 5 values each), a care-team clinician with
   TOTP, and 50 other patients with short records (the tables are not empty).
3. Checks the answer once: the whole Bundle parses with fhir.resources' R4B models.
4. Times, in-process through Django's test ``Client`` (middleware, session, MFA
   check, the audit event, rendering; no network), the whole record in one page as
   the clinician and as the patient, round-robin with a baseline: the same rows read
   by the export's selectors alone (no resources built, no HTTP).
5. Prints median and p95 (ms); target: p95 under 500 ms. Figures to
   var/figures/fhir_export.json for ``make bench``'s report.
6. Drops the database (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 (after the path above)
    create_database,
    database_url,
    drop_database,
    percentile,
    round_robin,
    verdict,
    write_figures,
)

DB_NAME = "aftercare_bench_fhir"
os.environ["DATABASE_URL"] = database_url(DB_NAME)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/4")
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"

ENTRIES = 120
REPORTS = 10
DOSES = 20
OTHER_PATIENTS = 50
TARGET_MS = 500
SEED = 20261205


def record_for(patient, clinician, rng: random.Random, *, entries: int, reports: int, doses: int) -> None:
    from django.utils import timezone

    from labs.services import release_lab_report, upload_lab_report
    from patients.diary import log_medication_dose, submit_symptom_entry
    from patients.questions import QUESTIONS

    now = timezone.now()
    start = now - timedelta(days=30)
    for n in range(entries):
        fever = rng.random() < 0.05
        data = {
            "recorded_at": (start + timedelta(hours=6 * n, minutes=5)).isoformat(),
            "back_pain": rng.randint(0, 6),
            "headache": rng.randint(0, 7),
            # every yes/no question is answered (an unanswered one is refused)
            **{question.field: False for question in QUESTIONS},
            "positional_headache": rng.random() < 0.3,
            "vomiting": rng.random() < 0.05,
        }
        if fever or rng.random() < 0.4:
            data["temperature_c"] = "38.4" if fever else f"{rng.uniform(36.2, 37.6):.1f}"
        if rng.random() < 0.3:
            data["notes"] = "Felt better after lying down for an hour."
        submit_symptom_entry(patient=patient, data=data, entered_by=patient.user)
    for n in range(doses):
        log_medication_dose(
            patient=patient,
            data={
                "medication_class": "acetaminophen",
                "dose_mg": 500,
                "taken_at": (now - timedelta(days=n)).isoformat(),
            },
            entered_by=patient.user,
        )
    for n in range(reports):
        csf = n % 2 == 0
        values = (
            [
                {"analyte": "csf_wbc", "value": rng.randint(0, 12), "unit": "cells/uL"},
                {"analyte": "csf_rbc", "value": rng.randint(0, 50), "unit": "cells/uL"},
                {"analyte": "csf_glucose", "value": round(rng.uniform(2.0, 4.0), 1), "unit": "mmol/L"},
                {"analyte": "serum_glucose", "value": rng.randint(80, 110), "unit": "mg/dL"},
                {"analyte": "csf_protein", "value": rng.randint(20, 60), "unit": "mg/dL"},
            ]
            if csf
            else [
                {"analyte": "crp", "value": rng.randint(1, 30), "unit": "mg/L"},
                {"analyte": "esr", "value": rng.randint(5, 40), "unit": "mm/h"},
                {"analyte": "serum_glucose", "value": rng.randint(80, 110), "unit": "mg/dL"},
            ]
        )
        report = upload_lab_report(
            uploaded_by=clinician,
            patient=patient,
            kind="csf" if csf else "blood",
            collected_at=now - timedelta(days=29 - 3 * n),
            values=values,
            file_content=b"Lab report\n",
            file_name="report.txt",
        )
        release_lab_report(report=report, released_by=clinician)


def seed():
    from django.db import connection
    from django.utils import timezone

    from tests.factories import CareTeamGrantFactory, ClinicianFactory, PatientFactory

    rng = random.Random(SEED)
    clinician = ClinicianFactory(email="clinician@bench.test")
    patient = PatientFactory(user__email="patient@bench.test", procedure=timezone.now() - timedelta(days=30))
    CareTeamGrantFactory(patient=patient, clinician=clinician)
    record_for(patient, clinician, rng, entries=ENTRIES, reports=REPORTS, doses=DOSES)
    for n in range(OTHER_PATIENTS):
        other = PatientFactory(user__email=f"other{n}@bench.test", procedure=timezone.now() - timedelta(days=30))
        CareTeamGrantFactory(patient=other, clinician=clinician)
        record_for(other, clinician, rng, entries=8, reports=1, doses=1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return patient, clinician


def p95_of(samples: list[float]) -> float:
    return percentile(samples, 95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()

    create_database(DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from fhir.resources.R4B.bundle import Bundle

    from interop import selectors
    from tests.sessions import sign_in

    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrated = time.perf_counter()
        patient, clinician = seed()
        seeded = time.perf_counter()
        print(f"database {DB_NAME}: migrated in {migrated - started:.1f} s, seeded in {seeded - migrated:.1f} s")
        url = f"/fhir/R4/Patient/{patient.pk}/$everything"
        clients = {}
        for who, user in (("clinician", clinician), ("patient", patient.user)):
            client = Client()
            sign_in(client, user)
            clients[who] = client
        response = clients["clinician"].get(url, HTTP_ACCEPT="application/fhir+json")
        assert response.status_code == 200, response.content[:300]
        bundle = Bundle.model_validate_json(response.content)
        kinds: dict[str, int] = {}
        for entry in bundle.entry:
            kinds[entry.resource.get_resource_type()] = kinds.get(entry.resource.get_resource_type(), 0) + 1
        print(
            f"one page, {len(bundle.entry)} resources, {len(response.content) / 1024:.0f} KiB, parsed back with "
            f"fhir.resources (R4B): " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        )
        assert kinds["QuestionnaireResponse"] == ENTRIES and kinds["DiagnosticReport"] == REPORTS

        def baseline():
            scope = selectors.export_scope_for(clinician, patient)
            sections = selectors.record_sections(patient, scope, since=None)
            rows, _ = selectors.page_of(sections, offset=0, count=10**6)
            for name, row in rows:
                if name == "lab_report":
                    list(row.values.all())

        jobs = {
            "clinician": lambda: clients["clinician"].get(url, HTTP_ACCEPT="application/fhir+json"),
            "patient": lambda: clients["patient"].get(url, HTTP_ACCEPT="application/fhir+json"),
            "baseline": baseline,
        }
        load_before = os.getloadavg()[0]
        samples = round_robin(jobs, iterations=args.iterations, seed=SEED)
        load_after = os.getloadavg()[0]
        print(f"load average (1 min) {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} CPUs")
        print(f"{args.iterations} timed requests each after warm-up rounds; times in ms\n")
        header = f"{'case':<48}{'median':>9}{'p95':>9}"
        print(header)
        print("-" * len(header))
        for name in ("clinician", "patient", "baseline"):
            label = "the selectors' queries alone (baseline)" if name == "baseline" else f"$everything as the {name}"
            print(f"{label:<48}{statistics.median(samples[name]):>9.1f}{p95_of(samples[name]):>9.1f}")
        worst = max(p95_of(samples["clinician"]), p95_of(samples["patient"]))
        ok = worst < TARGET_MS
        print(f"\nworst p95 {worst:.1f} ms: {verdict(ok)} (target < {TARGET_MS} ms)")
        base = p95_of(samples["baseline"])
        write_figures(
            "fhir_export",
            [
                {
                    "name": f"$everything, {ENTRIES} entries + {REPORTS} lab reports ({len(bundle.entry)} resources), "
                    f"as the {name}, p95",
                    "value": round(p95_of(samples[name]), 1),
                    "unit": "ms",
                    "baseline": round(base, 1),
                    "ratio": round(p95_of(samples[name]) / base, 1),
                    "target": f"< {TARGET_MS} ms",
                    "ok": p95_of(samples[name]) < TARGET_MS,
                }
                for name in ("clinician", "patient")
            ],
        )
        return 0 if ok else 1
    finally:
        if not args.keep:
            drop_database(DB_NAME)


if __name__ == "__main__":
    sys.exit(main())
