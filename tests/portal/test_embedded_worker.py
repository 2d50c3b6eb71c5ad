"""`make run`'s worker really runs: a Celery worker with beat on kombu's filesystem
broker in var/ consumes a task sent by another process, against the SQLite database
the web process uses. No server, no "always eager"."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# As portal/bin/run-embedded starts it.
WORKER_OPTIONS = ["--loglevel=INFO", "--concurrency=1", "--without-gossip", "--without-mingle"]


def read_until(process: subprocess.Popen, needle: str, deadline: float, seen: list[str]) -> bool:
    """Read the worker's output until ``needle`` shows up (or the deadline passes).

    Raw ``os.read`` on the pipe: a buffered reader could hold the line we wait for
    while ``select`` reports nothing more to read.
    """
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    while needle not in "".join(seen):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not selector.select(timeout=remaining):
            return False
        chunk = os.read(fd, 65536)
        if not chunk:
            return needle in "".join(seen)
        seen.append(chunk.decode(errors="replace"))
    return True


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_DEBUG": "true",
        "AFTERCARE_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=180
    )
    return env


def test_worker_with_beat_consumes_a_task_from_the_filesystem_broker(embedded_env):
    worker = subprocess.Popen(
        [str(BIN / "celery"), "-A", "portal", "worker", "-B", *WORKER_OPTIONS],
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        bufsize=0,
        start_new_session=True,
    )
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert read_until(worker, "ready.", deadline, seen), "".join(seen)
        sent = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from portal.tasks import clear_expired_sessions; "
                "print(clear_expired_sessions.delay().id)",
            ],
            cwd=ROOT,
            env={**embedded_env, "DJANGO_SETTINGS_MODULE": "portal.settings", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        task_id = sent.stdout.strip().splitlines()[-1]
        assert read_until(worker, f"[{task_id}] succeeded", deadline, seen), "".join(seen)
        log = "".join(seen)
        assert "filesystem://" in log
        assert "beat: Starting" in log
    finally:
        # A graceful stop is make run's business (portal/bin/run-embedded); here the whole
        # process group (main process, pool child, embedded beat) simply goes.
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
