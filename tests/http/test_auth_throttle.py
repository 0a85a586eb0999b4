"""Token guessing is slowed down: after GATEWAY_AUTH_FAILURES_MAX failed token checks from one client address
in a window, that address's requests with a token not known valid answer 429 with `Retry-After` and
RATE_LIMITED, while valid tokens from the same address keep working and other addresses are unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api import auth_throttle
from gateway.api.auth_throttle import AuthThrottle
from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import StoreFixture, data
from tests.servers import running_servers

pytestmark = pytest.mark.anyio

MAX_FAILURES = 5
WINDOW_S = 60.0
PRODUCTS = "{ products(first: 1) { nodes { sku } } }"
GUESSES = ["gwsf_1_guess", "gwsf_²_x", "gwsf_12345_unknown", "not-a-token", "gwsv_1_" + "a" * 40]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(auth_throttle, "monotonic", fake)
    return fake


@pytest.fixture
def throttled_app(database_url: str, engine: AsyncEngine, clock: FakeClock) -> Any:
    settings = Settings(
        database_url=database_url,
        host="127.0.0.1",
        port=0,
        environment="test",
        token_cache_ttl_s=0,  # no principal cache: a valid token passes the throttle by itself
        auth_failures_max=MAX_FAILURES,
        auth_failures_window_s=WINDOW_S,
    )
    return create_app(settings, engine=engine)


def client_from(app: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


@pytest.fixture
async def attacker(throttled_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(throttled_app, "203.0.113.7") as client:
        yield client


async def post(client: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"X-Auth-Token": token.encode()} if token else {}
    return await client.post("/graphql", json={"query": PRODUCTS}, headers=headers)


def code_of(response: httpx.Response) -> str:
    body = response.json()
    if response.status_code == 429:  # refused before GraphQL: no `data` entry, and the request id
        assert "data" not in body, body
        assert body["errors"][0]["extensions"]["requestId"] == response.headers["x-request-id"], body
    else:
        assert body["data"] is None, body
    return str(body["errors"][0]["extensions"]["code"])


async def test_repeated_failures_are_throttled_but_valid_tokens_are_not(
    attacker: httpx.AsyncClient, throttled_app: Any, store: StoreFixture, clock: FakeClock
) -> None:
    # The storefront behind the same address (a shared NAT) has been using its token.
    assert (await post(attacker, store.storefront_token)).status_code == 200

    for guess in GUESSES:
        response = await post(attacker, guess)
        assert response.status_code != 429 and code_of(response) == "UNAUTHENTICATED", response.text

    for guess in ["gwsf_1_next", "gwsf_2_other", GUESSES[0]]:
        refused = await post(attacker, guess)
        assert refused.status_code == 429, refused.text
        assert code_of(refused) == "RATE_LIMITED"
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_S

    # Valid tokens from the same address still work, storefront and server alike.
    ok = await post(attacker, store.storefront_token)
    assert ok.status_code == 200 and data(ok.json())["products"]["nodes"]
    # Requests without a token are not throttled either (they are simply unauthenticated).
    assert code_of(await post(attacker, None)) == "UNAUTHENTICATED"

    # Another address is unaffected.
    async with client_from(throttled_app, "198.51.100.9") as other:
        response = await post(other, "gwsf_1_guess")
        assert response.status_code != 429 and code_of(response) == "UNAUTHENTICATED"

    # After the window the address may try again (and is counted afresh).
    clock.now += WINDOW_S
    response = await post(attacker, "gwsf_1_guess")
    assert response.status_code != 429 and code_of(response) == "UNAUTHENTICATED"


async def test_a_known_valid_server_token_passes_a_throttled_address(
    attacker: httpx.AsyncClient, store: StoreFixture
) -> None:
    checkouts = "{ checkouts(first: 1) { nodes { id } } }"
    headers = {"X-Auth-Token": store.server_token}
    assert (await attacker.post("/graphql", json={"query": checkouts}, headers=headers)).status_code == 200
    for index in range(MAX_FAILURES + 3):
        await post(attacker, f"gwsv_{index}_guess")
    assert (await post(attacker, "gwsv_1_again")).status_code == 429
    response = await attacker.post("/graphql", json={"query": checkouts}, headers=headers)
    assert response.status_code == 200 and "errors" not in response.json()


def test_the_throttle_remembers_a_bounded_number_of_addresses() -> None:
    throttle = AuthThrottle(max_failures=2, window_s=60, max_addresses=100)
    for index in range(10_000):
        throttle.record_failure(f"10.0.{index // 256}.{index % 256}")
        throttle.remember_valid(f"gwsf_{index}_x")
    assert len(throttle) == 100
    assert len(throttle._valid) == 100


async def test_a_real_server_throttles_by_peer_address(database_url: str, store: StoreFixture, tmp_path: Any) -> None:
    # uvicorn believes X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names (its default: loopback).
    env = {"GATEWAY_AUTH_FAILURES_MAX": str(MAX_FAILURES), "FORWARDED_ALLOW_IPS": "192.0.2.254"}
    with running_servers(database_url, tmp_path / "logs", count=1, env=env) as (server,):
        async with server.client() as client:
            assert (await post(client, store.storefront_token)).status_code == 200
            for index in range(MAX_FAILURES):
                # Not from a trusted proxy: X-Forwarded-For is ignored, the peer (127.0.0.1) is counted.
                headers = {"X-Auth-Token": f"gwsf_{index}_guess", "X-Forwarded-For": f"192.0.2.{index}"}
                response = await client.post("/graphql", json={"query": PRODUCTS}, headers=headers)
                assert response.status_code != 429
            refused = await post(client, "gwsf_9_guess")
            assert refused.status_code == 429 and code_of(refused) == "RATE_LIMITED"
            assert int(refused.headers["retry-after"]) >= 1
            assert (await post(client, store.storefront_token)).status_code == 200
