"""What every benchmark and fault script shares: a production-like environment,
databases, and the servers a run starts for itself.

Each script creates its own PostgreSQL database (``aftercare_bench_*``) on the
machine's server and starts its own Redis (``redis-server`` on a spare loopback
port, no persistence), SMTP catcher (aiosmtpd) and Aftercare processes (gunicorn,
Celery worker and beat). The machine's own Redis on 6379 is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python") if (BIN / "python").exists() else sys.executable
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
MAIN_DB = "aftercare_bench_main"  # bench/seed.py's database, read by the load and latency benchmarks
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
FIGURES = VAR / "figures"  # each script's figures as JSON, for bench/run_all.py's report

# Bench-only key material (like portal/settings_test.py): every run's data is thrown away.
BENCH_SECRET_KEY = "bench-secret-key-not-for-production-8f1c2e7a9b3d4c5e6f708192a3b4c5d6"  # noqa: S105
BENCH_ENCRYPTION_KEYS = "bench-1:YmVuY2gta2V5LW9uZS0zMi1ieXRlcy1sb25nLS0tLS0"
BENCH_PASSWORD = "bench-password-7Qm2vX"  # noqa: S105 (every seeded account; hashed once, PBKDF2)
BENCH_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (every seeded clinician's authenticator)
SITE_HOST = "127.0.0.1"


def diary_body(**fields) -> dict:
    """A diary entry as the API takes it: every yes/no question answered (API.md), "no"
    unless ``fields`` says otherwise."""
    from patients.questions import YES_NO_FIELDS  # Django-free

    return {**dict.fromkeys(YES_NO_FIELDS, False), **fields}


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def production_env(
    *, database: str, redis_port: int | None, smtp_port: int | None = None, var_name: str = "run", **extra: str
) -> dict[str, str]:
    """The environment of a production deployment (docker-compose.yml), on loopback ports:
    DEBUG off, secret and encryption keys set, PostgreSQL, Redis broker and cache, SMTP."""
    var_dir = VAR / var_name
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "AFTERCARE_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": BENCH_SECRET_KEY,
            "AFTERCARE_ENCRYPTION_KEYS": BENCH_ENCRYPTION_KEYS,
            "DJANGO_ALLOWED_HOSTS": f"{SITE_HOST},localhost",
            "AFTERCARE_SITE_URL": "https://aftercare.bench.test",
            "DATABASE_URL": database_url(database),
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0" if redis_port else "memory://",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}" if smtp_port else "consolemail://",
            "AFTERCARE_VAR_DIR": str(var_dir),
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def use_environment(env: dict[str, str]) -> None:
    """Make this process a Django process of that environment (call before django.setup())."""
    for key in [k for k in os.environ if k.startswith(("DJANGO_", "AFTERCARE_", "CELERY_"))]:
        del os.environ[key]
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def setup_django(env: dict[str, str]) -> None:
    use_environment(env)
    import django

    django.setup()


# --- PostgreSQL -----------------------------------------------------------------------------


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def create_database(name: str, *, template: str | None = None) -> None:
    assert name.startswith("aftercare_bench"), name
    admin_sql(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
    )


def drop_database(name: str) -> None:
    assert name.startswith("aftercare_bench"), name
    with contextlib.suppress(Exception):
        from django.db import connections

        connections.close_all()
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


# --- Ports and processes ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 30.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args[:3]} exited with {process.returncode} before listening")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Service:
    """A process this run started, in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str] | None = None, log_dir: Path) -> None:
        self.name, self.args, self.env = name, args, env
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Service:
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child owns it)
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def children(self) -> list[int]:
        """Direct children (a Celery worker's pool processes, gunicorn's workers)."""
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def kill_group(self) -> None:
        """kill -9 this process and everything it started (a machine or container dies)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
        # Children that outlived their parent (pool processes) share the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)


class RedisServer(Service):
    """A private redis-server on a spare loopback port: no snapshot, no AOF (a restart
    loses every queued message, which is what the fault scripts want to survive)."""

    def __init__(self, *, log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(
            f"redis-{self.port}",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            log_dir=log_dir,
        )

    def start(self) -> RedisServer:
        super().start()
        wait_for_port(self.port, process=self.process)
        return self


def celery_worker(env: dict[str, str], *, name: str, log_dir: Path, concurrency: int = 2) -> Service:
    return Service(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            "-n",
            f"{name}@%h",
        ],
        env=env,
        log_dir=log_dir,
    )


def celery_beat(env: dict[str, str], *, name: str, log_dir: Path) -> Service:
    schedule = VAR / f"{name}-{os.getpid()}-celerybeat-schedule"
    for stale in VAR.glob(f"{schedule.name}*"):
        stale.unlink()
    return Service(
        name,
        [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel=WARNING", "--schedule", str(schedule)],
        env=env,
        log_dir=log_dir,
    )


def gunicorn(env: dict[str, str], *, port: int, log_dir: Path, workers: int = 2) -> Service:
    """The web tier as docker-compose.yml runs it (sync workers), with the bench URLconf
    (the real portal plus the baseline views of bench/baseline.py)."""
    web_env = dict(env, DJANGO_SETTINGS_MODULE="bench.web_settings")
    return Service(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--backlog",
            "2048",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ],
        env=web_env,
        log_dir=log_dir,
    )


def wait_until(condition, *, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


# --- The SMTP catcher -------------------------------------------------------------------------

NOTIFICATION_HEADER = re.compile(rb"^X-Aftercare-Notification: (\d+)", re.MULTILINE)
SUBJECT_HEADER = re.compile(rb"^Subject: (.*?)\r?$", re.MULTILINE)


class SmtpCatcher:
    """A local aiosmtpd server (in a thread) that records, per accepted message, the
    outbox row id from its ``X-Aftercare-Notification`` header and when it arrived.
    ``stop()`` closes the port (connections are refused: SMTP is down); ``start()``
    opens it again. ``delay`` slows each message down (a slow relay)."""

    def __init__(self, *, port: int | None = None, delay: float = 0.0) -> None:
        self.port = port or free_port()
        self.delay = delay
        self.received: list[tuple[int, float]] = []  # (notification id, wall-clock time)
        self.envelopes: list[tuple[tuple[str, ...], str]] = []  # (recipients, subject) of every message
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        # The message is the server's once its data arrived: a client that dies while
        # waiting for the (slow) "250" has still delivered it, so it counts from here.
        arrived = time.time()
        match = NOTIFICATION_HEADER.search(envelope.content)
        subject = SUBJECT_HEADER.search(envelope.content)
        with self.lock:
            self.received.append((int(match.group(1)) if match else -1, arrived))
            self.envelopes.append(
                (tuple(envelope.rcpt_tos), subject.group(1).decode(errors="replace") if subject else "")
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def start(self) -> SmtpCatcher:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[tuple[tuple[str, ...], str]]:
        """(recipients, subject) of every message received, outbox or not."""
        with self.lock:
            return list(self.envelopes)

    def ids(self) -> list[int]:
        with self.lock:
            return [nid for nid, _ in self.received]

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def first_arrival(self) -> dict[int, float]:
        with self.lock:
            first: dict[int, float] = {}
            for nid, at in self.received:
                first.setdefault(nid, at)
            return first

    def duplicates(self) -> dict[int, int]:
        """Notification id -> extra copies received (only ids received more than once)."""
        counts: dict[int, int] = {}
        for nid in self.ids():
            counts[nid] = counts.get(nid, 0) + 1
        return {nid: n - 1 for nid, n in counts.items() if n > 1}


# --- Figures ----------------------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def round_robin(jobs: dict[str, Callable[[], object]], *, iterations: int, seed: int) -> dict[str, list[float]]:
    """Times (ms) of each job, ``iterations`` times after a tenth as many warm-up rounds,
    in a shuffled order each round: load from other processes falls on all jobs alike."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    rng = random.Random(seed)
    order = list(jobs)
    warm = max(5, iterations // 10)
    for round_number in range(iterations + warm):
        rng.shuffle(order)
        for name in order:
            start = time.perf_counter()
            jobs[name]()
            if round_number >= warm:
                samples[name].append((time.perf_counter() - start) * 1000)
    return samples


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def write_figures(name: str, figures: list[dict]) -> None:
    """Each script leaves its figures as JSON for bench/run_all.py's report.

    A figure: {"name", "value", "unit", "baseline"?, "ratio"?, "target", "ok"}."""
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / f"{name}.json").write_text(json.dumps(figures, indent=1, default=str))


def machine_summary() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
