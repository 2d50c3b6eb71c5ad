"""The set-up every fault script shares: its own PostgreSQL database, Redis, SMTP
catcher and Aftercare processes (production settings), torn down afterwards."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    VAR,
    RedisServer,
    Service,
    SmtpCatcher,
    celery_beat,
    celery_worker,
    create_database,
    drop_database,
    free_port,
    gunicorn,
    migrate,
    production_env,
    setup_django,
    verdict,
    wait_for_port,
    write_figures,
)


class FaultRun:
    """``with FaultRun("redis_down") as run:`` -> database ``aftercare_bench_fault_redis_down``
    (migrated), ``run.redis``, ``run.smtp``, Django set up in this process with the same
    environment as the processes ``run.worker()``, ``run.beat()`` and ``run.web()`` start."""

    def __init__(self, name: str, *, settings: dict[str, str] | None = None, smtp_delay: float = 0.0, keep=False):
        self.name = name
        self.db = f"aftercare_bench_fault_{name}"
        self.log_dir = VAR / f"fault-{name}" / "logs"
        self.settings = settings or {}
        self.smtp_delay = smtp_delay
        self.keep = keep
        self.services: list[Service] = []
        self.supervised: list[Service] = []
        self.restarts: list[tuple[float, str]] = []  # (seconds into the run, service name)
        self.started = time.monotonic()
        self._stopping = threading.Event()

    def __enter__(self) -> FaultRun:
        for old in self.log_dir.glob("*.log"):
            old.unlink()
        create_database(self.db)
        self.redis = RedisServer(log_dir=self.log_dir).start()
        self.smtp = SmtpCatcher(delay=self.smtp_delay).start()
        self.env = production_env(
            database=self.db,
            redis_port=self.redis.port,
            smtp_port=self.smtp.port,
            var_name=f"fault-{self.name}",
            **self.settings,
        )
        migrate(self.env)
        setup_django(self.env)
        return self

    def __exit__(self, *exc) -> None:
        self._stopping.set()
        for service in reversed(self.services):
            service.stop()
        self.smtp.stop()
        self.redis.stop()
        if not self.keep:
            drop_database(self.db)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def worker(self, name: str = "worker", *, concurrency: int = 2, supervised: bool = True) -> Service:
        service = celery_worker(self.env, name=name, log_dir=self.log_dir, concurrency=concurrency).start()
        self.services.append(service)
        if supervised:
            self._supervise(service)
        return service

    def beat(self, name: str = "beat", *, supervised: bool = True) -> Service:
        service = celery_beat(self.env, name=name, log_dir=self.log_dir).start()
        self.services.append(service)
        if supervised:
            self._supervise(service)
        return service

    def _supervise(self, service: Service) -> None:
        """Start a process again when it exits, as docker-compose.yml's ``restart:
        unless-stopped`` does for the worker and beat containers; every restart is
        counted and reported (a process that exits on its own is a finding)."""
        self.supervised.append(service)
        if len(self.supervised) > 1:
            return

        def watch() -> None:
            while not self._stopping.wait(0.5):
                for watched in list(self.supervised):
                    if not watched.alive() and not self._stopping.is_set():
                        self.restarts.append((self.elapsed(), watched.name))
                        say(self, f"{watched.name} exited (status {watched.process.returncode}); started again")
                        watched.start()

        threading.Thread(target=watch, daemon=True).start()

    def crashes(self) -> list[str]:
        """The "Unrecoverable error" lines of the supervised processes' logs."""
        found = []
        for service in self.supervised:
            if service.log_path.exists():
                text = service.log_path.read_text(errors="replace")
                found += [
                    f"{service.name}: {line.split('] ', 1)[-1]}"
                    for line in text.splitlines()
                    if "Unrecoverable" in line
                ]
        return found

    def restart_note(self) -> str:
        if not self.restarts:
            return "no process restarts"
        names = ", ".join(f"{name} at {at:.0f} s" for at, name in self.restarts)
        return f"{len(self.restarts)} restart(s) by the supervisor: {names}"

    def report(self, letter: str, figures: list[dict]) -> None:
        """Print the figures with their targets, add the worker and beat processes that
        exited on their own (restarted as docker compose does), and leave the figures for
        bench/run_all.py's report."""
        for f in figures:
            print(f"  {f['name']}: {f['value']} {f.get('unit', '')}; target {f['target']}: {verdict(f['ok'])}")
        figures.append(
            {
                "name": f"({letter}) worker and beat processes that exited on their own",
                "value": len(self.restarts),
                "unit": "(" + self.restart_note() + ")",
                "target": "(reported; restarted as docker compose does)",
                "ok": True,
            }
        )
        print(f"  processes: {self.restart_note()}")
        for line in self.crashes():
            print(f"    {line}")
        write_figures(f"fault_{self.name}", figures)

    def web(self) -> int:
        port = free_port()
        service = gunicorn(self.env, port=port, log_dir=self.log_dir).start()
        self.services.append(service)
        wait_for_port(port, timeout=60, process=service.process)
        return port


def say(run: FaultRun, text: str) -> None:
    print(f"[{run.elapsed():6.1f} s] {text}", flush=True)
