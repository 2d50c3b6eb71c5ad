"""The symptom API, the clinician inbox and the 100-entry history under load.

    .venv/bin/python bench/load.py [--seconds 60] [--users 200]

Needs the seeded database (``bench/seed.py``) and works on a copy of it. Starts its
own Redis (broker and cache) on a spare port and gunicorn with 2 sync workers
(``--workers``) on the production settings
(DEBUG off, keys set, PostgreSQL), plus the bench-only baseline views of
``bench/baseline.py``. No Celery worker runs here: the on-commit delivery trigger is
published to Redis as in production, the emails themselves are measured by
``bench/alert_latency.py``. Three phases of ``--seconds`` each:

1. **API**: ``--users`` patients (distinct accounts, each its own session token) post
   diary entries back to back (``POST /api/v1/symptoms/``): the web tier's capacity.
2. **Baseline**: the same users post the same rows to a bare Django view (no DRF,
   no validation, no rules, no audit). Phases 1 and 2 alternate in ``--rounds``
   windows, so that other work on a shared machine falls on both alike.
3. **Reads under load**: the same patients keep posting to the API at a share of the
   capacity measured in phase 1 (40 %, Poisson arrivals) while clinicians read their inbox
   (``GET /api/v1/inbox/`` and the HTML page ``/inbox/``) and patients their newest
   100 entries (``GET /api/v1/symptoms/?page_size=100``), each interleaved with its
   ``.values()`` + ``JsonResponse`` baseline, so the same load falls on both.

Then every 201 is checked against the table: the entry it names exists, and the
rows added equal the 201s received (0 lost, 0 phantom). Targets: 0 errors, 0 lost,
throughput >= 0.4 x baseline, p95 <= 3 x baseline (writes and each read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    MAIN_DB,
    PYTHON,
    ROOT,
    VAR,
    RedisServer,
    create_database,
    database_exists,
    drop_database,
    free_port,
    gunicorn,
    machine_summary,
    percentile,
    production_env,
    setup_django,
    verdict,
    wait_for_port,
    write_figures,
)
from bench.loadgen import Client, Request, Result, closed_loop, paced
from bench.signin import app_login, session_for

DB = "aftercare_bench_load"
REAL_LOGINS = 5  # patients who sign in through allauth's app API; the rest get sessions directly
CLINICIANS = 4
BACKGROUND_SHARE = 0.4  # phase 3 posts at this share of the API's measured capacity
READER_THINK = 1.0  # seconds between a reader's requests
POST_API, POST_BASE = "POST symptoms (API)", "POST symptoms (baseline)"
INBOX_API, INBOX_PAGE, INBOX_BASE = "GET /api/v1/inbox/", "GET /inbox/ (HTML)", "inbox baseline"
HISTORY_API, HISTORY_BASE = "GET symptoms ?page_size=100", "history baseline"


def entry_body(rng: random.Random) -> bytes:
    """A diary entry as patients send them: mostly ordinary (low scores, a temperature
    six times in ten); one in 20 a severe positional headache (contact_provider: an
    alert, its inbox item and emails), one in 100 numbness (urgent)."""
    body: dict = {"back_pain": rng.choice([0, 1]), "headache": rng.choice([0, 1])}
    if rng.random() < 0.6:
        body["temperature_c"] = round(36.3 + rng.random(), 1)
    body["positional_headache"] = rng.random() < 0.2
    roll = rng.random()
    if roll < 0.01:
        body["numbness"] = True
    elif roll < 0.06:
        body.update(headache=8, positional_headache=True)
    if rng.random() < 0.1:
        body["notes"] = "Walked a little today, drank plenty."
    return json.dumps(body).encode()


def summarize(results: list[Result], name: str, expected: int, span: float | None = None) -> dict:
    rows = [r for r in results if r.name == name]
    ok = [r for r in rows if r.status == expected]
    latencies = [r.latency * 1000 for r in ok]
    errors = len(rows) - len(ok)
    return {
        "name": name,
        "requests": len(rows),
        "errors": errors,
        "error_samples": sorted({f"{r.status} {r.error or r.body[:120]!r}" for r in rows if r.status != expected})[:5],
        "throughput": len(ok) / span if span else None,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def print_row(s: dict) -> None:
    rate = f"{s['throughput']:8.1f}/s" if s["throughput"] is not None else " " * 10
    print(f"  {s['name']:<30}{s['requests']:>8,}{s['errors']:>7}{rate}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['p99']:>9.1f}")
    for sample in s["error_samples"]:
        print(f"      error: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--users", type=int, default=200, help="distinct patients posting")
    parser.add_argument("--rounds", type=int, default=6, help="alternating API/baseline windows in phases 1-2")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (the target: 2)")
    parser.add_argument("--keep", action="store_true", help="keep the database copy")
    args = parser.parse_args()
    if not database_exists(MAIN_DB):
        sys.exit(f"Database {MAIN_DB} is missing: run bench/seed.py first.")
    create_database(DB, template=MAIN_DB)  # a copy: the seeded data stays as seeded

    log_dir = VAR / "load" / "logs"
    redis = RedisServer(log_dir=log_dir).start()
    env = production_env(database=DB, redis_port=redis.port, var_name="load")
    web = None
    try:
        setup_django(env)
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=dict(env, DJANGO_SETTINGS_MODULE="bench.web_settings"),
            check=True,
        )
        port = free_port()
        web = gunicorn(env, port=port, log_dir=log_dir, workers=args.workers).start()
        wait_for_port(port, timeout=60, process=web.process)
        return asyncio.run(run(args, port))
    finally:
        if web is not None:
            web.stop()
        redis.stop()
        if not args.keep:
            drop_database(DB)


async def run(args, port: int) -> int:
    # Database reads and writes here happen before and after the measured phases only
    # (never while requests are timed), so blocking the event loop is harmless.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connection

    from patients.models import CareTeamGrant, Patient, SymptomEntry
    from portal.accounts.models import User

    client = Client("127.0.0.1", port, timeout=120)
    rng = random.Random(20261124)

    # --- Accounts: the first patients of the seed have 120 entries each -----------------------
    patient_users = list(
        User.objects.filter(email__in=[f"bench-patient-{n}@bench.test" for n in range(args.users)]).order_by("id")
    )
    if len(patient_users) < args.users:
        sys.exit(f"The seed has fewer than {args.users} patients with long diaries.")
    tokens = [await app_login(client, u.email) for u in patient_users[:REAL_LOGINS]]
    tokens += [session_for(u) for u in patient_users[REAL_LOGINS:]]
    first_patients = Patient.objects.filter(user__in=patient_users[:CLINICIANS]).order_by("id")
    clinician_ids = list(
        CareTeamGrant.objects.filter(patient__in=first_patients, revoked_at__isnull=True)
        .values_list("clinician_id", flat=True)
        .distinct()[:CLINICIANS]
    )
    clinicians = list(User.objects.filter(id__in=clinician_ids))
    clinician_tokens = [await app_login(client, c.email, totp=True) for c in clinicians]
    print(
        f"{machine_summary()}; gunicorn with {args.workers} sync workers; {len(tokens)} patients signed in ({REAL_LOGINS} through the app sign-in API), "
        f"{len(clinician_tokens)} clinicians (password + TOTP)."
    )

    def poster(token: str, path: str, name: str):
        local = random.Random(rng.random())
        return lambda: Request(name, "POST", path, {"X-Session-Token": token}, entry_body(local))

    def get(name: str, path: str, token: str, *, cookie: bool = False) -> Request:
        headers = {"Cookie": f"sessionid={token}"} if cookie else {"X-Session-Token": token}
        return Request(name, "GET", path, headers)

    # Every endpoint answers before the clock starts (and warms both workers).
    warm: list[Result] = []
    await closed_loop(client, [poster(t, "/api/v1/symptoms/", "warm") for t in tokens[:20]], duration=3, results=warm)
    await closed_loop(client, [poster(t, "/bench/symptoms/", "warm") for t in tokens[:20]], duration=3, results=warm)
    for token in clinician_tokens[:1]:
        for request in (
            get("warm", "/api/v1/inbox/", token),
            get("warm", "/inbox/", token, cookie=True),
            get("warm", "/bench/inbox/", token),
            get("warm", "/api/v1/symptoms/?page_size=100", tokens[0]),
            get("warm", "/bench/symptoms/history/", tokens[0]),
        ):
            warm.append(await client.send(request))
    bad = [r for r in warm if r.status not in (200, 201)]
    if bad:
        for r in bad[:5]:
            print(f"warm-up {r.status} {r.error} {r.body[:300]!r}")
        return 2

    def entry_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM patients_symptomentry")
            return cursor.fetchone()[0]

    rows_before = entry_count()
    results: list[Result] = []

    # --- 1 and 2: capacity, API and baseline in alternating windows ---------------------------
    # On a shared machine other work comes and goes; alternating short windows lets it fall
    # on both alike (each window runs until its last request is answered, so both pay a drain).
    window = args.seconds / args.rounds
    print(
        f"\nPhases 1 and 2: {args.users} patients post back to back, {args.rounds} alternating windows of "
        f"{window:.0f} s to the API and to the baseline view ({args.seconds:.0f} s each in all) ...",
        flush=True,
    )
    spans = {POST_API: 0.0, POST_BASE: 0.0}
    windows: dict[str, list[float]] = {POST_API: [], POST_BASE: []}  # req/s of each window
    for _ in range(args.rounds):
        for name, path in ((POST_API, "/api/v1/symptoms/"), (POST_BASE, "/bench/symptoms/")):
            before = len(results)
            span = await closed_loop(client, [poster(t, path, name) for t in tokens], duration=window, results=results)
            spans[name] += span
            windows[name].append(sum(r.status == 201 for r in results[before:]) / span)
    api = summarize(results, POST_API, 201, spans[POST_API])
    base = summarize(results, POST_BASE, 201, spans[POST_BASE])

    # --- 3: reads under a steady write load ---------------------------------------------------
    rate = max(1.0, BACKGROUND_SHARE * api["throughput"])
    print(
        f"Phase 3: patients post at {rate:.0f}/s ({BACKGROUND_SHARE:.0%} of the API's capacity) while {len(clinician_tokens)} clinicians "
        f"read the inbox and {CLINICIANS} patients their history, {args.seconds:.0f} s ...",
        flush=True,
    )
    read_results: list[Result] = []
    until = time.monotonic() + args.seconds

    async def clinician_reader(token: str, seed: int) -> None:
        local = random.Random(seed)
        cases = [
            lambda: get(INBOX_API, "/api/v1/inbox/", token),
            lambda: get(INBOX_PAGE, "/inbox/", token, cookie=True),
            lambda: get(INBOX_BASE, "/bench/inbox/", token),
        ]
        while time.monotonic() < until:
            local.shuffle(cases)
            for case in cases:
                read_results.append(await client.send(case()))
                await asyncio.sleep(READER_THINK)

    async def patient_reader(seed: int) -> None:
        local = random.Random(seed)
        while time.monotonic() < until:
            token = local.choice(tokens)
            cases = [
                get(HISTORY_API, "/api/v1/symptoms/?page_size=100", token),
                get(HISTORY_BASE, "/bench/symptoms/history/", token),
            ]
            local.shuffle(cases)
            for case in cases:
                read_results.append(await client.send(case))
                await asyncio.sleep(READER_THINK)

    background: list[Result] = []
    missed, *_ = await asyncio.gather(
        paced(
            client,
            [poster(t, "/api/v1/symptoms/", POST_API + " paced") for t in tokens],
            rate=rate,
            duration=args.seconds,
            results=background,
        ),
        *(clinician_reader(t, i) for i, t in enumerate(clinician_tokens)),
        *(patient_reader(100 + i) for i in range(CLINICIANS)),
    )
    paced_summary = summarize(background, POST_API + " paced", 201, args.seconds)
    reads = {name: summarize(read_results, name, 200) for name in (INBOX_API, INBOX_PAGE, INBOX_BASE)}
    reads |= {name: summarize(read_results, name, 200) for name in (HISTORY_API, HISTORY_BASE)}
    # The history answers really hold 100 entries.
    sample = next((r for r in read_results if r.name == HISTORY_API and r.status == 200), None)
    history_len = len(sample.json()["results"]) if sample else 0

    # --- Nothing lost -----------------------------------------------------------------------
    accepted = [r.json()["id"] for r in [*results, *background] if r.status == 201]
    rows_after = entry_count()
    found = SymptomEntry.objects.filter(id__in=accepted).count()
    added = rows_after - rows_before
    lost = len(accepted) - found

    print(f"\n{machine_summary()} (after the run)")
    print(f"  {'case':<30}{'requests':>8}{'errors':>7}{'throughput':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for s in (api, base, paced_summary, *reads.values()):
        print_row(s)
    for name, rates in windows.items():
        print(f"  {name} by window (req/s): {' '.join(f'{v:.0f}' for v in rates)}")
    if missed:
        print(f"  paced arrivals that found no free patient (server behind): {missed}")
    print(f"  history page holds {history_len} entries")

    figures = []

    def figure(name, value, unit, target, ok, baseline=None, ratio=None):
        figures.append(
            {
                "name": name,
                "value": value,
                "unit": unit,
                "baseline": baseline,
                "ratio": ratio,
                "target": target,
                "ok": ok,
            }
        )
        shown = f"{value:.2f}" if isinstance(value, float) else f"{value:,}"
        extra = f" (baseline {baseline:.2f}, ratio {ratio:.2f})" if ratio is not None else ""
        print(f"  {name}: {shown} {unit}{extra}; target {target}: {verdict(ok)}")

    print("\nTargets:")
    errors = sum(s["errors"] for s in (api, base, paced_summary, *reads.values()))
    figure("errors (non-2xx or no answer), all phases", errors, "requests", "0", errors == 0)
    figure(
        "lost entries (201 received, row missing)",
        lost,
        "entries",
        "0",
        lost == 0 and added == len(accepted),
    )
    print(f"    ({len(accepted):,} entries acknowledged with 201; rows added {added:,}; found by id {found:,})")
    t_ratio = api["throughput"] / base["throughput"]
    figure(
        "symptom POST throughput",
        api["throughput"],
        "req/s",
        ">= 0.4 x baseline",
        t_ratio >= 0.4,
        base["throughput"],
        t_ratio,
    )
    p_ratio = api["p95"] / base["p95"]
    figure("symptom POST p95", api["p95"], "ms", "<= 3 x baseline", p_ratio <= 3, base["p95"], p_ratio)
    figures.append(
        {
            "name": "symptom POST p50 / p99",
            "value": f"{api['p50']:.1f} / {api['p99']:.1f}",
            "unit": "ms",
            "baseline": f"{base['p50']:.1f} / {base['p99']:.1f}",
            "ratio": None,
            "target": "(reported)",
            "ok": True,
        }
    )
    for name, baseline_name in ((INBOX_API, INBOX_BASE), (INBOX_PAGE, INBOX_BASE), (HISTORY_API, HISTORY_BASE)):
        real, floor = reads[name], reads[baseline_name]
        ratio = real["p95"] / floor["p95"]
        figure(f"{name} p95 under load", real["p95"], "ms", "<= 3 x baseline", ratio <= 3, floor["p95"], ratio)
    figures.append(
        {
            "name": "paced background posts during reads",
            "value": f"{paced_summary['throughput']:.1f}/s, p95 {paced_summary['p95']:.1f} ms",
            "unit": "",
            "baseline": None,
            "ratio": None,
            "target": "(reported)",
            "ok": True,
        }
    )
    write_figures("load", figures)
    return 0 if all(f["ok"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
