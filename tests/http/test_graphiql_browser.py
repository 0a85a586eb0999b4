"""GraphiQL in a real browser, offline: headless Debian Chromium (driven by Python Playwright, never a browser
download) opens /graphql on a real gateway process seeded as `scripts/serve` seeds it, runs the example in the
default tab with the pre-filled demo storefront token, then a query of its own, and reads the result pane.

Every request that would leave 127.0.0.1 is recorded and refused, so the page must work as on an air-gapped
machine, under the page's strict Content-Security-Policy (a violation is a console error, which fails the test).
Chromium comes from `bash tests/install-tools` (apt-get install chromium); its absence fails the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.codegen.tools import require_chromium
from tests.servers import REPO, GatewayServer, start_server, stop_server

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000
LOCAL_HOSTS = {"127.0.0.1"}

#: The value of the CodeMirror editor inside `selector` (GraphiQL 3 keeps its instance on the element).
EDITOR_VALUE = (
    "selector => { const el = document.querySelector(selector); return el ? el.CodeMirror.getValue() : null; }"
)
SET_EDITOR = "([selector, value]) => document.querySelector(selector).CodeMirror.setValue(value)"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
# The visible one of the Variables / Headers editors: GraphiQL opens on Headers when they are pre-filled.
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"


def seed_demo(database_url: str, tokens_file: Path) -> dict[str, str]:
    """What `scripts/serve` does on a first run: the demo catalog and tokens, written to a tokens file."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--database-url", database_url]
        + ["seed-demo", "--tokens-file", str(tokens_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[tuple[GatewayServer, dict[str, str]]]:
    tokens_file = tmp_path / "demo-tokens"
    tokens = seed_demo(database_url, tokens_file)
    # As scripts/serve starts it: the tokens file is what turns the pre-fill on (anywhere but production).
    env = {"GATEWAY_GRAPHIQL_TOKENS_FILE": str(tokens_file)}
    server = start_server(database_url, tmp_path / "server-logs", env=env)
    try:
        yield server, tokens
    finally:
        stop_server(server)


def editor_value(page: Page, selector: str) -> str:
    value = page.evaluate(EDITOR_VALUE, selector)
    assert value is not None, f"no CodeMirror editor at {selector}"
    return str(value)


def run_and_read(page: Page, must_contain: str) -> dict[str, Any]:
    """Press GraphiQL's run button and return the JSON in the result pane once it holds `must_contain`."""
    page.click("button.graphiql-execute-button")
    try:
        page.wait_for_function(
            "([selector, text]) => { const el = document.querySelector(selector);"
            " return !!el && el.CodeMirror.getValue().includes(text); }",
            arg=[RESULT, must_contain],
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"no {must_contain} in the result pane:\n{editor_value(page, RESULT)}") from None
    return json.loads(editor_value(page, RESULT))  # type: ignore[no-any-return]


def test_graphiql_runs_offline_in_chromium(demo_server: tuple[GatewayServer, dict[str, str]]) -> None:
    chromium = require_chromium()
    server, tokens = demo_server
    requests: list[str] = []
    refused: list[str] = []
    problems: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).hostname not in LOCAL_HOSTS:
            refused.append(url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
        try:
            context = browser.new_context()
            context.route("**/*", guard)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "requestfailed",
                lambda request: problems.append(f"request failed: {request.url} {request.failure}"),
            )

            response = page.goto(f"{server.base_url}/graphql", timeout=TIMEOUT_MS)
            assert response is not None and response.status == 200
            csp = response.headers["content-security-policy"]
            assert "default-src 'none'" in csp and "unsafe" not in csp

            page.wait_for_selector(QUERY_EDITOR, timeout=TIMEOUT_MS)
            # The default tab holds the example checkout operation; the header editor the demo token.
            assert "mutation CreateCheckout" in editor_value(page, QUERY_EDITOR)
            headers = json.loads(editor_value(page, HEADERS_EDITOR))
            assert headers == {"X-Auth-Token": tokens["STOREFRONT_TOKEN"]}

            created = run_and_read(page, '"createCheckout"')["data"]["createCheckout"]
            assert created["errors"] == []
            checkout = created["checkout"]
            assert [(line["sku"], line["quantity"]) for line in checkout["lineItems"]] == [
                ("MUG-CERAMIC", 2),
                ("TSHIRT-BLK-M", 1),
            ]
            assert checkout["subtotal"] == {"value": "53.90", "currencyCode": "USD"}  # 2 x 14.95 + 24.00

            # A query of our own, typed into the editor: read the new checkout back.
            own_query = f'query ReadBack {{ checkout(id: "{checkout["id"]}") {{ id version grandTotal {{ value }} }} }}'
            page.evaluate(SET_EDITOR, [QUERY_EDITOR, own_query])
            # GraphiQL re-reads the operation name from the editor after a short debounce: let it, or the run
            # would still name CreateCheckout.
            page.wait_for_timeout(1000)
            read = run_and_read(page, '"version"')["data"]["checkout"]
            assert read == {"id": checkout["id"], "version": checkout["version"], "grandTotal": {"value": "53.90"}}
        finally:
            browser.close()

    assert refused == [], f"the page tried to leave 127.0.0.1: {refused}"
    assert all(urlsplit(url).hostname in LOCAL_HOSTS for url in requests if url.startswith("http")), requests
    assert any("/graphiql-assets/graphiql@3.8.3/graphiql.min.js" in url for url in requests), requests
    assert problems == [], "console errors or failed requests (a CSP violation shows up here):\n" + "\n".join(problems)

    # The checkout really exists on the server.
    body = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": "query($id: ID!) { checkout(id: $id) { id } }", "variables": {"id": checkout["id"]}},
        headers={"X-Auth-Token": tokens["STOREFRONT_TOKEN"]},
        timeout=30,
    ).json()
    assert body["data"]["checkout"] == {"id": checkout["id"]}
