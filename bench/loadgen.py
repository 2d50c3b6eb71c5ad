"""Single requests of the benchmarks and fault scripts, timed, on httpx.

The load itself (many users back to back, or at a paced rate) is wrk's job
(``bench/wrk.py``); this is for what a script sends one by one or on its own
schedule: sign-ins, warm-ups, the entries of the latency and fault runs. Every
request becomes a ``Result`` with its latency, status and body; connection errors
and timeouts are results too (status 0), never silently dropped.

    async with Client("127.0.0.1", port) as client:
        result = await client.send(Request("entry", "POST", "/api/v1/symptoms/", headers, body))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import httpx


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


class Client:
    """An ``httpx.AsyncClient`` for one server, as a TLS-terminating proxy forwards to it."""

    def __init__(self, host: str, port: int, *, timeout: float = 60.0, extra_headers: dict[str, str] | None = None):
        self._client = httpx.AsyncClient(
            base_url=f"http://{host}:{port}",
            timeout=timeout,
            # Behind the TLS proxy of a deployment: the proxy says the request came over HTTPS.
            headers={"Accept": "application/json", "X-Forwarded-Proto": "https", **(extra_headers or {})},
            # The fault scripts keep hundreds of patients posting at once.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc) -> None:
        await self._client.aclose()

    async def send(self, request: Request) -> Result:
        headers = dict(request.headers)
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            headers.setdefault("Content-Type", "application/json")
        started = time.monotonic()
        try:
            response = await self._client.request(
                request.method, request.path, headers=headers, content=request.body or None
            )
            status, body, error = response.status_code, response.content, ""
        except httpx.HTTPError as exc:
            status, body, error = 0, b"", f"{type(exc).__name__}: {exc}"[:200]
        return Result(request.name, started, time.monotonic() - started, status, error, body)
