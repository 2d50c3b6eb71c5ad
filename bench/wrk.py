"""wrk (the HTTP benchmarking tool, Debian's package) driven from Python.

``make bench`` installs wrk when it is missing (``.ci/apt-install /usr/bin/wrk wrk``). Each run
gets a plan (what to send, as which users) and ``bench/load.lua`` reports every answer
back: the ids of the rows created, unexpected answers, the requests sent and answered,
and the whole latency distribution, so that windows of one run can be pooled exactly.

Every connection sends its next request as soon as the last is answered (a closed
loop): wrk can pause between requests only on an open connection, and each of
gunicorn's sync workers waits for the whole request on a connection it accepted.

    run = start(Plan("POST", "/api/v1/symptoms/", users=tokens, bodies=bodies, record_ids=True),
                port=port, seconds=10, connections=200)
    outcome = run.finish()
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, VAR

SCRIPT = ROOT / "bench" / "load.lua"


def executable() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: make bench installs it (apt-get install wrk).")
    return path


@dataclass
class Plan:
    method: str
    path: str
    users: list[str]  # session tokens; request after request cycles through them
    expect: int = 200  # the status every answer should have
    bodies: list[bytes] | None = None  # JSON bodies, one picked at random per request
    cookie: bool = False  # the token as the ``sessionid`` cookie (HTML pages) instead of X-Session-Token
    record_ids: bool = False  # keep the ``id`` of every expected answer (rows created)
    seed: int = 7


@dataclass
class Outcome:
    seconds: float  # wrk's measured span
    answered: int  # answers received, any status
    sent: int  # requests written; sent - answered were in flight when the run ended
    expected: int  # answers with the plan's status
    socket_errors: dict[str, int]
    unexpected: list[str]  # "<status> <start of the body>" of each other answer
    ids: list[int]  # rows created (record_ids)
    answered_at: list[int] = field(default_factory=list)  # the second (Unix time) each id's answer came
    latency_us: Counter = field(default_factory=Counter)  # microseconds -> answers

    @property
    def errors(self) -> int:
        return len(self.unexpected) + sum(self.socket_errors.values())

    @property
    def throughput(self) -> float:
        return self.expected / self.seconds if self.seconds else 0.0


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


class Run:
    def __init__(self, plan: Plan, *, port: int, seconds: float, connections: int, threads: int) -> None:
        VAR.mkdir(parents=True, exist_ok=True)
        self.out = Path(tempfile.mkdtemp(prefix="wrk-", dir=VAR))
        plan_path = self.out / "plan.lua"
        bodies = (
            "{" + ",".join(_lua_string(b.decode()) for b in plan.bodies) + "}" if plan.bodies is not None else "nil"
        )
        plan_path.write_text(
            "return {\n"
            f"  method = {_lua_string(plan.method)}, path = {_lua_string(plan.path)}, expect = {plan.expect},\n"
            f"  cookie = {str(plan.cookie).lower()}, record_ids = {str(plan.record_ids).lower()},\n"
            f"  seed = {plan.seed}, threads = {threads},\n"
            f"  out = {_lua_string(str(self.out))},\n"
            f"  users = {{{','.join(_lua_string(u) for u in plan.users)}}},\n"
            f"  bodies = {bodies},\n"
            "}\n"
        )
        self.process = subprocess.Popen(
            [
                executable(),
                "--threads",
                str(threads),
                "--connections",
                str(connections),
                "--duration",
                f"{max(1, round(seconds))}s",
                "--timeout",
                "120s",
                "--script",
                str(SCRIPT),
                f"http://127.0.0.1:{port}",
            ],
            env={"AFTERCARE_WRK_PLAN": str(plan_path), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self) -> Outcome:
        output, _ = self.process.communicate()
        summary = self.out / "summary.txt"
        if self.process.returncode != 0 or not summary.exists():
            raise RuntimeError(f"wrk failed (exit {self.process.returncode}):\n{output}")
        values: dict[str, list[int]] = {}
        latency: Counter = Counter()
        for line in summary.read_text().splitlines():
            key, *numbers = line.split()
            if key == "latency":
                latency[int(float(numbers[0]))] += int(float(numbers[1]))
            else:
                values[key] = [int(float(n)) for n in numbers]
        ids: list[int] = []
        answered_at: list[int] = []
        unexpected: list[str] = []
        for answers in self.out.glob("thread-*.txt"):
            for line in answers.read_text().splitlines():
                if line.startswith("! "):
                    unexpected.append(line[2:])
                elif line.split()[0].isdigit():
                    entry_id, *second = line.split()
                    ids.append(int(entry_id))
                    answered_at.append(int(second[0]) if second else 0)
                else:
                    unexpected.append(f"expected answer without an id: {line}")
        shutil.rmtree(self.out)
        connect, read, write, _status, timeout = values["errors"]
        return Outcome(
            seconds=values["duration_us"][0] / 1e6,
            answered=values["answered"][0],
            sent=values["sent"][0],
            expected=values["answered"][0] - len(unexpected),
            socket_errors={"connect": connect, "read": read, "write": write, "timeout": timeout},
            unexpected=unexpected,
            ids=ids,
            answered_at=answered_at,
            latency_us=latency,
        )


def start(plan: Plan, *, port: int, seconds: float, connections: int, threads: int = 1) -> Run:
    """Start wrk in the background (several runs can go at once); ``.finish()`` waits."""
    return Run(plan, port=port, seconds=seconds, connections=max(connections, threads), threads=threads)


def latencies_ms(*outcomes: Outcome) -> list[float]:
    """Every answer's latency in milliseconds, pooled over runs."""
    pooled: Counter = Counter()
    for outcome in outcomes:
        pooled.update(outcome.latency_us)
    return [us / 1000 for us, count in sorted(pooled.items()) for _ in range(count)]
