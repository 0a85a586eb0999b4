"""SIGTERM against a real uvicorn process: the in-flight request completes, new connections are refused
once shutdown has begun, and the process exits by itself, cleanly, within a bound.

The in-flight request is an `addConsignments` whose shipping options come from a CARRIER method: the gateway
asks a carrier (tests/fake_carrier.py, here held at a gate the test controls) for quotes before it writes.
The gate makes the order of events certain instead of timed: SIGTERM is sent while the carrier holds the
request, the test then watches the listening port close while the request is still held, and only then lets
the carrier answer (which it also does by itself after `GATE_LIMIT_S`, well inside the 5 s carrier timeout).
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from tests.factories import StoreFixture, data, gql
from tests.fake_carrier import FakeCarrier, Service
from tests.order_flow import ADD_CONSIGNMENTS, US_CA, OrderFlow
from tests.servers import GatewayServer, start_server, stop_server

pytestmark = pytest.mark.anyio

CARRIER_TIMEOUT_S = 5.0
#: The carrier answers by itself after this long even if the test never opens the gate.
GATE_LIMIT_S = 3.0
#: Bounds on waiting for an outcome (never measured, only waited for).
ARRIVAL_WITHIN_S = 20.0
REFUSAL_WITHIN_S = 10.0
EXIT_WITHIN_S = 20.0

CONNECT = """
mutation($input: ConnectCarrierInput!) {
  connectCarrier(input: $input) { carrierAccount { carrierId connected } errors { code message field } }
}
"""


@dataclass
class GatedCarrier(FakeCarrier):
    """A fake carrier whose answers wait until the test opens the gate (or GATE_LIMIT_S passes)."""

    arrived: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    async def rate(self, request: Request) -> Response:
        self.arrived.set()
        deadline = time.monotonic() + GATE_LIMIT_S
        while not self.gate.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return await super().rate(request)


@contextmanager
def running_carrier(carrier: GatedCarrier) -> Iterator[GatedCarrier]:
    """Serve `carrier` on a free loopback port in a background thread (as tests/fake_carrier.py does)."""
    config = uvicorn.Config(carrier.app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gated-carrier", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the carrier did not start"
            time.sleep(0.01)
        carrier.port = int(server.servers[0].sockets[0].getsockname()[1])
        yield carrier
    finally:
        carrier.gate.set()
        server.should_exit = True
        thread.join(20)


def connection_refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


async def wait_for(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within}s")
        await asyncio.sleep(0.02)


@pytest.fixture
def carrier() -> Iterator[GatedCarrier]:
    with running_carrier(GatedCarrier()) as started:
        started.set_services("acme", Service("GND", "Ground", Decimal("8.50"), 5))
        yield started


@pytest.fixture
def server(database_url: str, tmp_path: Path, carrier: GatedCarrier) -> Iterator[GatewayServer]:
    env = {
        "GATEWAY_CARRIERS": json.dumps({"acme": {"url": carrier.url("acme"), "name": "Acme Express"}}),
        "GATEWAY_CARRIER_TIMEOUT_S": str(CARRIER_TIMEOUT_S),
    }
    started = start_server(database_url, tmp_path / "server-logs", env=env)
    try:
        yield started
    finally:
        stop_server(started)


async def test_sigterm_drains_in_flight_request_refuses_new_ones_and_exits_cleanly(
    server: GatewayServer, carrier: GatedCarrier, store: StoreFixture
):
    async with server.client(timeout=60) as client:
        flow = OrderFlow(client, store)
        setup = await flow.shipping(per_item=None, handling=None)
        payload = data(
            await gql(
                client,
                CONNECT,
                {"input": {"carrierId": "acme", "credentials": [{"key": "api_key", "value": "k"}]}},
                token=store.server_token,
            )
        )["connectCarrier"]
        assert payload["errors"] == []
        await flow.method(setup.zone_id, "Acme", "CARRIER", carrierId="acme", services=["GND"])
        cart = await flow.cart(SHIRT=2)

        carrier.gate.clear()
        carrier.arrived.clear()
        in_flight = asyncio.create_task(
            client.post(
                "/graphql",
                json={
                    "query": ADD_CONSIGNMENTS,
                    "variables": {
                        "input": {
                            "checkoutId": cart.id,
                            "consignments": [{"address": US_CA, "lineItems": cart.units(SHIRT=2)}],
                        }
                    },
                },
                headers={"X-Auth-Token": store.storefront_token},
            )
        )
        # The request is inside the gateway, waiting on the carrier: now shut down.
        await wait_for(carrier.arrived.is_set, ARRIVAL_WITHIN_S, "the carrier request")
        server.process.send_signal(signal.SIGTERM)

        # Shutdown has begun: the port stops accepting connections while the request is still held.
        await wait_for(lambda: connection_refused(server.port), REFUSAL_WITHIN_S, "refusing new connections")
        assert not in_flight.done(), "the in-flight request ended before the carrier answered"
        assert server.is_running(), "the process exited without waiting for its in-flight request"
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as fresh:
                await fresh.get("/health")

        carrier.gate.set()
        response = await asyncio.wait_for(in_flight, CARRIER_TIMEOUT_S + 30)

    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload = body["data"]["addConsignments"]
    assert payload["errors"] == []
    (consignment,) = payload["checkout"]["consignments"]
    descriptions = sorted(option["description"] for option in consignment["availableShippingOptions"])
    assert any("Ground" in description for description in descriptions), descriptions  # the carrier's quote
    assert "Flat Rate" in descriptions

    try:
        code = server.process.wait(EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the process did not exit within {EXIT_WITHIN_S}s of SIGTERM") from None
    log = server.log()
    # uvicorn (0.29+) finishes its graceful shutdown, then re-raises the signal it caught, so the process
    # ends "terminated by SIGTERM" (-15 here, 143 in a shell) rather than with 0; both are a clean exit.
    assert code in (0, -signal.SIGTERM), (code, log[-3000:])
    for sign in ("Traceback", "Exception in ASGI application", "Cancel", "timeout graceful shutdown exceeded"):
        assert sign not in log, log[-3000:]
