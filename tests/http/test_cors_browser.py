"""CORS in a real browser: a storefront page served on one loopback port calls the gateway on another with
`fetch` (JSON body and an X-Auth-Token header, so Chromium sends a preflight first). In development the call
works with no setting; in production, without GATEWAY_CORS_ORIGINS naming the page's origin, Chromium refuses
it. Headless Debian Chromium through Python Playwright (tests/install-tools installs it); its absence fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.codegen.tools import require_chromium
from tests.http.test_graphiql_browser import LAUNCH_ARGS, TIMEOUT_MS
from tests.servers import GatewayServer, free_port, seed_demo_store, start_server, stop_server

PAGE = b"<!doctype html><html><head><title>storefront</title></head><body>a storefront</body></html>"
QUERY = "{ products(first: 2) { nodes { sku } } }"
#: What the storefront's script does: POST a query as JSON with its token; the result, or the error's text.
FETCH = """
async ([url, token, query]) => {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Auth-Token": token },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, requestId: response.headers.get("X-Request-Id"), body: await response.json() };
  } catch (error) {
    return { error: String(error) };
  }
}
"""


class StorefrontPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
        pass


@pytest.fixture
def storefront_origin() -> Iterator[str]:
    """A page on http://localhost:<port>, a different origin from the gateway's http://127.0.0.1:<port>."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), StorefrontPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def storefront_token(database_url: str, tmp_path: Path) -> str:
    return seed_demo_store(database_url, tmp_path / "demo-tokens")["STOREFRONT_TOKEN"]


@pytest.fixture
def gateways(database_url: str, tmp_path: Path, storefront_token: str) -> Iterator[dict[str, GatewayServer]]:
    started: dict[str, GatewayServer] = {}
    try:
        for environment in ("development", "production"):
            env = {"GATEWAY_ENV": environment, "GATEWAY_CORS_ORIGINS": ""}
            started[environment] = start_server(database_url, tmp_path / environment, env=env)
        yield started
    finally:
        for server in started.values():
            stop_server(server)


def test_a_local_storefront_can_call_the_gateway_in_development_only(
    gateways: dict[str, GatewayServer], storefront_origin: str, storefront_token: str
) -> None:
    chromium = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            response = page.goto(storefront_origin, timeout=TIMEOUT_MS)
            assert response is not None and response.status == 200

            development = gateways["development"]
            result = page.evaluate(FETCH, [f"{development.base_url}/graphql", storefront_token, QUERY])
            assert "error" not in result, result
            assert result["status"] == 200
            assert result["requestId"], "the request id header is readable cross-origin"
            skus = [node["sku"] for node in result["body"]["data"]["products"]["nodes"]]
            assert len(skus) == 2

            production = gateways["production"]
            refused = page.evaluate(FETCH, [f"{production.base_url}/graphql", storefront_token, QUERY])
            assert "Failed to fetch" in refused.get("error", ""), refused
        finally:
            browser.close()
    # Chromium asked each gateway first (its request log): development allowed (204), production refused (403).
    assert '"method":"OPTIONS","status":204' in gateways["development"].log()
    assert '"method":"OPTIONS","status":403' in gateways["production"].log()
