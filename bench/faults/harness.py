"""The set-up every fault script shares: its own PostgreSQL database, Redis, SMTP
catcher and Aftercare processes (production settings), torn down afterwards."""

from __future__ import annotations

import sys
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
    wait_for_port,
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
        self.started = time.monotonic()

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
        for service in reversed(self.services):
            service.stop()
        self.smtp.stop()
        self.redis.stop()
        if not self.keep:
            drop_database(self.db)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def worker(self, name: str = "worker", *, concurrency: int = 2) -> Service:
        service = celery_worker(self.env, name=name, log_dir=self.log_dir, concurrency=concurrency).start()
        self.services.append(service)
        return service

    def beat(self, name: str = "beat") -> Service:
        service = celery_beat(self.env, name=name, log_dir=self.log_dir).start()
        self.services.append(service)
        return service

    def web(self) -> int:
        port = free_port()
        service = gunicorn(self.env, port=port, log_dir=self.log_dir).start()
        self.services.append(service)
        wait_for_port(port, timeout=60, process=service.process)
        return port


def say(run: FaultRun, text: str) -> None:
    print(f"[{run.elapsed():6.1f} s] {text}", flush=True)
