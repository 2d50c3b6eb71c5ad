"""``make bench``: every benchmark and fault script in one run, and the report.

    .venv/bin/python bench/run_all.py [--quick] [--short-faults]

1. ``bench/seed.py --patients 50000 --entries 1000000`` (the data of steps 3-4).
2. The per-feature benchmarks, one after the other: ``bench/scan.py`` (scan and
   outbox), ``bench/inbox.py`` (the triage queue), ``bench/fhir_export.py`` (a long
   record as FHIR), ``bench/crypto.py`` (sealing), ``bench/quality.py`` (the clinic's
   quality figures for a year of 50,000 procedures).
3. ``bench/load.py``: the symptom API, the inbox and the history under load.
4. ``bench/alert_latency.py``: entry saved -> email accepted, worker and beat running.
5. The seven fault scripts of ``bench/faults/``, at the same time (each has its own
   database, Redis, SMTP server and workers; they measure counts and minutes, not
   speed), at the issue's full length: SMTP down 300 s, two beats for 10 minutes, beat
   stopped 6 minutes, the worker dead 7 minutes, a backup under load. Run at once, they
   take about 13 minutes and the whole run about 27 on two cores. (e) and (f) keep
   their full length in ``--quick`` too: their targets are the 5 and 10 minutes.
   (``--short-faults``: SMTP down 120 s and two beats for 4 minutes, 6 minutes less.)

Each step's output goes to the console and to ``bench/results/latest/<step>.txt``; the
figures, targets and verdicts are gathered into ``bench/results/latest.md`` with
the machine and the versions. Exit status 1 when any step failed or missed a target.
``--quick`` runs everything small (a smoke test of the suite, in a few minutes).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import FIGURES, PYTHON, RESULTS, ROOT, machine_summary

STEPS = RESULTS / "latest"  # each step's full output

# (step, command, timeout in seconds, JSON figures it writes or None)
PERF_STEPS = [
    ("seed", ["bench/seed.py", "--patients", "50000", "--entries", "1000000"], 600, None),
    ("scan", ["bench/scan.py"], 900, None),
    ("inbox", ["bench/inbox.py"], 600, None),
    ("fhir_export", ["bench/fhir_export.py"], 600, "fhir_export"),
    ("crypto", ["bench/crypto.py"], 600, None),
    ("quality", ["bench/quality.py"], 900, "quality"),
    ("load", ["bench/load.py", "--seconds", "60"], 900, "load"),
    ("alert_latency", ["bench/alert_latency.py", "--seconds", "180"], 900, "alert_latency"),
]
FAULT_STEPS = [
    ("fault_redis_down", ["bench/faults/redis_down.py"], 600, "fault_redis_down"),
    ("fault_kill_worker", ["bench/faults/kill_worker.py"], 600, "fault_kill_worker"),
    ("fault_smtp_down", ["bench/faults/smtp_down.py", "--down", "300"], 1200, "fault_smtp_down"),
    ("fault_double_beat", ["bench/faults/double_beat.py", "--minutes", "10"], 1200, "fault_double_beat"),
    ("fault_beat_stopped", ["bench/faults/stalled_pipeline.py", "--stop", "beat"], 900, "fault_beat_stopped"),
    ("fault_worker_stopped", ["bench/faults/stalled_pipeline.py", "--stop", "worker"], 1200, "fault_worker_stopped"),
    ("fault_backup_load", ["bench/faults/backup_under_load.py"], 900, "fault_backup_load"),
]
QUICK = {
    "seed": [
        "bench/seed.py",
        "--patients",
        "2000",
        "--entries",
        "40000",
        "--clinicians",
        "20",
        "--long-diaries",
        "200",
    ],
    "scan": ["bench/scan.py", "--small"],
    "inbox": ["bench/inbox.py", "--iterations", "20"],
    "fhir_export": ["bench/fhir_export.py", "--iterations", "20"],
    "crypto": ["bench/crypto.py", "--iterations", "5"],
    "quality": ["bench/quality.py", "--procedures", "5000", "--iterations", "5"],
    "load": ["bench/load.py", "--seconds", "10"],
    "alert_latency": ["bench/alert_latency.py", "--seconds", "40"],
    "fault_redis_down": ["bench/faults/redis_down.py", "--down", "20", "--before", "5", "--after", "5"],
    "fault_kill_worker": ["bench/faults/kill_worker.py", "--kills", "4", "--burst", "20"],
    "fault_smtp_down": ["bench/faults/smtp_down.py", "--down", "30", "--alerts", "20"],
    "fault_double_beat": ["bench/faults/double_beat.py", "--minutes", "1.5", "--escalation-minutes", "1"],
    "fault_beat_stopped": ["bench/faults/stalled_pipeline.py", "--stop", "beat"],
    "fault_worker_stopped": ["bench/faults/stalled_pipeline.py", "--stop", "worker"],
    "fault_backup_load": ["bench/faults/backup_under_load.py", "--before", "10", "--after", "10", "--patients", "50"],
}
SHORT_FAULTS = {
    "fault_smtp_down": ["bench/faults/smtp_down.py", "--down", "120"],
    "fault_double_beat": ["bench/faults/double_beat.py", "--minutes", "4"],
}


def versions() -> list[tuple[str, str]]:
    def dist(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    def command(args: list[str]) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return "?"

    pg = command(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"])
    redis = command(["redis-server", "--version"]).split(" sha=")[0]
    return [
        ("Python", platform.python_version()),
        *((name, dist(name)) for name in ("Django", "djangorestframework", "celery", "kombu", "redis", "psycopg")),
        *((name, dist(name)) for name in ("gunicorn", "django-allauth", "cryptography", "aiosmtpd", "httpx")),
        ("PostgreSQL server", pg),
        ("Redis server", redis.replace("Redis server ", "")),
        ("wrk (load generator)", " ".join(command(["wrk", "--version"]).split()[1:2]) or "?"),
    ]


def machine() -> list[tuple[str, str]]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory = next(
            line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
        )
        memory = f"{int(memory) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("Memory", memory),
        ("Kernel", platform.release()),
    ]


def git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "?"
    # The results this run writes are tracked files too: they do not count as changes.
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results")
    return revision + (" (with uncommitted changes)" if changed else "")


def run_step(name: str, command: list[str], timeout: int, *, echo: bool) -> dict:
    """Run one script; its output to the console (when ``echo``) and to results/<name>.txt."""
    started = time.monotonic()
    out_path = STEPS / f"{name}.txt"
    figures_path = FIGURES / f"{name}.json"
    figures_path.unlink(missing_ok=True)
    with open(out_path, "w") as out:
        process = subprocess.Popen(
            [PYTHON, "-u", *command], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = started + timeout
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            if echo:
                print(f"  {line}", end="", flush=True)
            if time.monotonic() > deadline:
                process.kill()
                out.write(f"\n(stopped after the step's limit of {timeout} s)\n")
                break
        status = process.wait()
    return {"name": name, "command": command, "status": status, "seconds": time.monotonic() - started}


def run_parallel(steps: list[tuple[str, list[str], int, str | None]]) -> list[dict]:
    """The fault scripts at the same time; each one's output is printed when it ends."""
    import threading

    outcomes: dict[str, dict] = {}

    def worker(name, command, timeout):
        outcomes[name] = run_step(name, command, timeout, echo=False)

    threads = [threading.Thread(target=worker, args=(n, c, t)) for n, c, t, _ in steps]
    for thread in threads:
        thread.start()
    for (name, *_), thread in zip(steps, threads, strict=True):
        thread.join()
        outcome = outcomes[name]
        print(f"\n== {name}: exit {outcome['status']} after {outcome['seconds']:.0f} s")
        print((STEPS / f"{name}.txt").read_text(), end="", flush=True)
    return [outcomes[name] for name, *_ in steps]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def printed_figures(step: str, text: str) -> list[dict]:
    """The figures the scan, inbox and crypto scripts print, read back from their output
    (their formats are theirs; a line that does not match is simply not tabled)."""
    figures: list[dict] = []

    def add(name, value, unit, target, ok, baseline=None, ratio=None):
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

    if step == "scan":
        if m := re.search(r"a\. incremental scan, ([\d,]+) new over ([\d,]+) history rows: ([\d.]+) s", text):
            add(
                f"incremental scan, {m[1]} new over {m[2]} rows", _number(m[3]), "s", "<= 0.15 s", _number(m[3]) <= 0.15
            )
        if m := re.search(
            r"b\. full rescan.*?: ([\d.]+) s, .*?raw SQL LAG\(\): ([\d.]+) s JIT off, ([\d.]+) s JIT on.*?"
            r"ratio to the faster raw run ([\d.]+) .*?identical alert sets: (\w+)",
            text,
        ):
            ratio = _number(m[4])
            add(
                "full rescan (ORM + engine) vs raw SQL LAG()",
                _number(m[1]),
                "s",
                "ratio <= 1.6, same alerts",
                ratio <= 1.6 and m[5] == "True",
                min(_number(m[2]), _number(m[3])),
                ratio,
            )
        if m := re.search(r"b2\. .*?: ([\d.]+) s, .*?peak RSS (\d+) MB", text):
            add(
                f"full rescan in a worker process: peak resident memory (its time {_number(m[1]):.2f} s)",
                _number(m[2]),
                "MB",
                "< 300 MB",
                _number(m[2]) < 300,
            )
        if m := re.search(
            r"c\. ([\d,]+) alerts delivered.*?in ([\d.]+) s \(target < 10 s\).*?exactly once: (\w+)", text
        ):
            add(
                f"{m[1]} urgent alerts: emails outbox -> SMTP",
                _number(m[2]),
                "s",
                "< 10 s, exactly once",
                _number(m[2]) < 10 and m[3] == "True",
            )
        if m := re.search(
            r"d\. incremental scan, .*? over ([\d,]+) history rows: ([\d.]+) s .*?ratio big/small ([\d.]+)", text
        ):
            ratio = _number(m[3])
            big = figures[0]["value"] if figures and figures[0]["name"].startswith("incremental") else None
            add(
                f"incremental scan: history of 1,000,000 vs {m[1]} rows",
                big,
                "s",
                "ratio <= 1.2",
                ratio <= 1.2,
                _number(m[2]),
                ratio,
            )
    elif step == "inbox":
        for m in re.finditer(
            r"^(clinician|whole_clinic): (.+?)\s{2,}([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)x$",
            text,
            re.MULTILINE,
        ):
            p95 = _number(m[5])
            stress = m[1] == "whole_clinic"
            add(
                f"{'whole-clinic stress case' if stress else 'one clinician'}: {' '.join(m[2].split())} p95",
                p95,
                "ms",
                # Issue 22 point 4: 60 ms (it was 100 ms); the whole clinic is a stress case.
                "(reported)" if stress else "p95 <= 60 ms",
                stress or p95 <= 60,
                _number(m[6]),
                _number(m[7]),
            )
    elif step == "crypto":
        for m in re.finditer(
            r"^\s+((?:seal|open) \d+ MB)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\S+.*)$", text, re.MULTILINE
        ):
            add(
                f"{m[1]} throughput (sealed vs raw AES-GCM)",
                _number(m[2]),
                "MB/s",
                ">= 0.8 x raw",
                m[6].strip() == "ok",
                _number(m[3]),
                _number(m[4]),
            )
        sealed = re.search(r"sealed \(the real API\)\s+[\d.]+\s+([\d.]+)", text)
        plain = re.search(r"plaintext baseline\s+[\d.]+\s+([\d.]+)", text)
        if m := re.search(r"p95 ratio sealed/plaintext: ([\d.]+)\s+\(target <= ([\d.]+)\) (.+)", text):
            add(
                "5 MB report upload + download through the API, p95",
                _number(sealed[1]) if sealed else None,
                "ms",
                f"<= {m[2]} x plaintext",
                m[3].strip() == "ok",
                _number(plain[1]) if plain else None,
                _number(m[1]),
            )
    return figures


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "/")


