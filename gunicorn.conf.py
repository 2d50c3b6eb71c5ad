"""gunicorn's settings file, read from the working directory whatever the command line
(docker-compose.yml, bench/common.py): the shared folder where every gunicorn worker
keeps its /metrics figures (prometheus_client's multiprocess mode).

Each worker is its own process with its own counters; prometheus_client writes each
process's values to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` and the
``/metrics`` view sums them (portal/operations/metrics.py). The folder is per host
(a container's hostname), emptied when gunicorn starts (stale files would count
twice), and a worker that exits is marked dead so its gauges drop out.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path


def _metrics_dir() -> Path:
    var = os.environ.get("AFTERCARE_VAR_DIR") or str(Path(__file__).resolve().parent / "var")
    return Path(var) / "prometheus" / socket.gethostname()


def on_starting(server) -> None:
    folder = _metrics_dir()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    # Before any worker imports prometheus_client: it picks its storage at import.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
