"""``make bench``: every benchmark and fault script in one run, and the report.

    .venv/bin/python bench/run_all.py [--quick] [--full-faults]

1. ``bench/seed.py --patients 50000 --entries 1000000`` (the data of steps 3-4).
2. The per-feature benchmarks, one after the other: ``bench/scan.py`` (scan and
   outbox), ``bench/inbox.py`` (the triage queue), ``bench/crypto.py`` (sealing).
3. ``bench/load.py``: the symptom API, the inbox and the history under load.
4. ``bench/alert_latency.py``: entry saved -> email accepted, worker and beat running.
5. The four fault scripts of ``bench/faults/``, at the same time (each has its own
   database, Redis, SMTP server and workers; they measure counts, not speed). So that
   the whole run stays under 30 minutes on two cores, two of them run shortened:
   SMTP down 120 s instead of 300 s and two beats for 4 minutes instead of 10
   (``--full-faults`` runs the real figures, about 8 minutes more).

Each step's output goes to the console and to ``bench/results/<step>.txt``; the
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
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, RESULTS, ROOT, machine_summary

# (step, command, timeout in seconds, JSON figures it writes or None)
PERF_STEPS = [
    ("seed", ["bench/seed.py", "--patients", "50000", "--entries", "1000000"], 600, None),
    ("scan", ["bench/scan.py"], 900, None),
    ("inbox", ["bench/inbox.py"], 600, None),
    ("crypto", ["bench/crypto.py"], 600, None),
    ("load", ["bench/load.py", "--seconds", "60"], 900, "load"),
    ("alert_latency", ["bench/alert_latency.py", "--seconds", "180"], 900, "alert_latency"),
]
FAULT_STEPS = [
    ("fault_redis_down", ["bench/faults/redis_down.py"], 600, "fault_redis_down"),
    ("fault_kill_worker", ["bench/faults/kill_worker.py"], 600, "fault_kill_worker"),
    ("fault_smtp_down", ["bench/faults/smtp_down.py", "--down", "120"], 900, "fault_smtp_down"),
    ("fault_double_beat", ["bench/faults/double_beat.py", "--minutes", "4"], 900, "fault_double_beat"),
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
    "crypto": ["bench/crypto.py", "--iterations", "5"],
    "load": ["bench/load.py", "--seconds", "10"],
    "alert_latency": ["bench/alert_latency.py", "--seconds", "40"],
    "fault_redis_down": ["bench/faults/redis_down.py", "--down", "20", "--before", "5", "--after", "5"],
    "fault_kill_worker": ["bench/faults/kill_worker.py", "--kills", "4", "--burst", "20"],
    "fault_smtp_down": ["bench/faults/smtp_down.py", "--down", "30", "--alerts", "20"],
    "fault_double_beat": ["bench/faults/double_beat.py", "--minutes", "1.5"],
}
FULL_FAULTS = {
    "fault_smtp_down": ["bench/faults/smtp_down.py"],
    "fault_double_beat": ["bench/faults/double_beat.py"],
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
        *((name, dist(name)) for name in ("gunicorn", "django-allauth", "cryptography", "aiosmtpd")),
        ("PostgreSQL server", pg),
        ("Redis server", redis.replace("Redis server ", "")),
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
    return revision + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_step(name: str, command: list[str], timeout: int, *, echo: bool) -> dict:
    """Run one script; its output to the console (when ``echo``) and to results/<name>.txt."""
    started = time.monotonic()
    out_path = RESULTS / f"{name}.txt"
    figures_path = RESULTS / f"{name}.json"
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
        print((RESULTS / f"{name}.txt").read_text(), end="", flush=True)
    return [outcomes[name] for name, *_ in steps]


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "/")


def report(outcomes: list[dict], figures_of: dict[str, str | None], started_at: datetime, total: float, mode: str):
    lines = [
        "# Aftercare benchmark results",
        "",
        f"Run {started_at:%Y-%m-%d %H:%M} UTC, {total / 60:.1f} minutes in all ({mode}); git {git_revision()}.",
        "Generated by `make bench` (bench/run_all.py); every step's full output is in bench/results/<step>.txt.",
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
        path = RESULTS / f"{key}.json" if key else None
        if path is None or not path.exists():
            continue
        for f in json.loads(path.read_text()):
            lines.append(
                f"| {outcome['name']} | {cell(f['name'])} | {cell(f['value'])} | {cell(f.get('unit'))} | "
                f"{cell(f.get('baseline'))} | {cell(f.get('ratio'))} | {cell(f['target'])} | "
                f"{'pass' if f['ok'] else '**MISS**'} |"
            )
    lines += [
        "",
        "The scan, inbox and crypto benchmarks print their own figures, baselines, ratios and",
        "targets; they are quoted below as printed.",
        "",
        "## Steps",
        "",
        "| step | command | exit | seconds |",
        "|---|---|---|---|",
        *(f"| {o['name']} | `{' '.join(o['command'])}` | {o['status']} | {o['seconds']:.0f} |" for o in outcomes),
    ]
    for outcome in outcomes:
        text = (RESULTS / f"{outcome['name']}.txt").read_text().rstrip()
        lines += ["", f"### {outcome['name']}", "", "```", text[-6000:], "```"]
    (RESULTS / "latest.md").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="everything small: a smoke test of the suite")
    parser.add_argument("--full-faults", action="store_true", help="SMTP down 300 s and two beats for 10 minutes")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started_at, started = datetime.now(UTC), time.monotonic()
    os.environ["AFTERCARE_BENCH_SCAN_DB"] = "aftercare_bench_scan"  # not the alerts helper's own run

    def command_of(name: str, default: list[str]) -> list[str]:
        if args.quick:
            return QUICK[name]
        if args.full_faults and name in FULL_FAULTS:
            return FULL_FAULTS[name]
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
        print(f"\n== the four fault scripts at once: {', '.join(n for n, *_ in faults)}", flush=True)
        outcomes += run_parallel(faults)
    total = time.monotonic() - started
    mode = (
        "quick" if args.quick else ("full faults" if args.full_faults else "shortened faults: SMTP 120 s, beats 4 min")
    )
    report(outcomes, figures_of, started_at, total, mode)
    failed = [o["name"] for o in outcomes if o["status"] != 0]
    print(
        f"\nmake bench: {total / 60:.1f} minutes; {'all steps met their targets' if not failed else 'MISSED: ' + ', '.join(failed)}"
    )
    print(f"Report: {RESULTS / 'latest.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