def report(
    outcomes: list[dict], figures_of: dict[str, str | None], started_at: datetime, total: float, mode: str
) -> list[str]:
    """Write results/latest.md; returns the figures that missed their target."""
    missed: list[str] = []
    lines = [
        "# Aftercare benchmark results",
        "",
        f"Run {started_at:%Y-%m-%d %H:%M} UTC, {total / 60:.1f} minutes in all ({mode}); git {git_revision()}.",
        "Generated by `make bench` (bench/run_all.py); every step's full output is in bench/results/latest/<step>.txt.",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine()),
        *(f"| {k} | {v} |" for k, v in versions()),
        f"| Load at the end | {machine_summary()} |",
        "",
        "## Figures, baselines and targets",
        "",
        "| step | figure | value | unit | baseline | ratio | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        key = figures_of.get(outcome["name"])
        path = FIGURES / f"{key}.json" if key else None
        if path is not None and path.exists():
            figures = json.loads(path.read_text())
        else:
            figures = printed_figures(outcome["name"], (STEPS / f"{outcome['name']}.txt").read_text())
        for f in figures:
            if not f["ok"]:
                missed.append(f"{outcome['name']}: {f['name']}")
            lines.append(
                f"| {outcome['name']} | {cell(f['name'])} | {cell(f['value'])} | {cell(f.get('unit'))} | "
                f"{cell(f.get('baseline'))} | {cell(f.get('ratio'))} | {cell(f['target'])} | "
                f"{'pass' if f['ok'] else '**MISS**'} |"
            )
    lines += [
        "",
        "The scan, inbox and crypto rows are read back from those scripts' own output (quoted in",
        "full below).",
        "",
        "## Steps",
        "",
        "| step | command | exit | seconds |",
        "|---|---|---|---|",
        *(f"| {o['name']} | `{' '.join(o['command'])}` | {o['status']} | {o['seconds']:.0f} |" for o in outcomes),
    ]
    for outcome in outcomes:
        text = (STEPS / f"{outcome['name']}.txt").read_text().rstrip()
        lines += ["", f"### {outcome['name']}", "", "```", text[-6000:], "```"]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="everything small: a smoke test of the suite")
    parser.add_argument("--short-faults", action="store_true", help="SMTP down 120 s and two beats for 4 minutes")
    args = parser.parse_args()
    STEPS.mkdir(parents=True, exist_ok=True)
    started_at, started = datetime.now(UTC), time.monotonic()
    os.environ["AFTERCARE_BENCH_SCAN_DB"] = "aftercare_bench_scan"  # not the alerts helper's own run

    def command_of(name: str, default: list[str]) -> list[str]:
        if args.quick:
            return QUICK[name]
        if args.short_faults and name in SHORT_FAULTS:
            return SHORT_FAULTS[name]
        return default

    perf = [(n, command_of(n, c), t, f) for n, c, t, f in PERF_STEPS]
    faults = [(n, command_of(n, c), t, f) for n, c, t, f in FAULT_STEPS]
    figures_of = {n: f for n, _, _, f in perf + faults}
    print(f"Aftercare benchmarks; {machine_summary()}; results in bench/results/", flush=True)
    outcomes = []
    for name, command, timeout, _ in perf:
        print(f"\n== {name}: {' '.join(command)}", flush=True)
        outcome = run_step(name, command, timeout, echo=True)
        print(f"== {name}: exit {outcome['status']} after {outcome['seconds']:.0f} s", flush=True)
        outcomes.append(outcome)
        if name == "seed" and outcome["status"] != 0:
            break
    else:
        print(f"\n== the fault scripts at once: {', '.join(n for n, *_ in faults)}", flush=True)
        outcomes += run_parallel(faults)
    total = time.monotonic() - started
    mode = (
        "quick"
        if args.quick
        else ("shortened faults: SMTP 120 s, beats 4 min" if args.short_faults else "faults at full length")
    )
    missed = report(outcomes, figures_of, started_at, total, mode)
    failed = [o["name"] for o in outcomes if o["status"] != 0]
    print(f"\nmake bench: {total / 60:.1f} minutes; steps with a non-zero exit: {', '.join(failed) or 'none'}")
    for name in missed:
        print(f"  target missed: {name}")
    print(f"Report: {RESULTS / 'latest.md'}")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
