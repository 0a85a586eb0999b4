"""CORS over HTTP: in development a page served from this machine on any port may call the gateway with no
setting; elsewhere only the origins of GATEWAY_CORS_ORIGINS may. Allowed preflights answer 204, refused ones a
GraphQL JSON 403 with a code and a request id. (tests/http/test_cors_browser.py does the same in Chromium.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.settings import Settings

SHOP = "https://shop.example"
LOCAL = [
    "http://localhost:3000",
    "http://127.0.0.1:5173",
    "http://localhost",
    "http://[::1]:8080",
    "https://localhost:3443",
]
NOT_LOCAL = [
    "http://localhost.evil.example:3000",
    "http://127.0.0.1.evil.example",
    "http://evil.example",
    "http://localhost:3000.evil.example",
    "http://10.0.0.5:3000",
    "null",
]
pytestmark = pytest.mark.anyio
PRODUCTS = "{ products(first: 1) { nodes { sku } } }"


def preflight(origin: str, method: str = "POST", headers: str = "content-type, x-auth-token") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


@pytest.fixture
def client_in(database_url: str, engine: AsyncEngine) -> Any:
    def make(environment: str, **overrides: Any) -> httpx.AsyncClient:
        settings = Settings(database_url=database_url, host="127.0.0.1", port=0, environment=environment, **overrides)
        app = create_app(settings, engine=engine)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test")

    return make


def assert_allowed_preflight(response: httpx.Response, origin: str) -> None:
    assert response.status_code == 204, (origin, response.status_code, response.text)
    assert response.headers["x-request-id"]
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == origin
    allowed = {name.strip().lower() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "x-auth-token", "authorization"} <= allowed
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert int(response.headers["access-control-max-age"]) > 0
    assert "origin" in response.headers["vary"].lower()
    assert "access-control-allow-credentials" not in response.headers


def assert_refused_preflight(response: httpx.Response, origin: str) -> dict[str, Any]:
    assert response.status_code == 403, (origin, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("access-control-allow-origin") is None
    assert response.headers["x-request-id"]
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return error  # type: ignore[no-any-return]


async def test_development_allows_every_local_origin_on_any_port(client_in: Any) -> None:
    async with client_in("development") as client:
        for origin in LOCAL:
            assert_allowed_preflight(await client.options("/graphql", headers=preflight(origin)), origin)


async def test_development_refuses_origins_that_only_look_local(client_in: Any) -> None:
    async with client_in("development") as client:
        for origin in NOT_LOCAL:
            error = assert_refused_preflight(await client.options("/graphql", headers=preflight(origin)), origin)
            assert "GATEWAY_CORS_ORIGINS" in error["message"]


async def test_refused_method_or_header_is_coded(client_in: Any) -> None:
    async with client_in("development") as client:
        origin = "http://localhost:3000"
        refused = await client.options("/graphql", headers=preflight(origin, method="DELETE"))
        assert "GET, POST" in assert_refused_preflight(refused, origin)["message"]
        refused = await client.options("/graphql", headers=preflight(origin, headers="x-secret"))
        assert "X-Auth-Token" in assert_refused_preflight(refused, origin)["message"]
        # The caller's request id is kept.
        refused = await client.options("/graphql", headers={**preflight(origin, "PUT"), "X-Request-Id": "abc-1"})
        assert refused.headers["x-request-id"] == "abc-1"


async def test_development_adds_the_configured_origins(client_in: Any) -> None:
    async with client_in("development", cors_origins=(SHOP,)) as client:
        for origin in (SHOP, "http://localhost:3000"):
            assert_allowed_preflight(await client.options("/graphql", headers=preflight(origin)), origin)


@pytest.mark.parametrize("env_name", ["production", "test"])
async def test_elsewhere_only_the_configured_origins(client_in: Any, env_name: str) -> None:
    async with client_in(env_name, cors_origins=(SHOP,)) as client:
        assert_allowed_preflight(await client.options("/graphql", headers=preflight(SHOP)), SHOP)
        for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "http://shop.example"):
            assert_refused_preflight(await client.options("/graphql", headers=preflight(origin)), origin)
    async with client_in(env_name) as client:
        assert_refused_preflight(await client.options("/graphql", headers=preflight(SHOP)), SHOP)


async def test_the_actual_request_carries_the_origin_and_exposes_the_request_id(client_in: Any, store: Any) -> None:
    async with client_in("development") as client:
        origin = "http://localhost:3000"
        headers = {"Origin": origin, "X-Auth-Token": store.storefront_token}
        response = await client.post("/graphql", json={"query": PRODUCTS}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["products"]["nodes"]
        assert response.headers["access-control-allow-origin"] == origin
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

        other = await client.post(
            "/graphql", json={"query": PRODUCTS}, headers={**headers, "Origin": "http://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
