"""A real fake carrier: a Shipping Provider API rate endpoint served by uvicorn on loopback.

Tests register it with the gateway (`Settings.carriers_json`) like any carrier, so quotes travel over a
real TCP connection through the gateway's real HTTP transport. One server answers for several carriers
(`POST /rates/{carrier_id}`); each carrier has its own mode and service list, and every request is
recorded (path, headers, decoded JSON body) before it is answered, so tests can inspect what the gateway
sent and count the calls.

Modes:
- `ok`: the quotes of the carrier's services, in the Shipping Provider API response shape.
- `slow`: like `ok`, after `slow_seconds` (cut short when the server stops, so teardown never waits).
- `error`: HTTP 500.
- `garbage`: HTTP 200 with a body that is not JSON.
- `wrong_shape`: valid JSON without `carrier_quotes`.
- `malformed_quote`: a `carrier_quotes` list whose quote has no cost.
- `negative_cost`: a quote with a negative amount.
- `wrong_currency`: quotes priced in another currency than the store's.

    with running_fake_carrier() as fake:
        fake.set_mode("acme", "error")
        url = fake.url("acme")
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MODES = ("ok", "slow", "error", "garbage", "wrong_shape", "malformed_quote", "negative_cost", "wrong_currency")
#: How long the server may take to start or stop.
STARTUP_TIMEOUT_S = 20.0
SHUTDOWN_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Service:
    """One service a fake carrier quotes: code, display name, cost and transit time in business days."""

    code: str
    name: str
    cost: Decimal
    days: int


@dataclass(frozen=True)
class RecordedRequest:
    carrier_id: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeCarrier:
    """State shared between the test (main thread) and the server thread; guarded by a lock."""

    port: int = 0
    currency_code: str = "USD"
    slow_seconds: float = 5.0
    _modes: dict[str, str] = field(default_factory=dict)
    _services: dict[str, tuple[Service, ...]] = field(default_factory=dict)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    # --- test side ------------------------------------------------------------------------------------

    def url(self, carrier_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/rates/{carrier_id}"

    def set_mode(self, carrier_id: str, mode: str) -> None:
        assert mode in MODES, mode
        with self._lock:
            self._modes[carrier_id] = mode

    def set_services(self, carrier_id: str, *services: Service) -> None:
        with self._lock:
            self._services[carrier_id] = tuple(services)

    def requests(self, carrier_id: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if carrier_id is None or r.carrier_id == carrier_id]

    def request_count(self, carrier_id: str | None = None) -> int:
        return len(self.requests(carrier_id))

    # --- server side ----------------------------------------------------------------------------------

    def _answer(self, carrier_id: str) -> tuple[str, tuple[Service, ...]]:
        with self._lock:
            return self._modes.get(carrier_id, "ok"), self._services.get(carrier_id, ())

    async def rate(self, request: Request) -> Response:
        carrier_id = request.path_params["carrier_id"]
        raw = await request.body()
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw.decode(errors="replace")
        with self._lock:
            self._requests.append(
                RecordedRequest(carrier_id, request.url.path, {k.lower(): v for k, v in request.headers.items()}, body)
            )
        mode, services = self._answer(carrier_id)
        if mode == "slow":
            deadline = time.monotonic() + self.slow_seconds
            while time.monotonic() < deadline and not self._stopping.is_set():
                await asyncio.sleep(0.05)
        if mode == "error":
            return JSONResponse({"error": "internal carrier failure"}, status_code=500)
        if mode == "garbage":
            return Response(b"<html>rates are down {{{", media_type="application/json")
        if mode == "wrong_shape":
            return JSONResponse({"rates": [{"service": s.code, "price": str(s.cost)} for s in services]})
        currency = "EUR" if mode == "wrong_currency" else self.currency_code
        quotes: list[dict[str, Any]] = [
            {
                "code": s.code,
                "display_name": s.name,
                "cost": {"currency": currency, "amount": float(s.cost)},
                "messages": [],
                "transit_time": {"units": "BUSINESS_DAYS", "duration": s.days},
            }
            for s in services
        ]
        if mode == "malformed_quote" and quotes:
            del quotes[0]["cost"]
        if mode == "negative_cost" and quotes:
            quotes[0]["cost"]["amount"] = -1.0
        return JSONResponse(
            {
                "quote_id": f"q-{carrier_id}",
                "messages": [],
                "carrier_quotes": [
                    {"carrier_info": {"code": carrier_id, "display_name": carrier_id}, "quotes": quotes}
                ],
            }
        )

    def app(self) -> Starlette:
        async def health(_: Request) -> Response:
            return JSONResponse({"status": "ok"})

        return Starlette(routes=[Route("/rates/{carrier_id}", self.rate, methods=["POST"]), Route("/health", health)])


@contextmanager
def running_fake_carrier(*, currency_code: str = "USD", slow_seconds: float = 5.0) -> Iterator[FakeCarrier]:
    """Serve a `FakeCarrier` on a free loopback port in a background thread; always stopped afterwards."""
    fake = FakeCarrier(currency_code=currency_code, slow_seconds=slow_seconds)
    config = uvicorn.Config(
        fake.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-carrier", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("fake carrier server exited during startup")
            if time.monotonic() > deadline:
                raise RuntimeError("fake carrier server did not start")
            time.sleep(0.01)
        fake.port = int(server.servers[0].sockets[0].getsockname()[1])
        yield fake
    finally:
        fake._stopping.set()
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
