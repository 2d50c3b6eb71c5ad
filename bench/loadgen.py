"""A small HTTP/1.1 load generator on asyncio (no dependencies).

Each request opens a connection, sends ``Connection: close`` and reads to EOF:
gunicorn's sync workers (what docker-compose.yml runs) close after every response
anyway. Two shapes of load:

* ``closed_loop``: N virtual users, each sending its next request as soon as the
  previous one is answered (the server's capacity: throughput and queueing latency);
* ``paced``: a fixed arrival rate spread over a pool of users, each with at most one
  request in flight (a steady background load that leaves headroom).

Every request becomes a ``Result`` with its latency, status and body; connection
errors and timeouts are results too (status 0), never silently dropped.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    name: str  # the figure it belongs to, e.g. "POST symptoms (API)"
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Result:
    name: str
    started: float  # time.monotonic()
    latency: float  # seconds
    status: int  # 0: no HTTP answer (connection error or timeout)
    error: str = ""
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


def _dechunk(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


class Client:
    def __init__(self, host: str, port: int, *, timeout: float = 60.0, extra_headers: dict[str, str] | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        # Behind the TLS proxy of a deployment: the proxy says the request came over HTTPS.
        self.extra_headers = {"X-Forwarded-Proto": "https", **(extra_headers or {})}

    async def _exchange(self, request: Request) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            headers = {
                "Host": self.host,
                "Connection": "close",
                "Accept": "application/json",
                **self.extra_headers,
                **request.headers,
            }
            if request.body or request.method in ("POST", "PUT", "PATCH"):
                headers.setdefault("Content-Type", "application/json")
                headers["Content-Length"] = str(len(request.body))
            head = f"{request.method} {request.path} HTTP/1.1\r\n" + "".join(
                f"{k}: {v}\r\n" for k, v in headers.items()
            )
            writer.write(head.encode("latin-1") + b"\r\n" + request.body)
            await writer.drain()
            data = await reader.read()
        finally:
            writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0]
        status = int(status_line.split(b" ", 2)[1])
        if b"transfer-encoding: chunked" in head.lower():
            body = _dechunk(body)
        return status, body

    async def send(self, request: Request) -> Result:
        started = time.monotonic()
        try:
            status, body = await asyncio.wait_for(self._exchange(request), self.timeout)
            error = ""
        except (TimeoutError, OSError, ValueError, IndexError) as exc:
            status, body, error = 0, b"", f"{type(exc).__name__}: {exc}"[:200]
        return Result(request.name, started, time.monotonic() - started, status, error, body)


async def closed_loop(
    client: Client, users: list[Callable[[], Request]], *, duration: float, results: list[Result]
) -> float:
    """Every user sends back to back for ``duration`` seconds; returns the measured
    span (from the start to the last answer of a request started in time)."""
    started = time.monotonic()
    until = started + duration

    async def user(make: Callable[[], Request]) -> None:
        while time.monotonic() < until:
            results.append(await client.send(make()))

    await asyncio.gather(*(user(make) for make in users))
    return time.monotonic() - started


async def paced(
    client: Client,
    makers: list[Callable[[], Request]],
    *,
    rate: float,
    duration: float,
    results: list[Result],
    seed: int = 7,
) -> int:
    """Poisson arrivals at ``rate`` per second, each sent by a free user (a user has
    at most one request in flight). Returns the arrivals that found no free user
    (the server fell behind the offered rate)."""
    rng = random.Random(seed)
    free: asyncio.Queue = asyncio.Queue()
    for make in makers:
        free.put_nowait(make)
    until = time.monotonic() + duration
    pending: set[asyncio.Task] = set()
    missed = 0

    async def one(make: Callable[[], Request]) -> None:
        try:
            results.append(await client.send(make()))
        finally:
            free.put_nowait(make)

    next_at = time.monotonic()
    while True:
        next_at += rng.expovariate(rate)
        if next_at >= until:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if free.empty():
            missed += 1
            continue
        task = asyncio.create_task(one(free.get_nowait()))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.gather(*pending)
    return missed
