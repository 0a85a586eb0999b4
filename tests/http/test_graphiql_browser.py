"""GraphiQL in a real browser, offline: headless Debian Chromium (driven by Python Playwright, never a browser
download) opens /graphql on a real gateway process seeded as `scripts/serve` seeds it.

- The default tab holds the README's example session (gateway/demo_flow.graphql); run operation by operation
  with Ctrl-Enter, as its comments say, the page itself copies the ids into the Variables pane, and the
  checkout ends as a shipped order with its tracking number.
- Visiting again, after the demo token changed or the example was edited, keeps one tab and puts the new
  token into the stored tab's headers.

Every request that would leave 127.0.0.1 is recorded and refused, so the page must work as on an air-gapped
machine, under the page's strict Content-Security-Policy (a violation is a console error, which fails the test).
Chromium comes from `bash tests/install-tools` (apt-get install chromium); its absence fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from gateway.demo_flow import load_flow
from gateway.graphiql import EXAMPLE_OPERATION, TITLE
from tests.codegen.tools import require_chromium
from tests.servers import GatewayServer, seed_demo_store, start_server, stop_server

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
#: Put the cursor at the start of `line` of the query editor and focus it, as a click there would.
PUT_CURSOR = (
    "([selector, line]) => { const cm = document.querySelector(selector).CodeMirror;"
    " cm.focus(); cm.setCursor({line: line, ch: 0}); }"
)
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
TOOL_EDITORS = ".graphiql-editor-tool .graphiql-editor .CodeMirror"  # Variables, then Headers
SET_HEADERS = "([selector, value]) => document.querySelectorAll(selector)[1].CodeMirror.setValue(value)"
RESULT = ".result-window .CodeMirror"
#: Logged by GraphiQL's menu scroll lock because strawberry's page hides the body's overflow; harmless.
SCROLL_LOCK_NOTICE = "react-remove-scroll-bar: cannot calculate scrollbar size"
STORED_TABS = "() => JSON.parse(localStorage.getItem('graphiql:tabState'))"


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[tuple[GatewayServer, Path]]:
    tokens_file = tmp_path / "demo-tokens"
    seed_demo_store(database_url, tokens_file)
    # As scripts/serve starts it: the tokens file is what turns the pre-fill on (anywhere but production).
    env = {"GATEWAY_GRAPHIQL_TOKENS_FILE": str(tokens_file)}
    server = start_server(database_url, tmp_path / "server-logs", env=env)
    try:
        yield server, tokens_file
    finally:
        stop_server(server)


def read_tokens(tokens_file: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())


@dataclass
class Browsing:
    page: Page
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check_offline_and_clean(self) -> None:
        assert self.refused == [], f"the page tried to leave 127.0.0.1: {self.refused}"
        assert all(urlsplit(url).hostname in LOCAL_HOSTS for url in self.requests if url.startswith("http"))
        assert any("/graphiql-assets/graphiql@3.8.3/graphiql.min.js" in url for url in self.requests), self.requests
        problems = [problem for problem in self.problems if not problem.startswith(SCROLL_LOCK_NOTICE)]
        assert problems == [], "console errors or failed requests (a CSP violation shows up here):\n" + "\n".join(
            self.problems
        )


@contextmanager
def browsing() -> Iterator[Browsing]:
    """One Chromium page whose requests off 127.0.0.1 are refused and whose console errors are recorded."""
    chromium = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=LAUNCH_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            seen = Browsing(page)

            def guard(route: Route) -> None:
                url = urlsplit(route.request.url)
                if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOCAL_HOSTS:
                    seen.refused.append(route.request.url)
                    route.abort("internetdisconnected")
                else:
                    route.continue_()

            context.route("**/*", guard)
            page.on("request", lambda request: seen.requests.append(request.url))
            page.on("console", lambda message: seen.problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: seen.problems.append(f"request failed: {request.url}"))
            yield seen
        finally:
            browser.close()


def open_graphiql(page: Page, server: GatewayServer) -> None:
    """Visit /graphql as a bookmark would: no query string, so the stored tabs decide what shows."""
    response = page.goto(f"{server.base_url}/graphql", timeout=TIMEOUT_MS)
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe" not in csp
    page.wait_for_selector(QUERY_EDITOR, timeout=TIMEOUT_MS)


def editor_value(page: Page, selector: str) -> str:
    value = page.evaluate(EDITOR_VALUE, selector)
    assert value is not None, f"no CodeMirror editor at {selector}"
    return str(value)


def run_at_cursor(page: Page, operation: str) -> dict[str, Any]:
    """Put the cursor in `operation` and press Ctrl-Enter; return the result pane's JSON once it answers."""
    lines = editor_value(page, QUERY_EDITOR).split("\n")
    line = next(i for i, text in enumerate(lines) if text.startswith((f"query {operation}", f"mutation {operation}")))
    previous = editor_value(page, RESULT)
    page.evaluate(PUT_CURSOR, [QUERY_EDITOR, line])
    page.keyboard.press("Control+Enter")
    return await_result(page, operation, previous)


def run_from_menu(page: Page, operation: str) -> dict[str, Any]:
    """Press the run button and pick `operation` from its menu (no operation chosen yet)."""
    previous = editor_value(page, RESULT)
    page.click("button.graphiql-execute-button")
    page.locator("[role=menuitem]", has_text=operation).first.click(timeout=TIMEOUT_MS)
    return await_result(page, operation, previous)


def await_result(page: Page, operation: str, previous: str) -> dict[str, Any]:
    try:
        page.wait_for_function(
            "([selector, previous]) => { const el = document.querySelector(selector);"
            " if (!el) return false; const text = el.CodeMirror.getValue();"
            " if (text === previous) return false;"
            " try { JSON.parse(text); return true; } catch (e) { return false; } }",
            arg=[RESULT, previous],
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"{operation} got no answer in the result pane:\n{editor_value(page, RESULT)}") from None
    return json.loads(editor_value(page, RESULT))  # type: ignore[no-any-return]


def tool_editors(page: Page) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        "selector => Array.from(document.querySelectorAll(selector)).map(el => el.CodeMirror.getValue())",
        TOOL_EDITORS,
    )


def headers(page: Page) -> Any:
    return json.loads(tool_editors(page)[1])


def settle(page: Page) -> None:
    """GraphiQL writes its tabs to localStorage 500 ms after a change (debounced): let it."""
    page.wait_for_timeout(1000)


def test_example_flow_runs_in_graphiql_offline(demo_server: tuple[GatewayServer, Path]) -> None:
    server, tokens_file = demo_server
    tokens = read_tokens(tokens_file)
    with browsing() as seen:
        page = seen.page
        open_graphiql(page, server)
        assert page.title() == TITLE == "Checkout shipping gateway \u00b7 GraphiQL"
        # The default tab holds the whole flow document; the header editor the demo storefront token.
        assert editor_value(page, QUERY_EDITOR) == EXAMPLE_OPERATION
        assert headers(page) == {"X-Auth-Token": tokens["STOREFRONT_TOKEN"]}

        results: dict[str, Any] = {}
        for operation in load_flow(EXAMPLE_OPERATION).operations:
            # As the document says: the back-office step needs the server token in the Headers pane.
            token = tokens["SERVER_TOKEN"] if operation.token == "server" else tokens["STOREFRONT_TOKEN"]
            page.evaluate(SET_HEADERS, [TOOL_EDITORS, json.dumps({"X-Auth-Token": token})])
            # The first step through the run button's menu, the others with Ctrl-Enter as the comments say.
            body = run_from_menu(page, operation.name) if not results else run_at_cursor(page, operation.name)
            assert "errors" not in body, (operation.name, body)
            for payload in body["data"].values():
                assert not (isinstance(payload, dict) and payload.get("errors")), (operation.name, payload)
            results[operation.name] = body["data"]
            if operation.name == "CreateCheckout":
                # The page copied the ids the next step needs into the Variables pane.
                checkout = body["data"]["createCheckout"]["checkout"]
                variables = json.loads(tool_editors(page)[0])
                items = {line["sku"]: line["id"] for line in checkout["lineItems"]}
                assert variables == {
                    "checkoutId": checkout["id"],
                    "mugItemId": items["MUG-CERAMIC"],
                    "shirtItemId": items["TSHIRT-BLK-M"],
                }
    seen.check_offline_and_clean()

    order = results["OrderStatus"]["checkout"]["order"]
    assert order["status"] == "SHIPPED" and order["itemsShipped"] == order["itemsTotal"] == 3
    assert [shipment["trackingNumber"] for shipment in order["shipments"]] == ["1Z999AA10123456784"]
    # The order really is on the server, shipped.
    checkout_id = results["CreateCheckout"]["createCheckout"]["checkout"]["id"]
    body = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": "query($id: ID!) { checkout(id: $id) { order { status } } }", "variables": {"id": checkout_id}},
        headers={"X-Auth-Token": tokens["STOREFRONT_TOKEN"]},
        timeout=30,
    ).json()
    assert body == {"data": {"checkout": {"order": {"status": "SHIPPED"}}}}


def test_revisits_keep_one_example_tab_and_follow_the_demo_token(
    demo_server: tuple[GatewayServer, Path], database_url: str
) -> None:
    server, tokens_file = demo_server
    first = read_tokens(tokens_file)["STOREFRONT_TOKEN"]
    with browsing() as seen:
        page = seen.page
        open_graphiql(page, server)
        settle(page)
        assert len(page.evaluate(STORED_TABS)["tabs"]) == 1

        # A new demo store (scripts/serve on a fresh database) writes new tokens to the same file.
        second = seed_demo_store(database_url, tokens_file)["STOREFRONT_TOKEN"]
        assert second != first
        open_graphiql(page, server)
        settle(page)
        stored = page.evaluate(STORED_TABS)
        assert len(stored["tabs"]) == 1, [tab["title"] for tab in stored["tabs"]]
        assert page.locator(".graphiql-tab").count() == 0  # GraphiQL shows a tab bar only for two or more
        assert headers(page) == {"X-Auth-Token": second}
        assert json.loads(stored["tabs"][0]["headers"]) == {"X-Auth-Token": second}
        assert editor_value(page, QUERY_EDITOR) == EXAMPLE_OPERATION

        # The new token works from the existing tab.
        created = run_at_cursor(page, "CreateCheckout")["data"]["createCheckout"]
        assert created["errors"] == [] and created["checkout"]["id"]

        # An edited example is kept as edited, still in one tab, on the next visit.
        edited = "# my notes\n" + EXAMPLE_OPERATION
        page.evaluate(SET_EDITOR, [QUERY_EDITOR, edited])
        settle(page)
        open_graphiql(page, server)
        settle(page)
        assert len(page.evaluate(STORED_TABS)["tabs"]) == 1
        assert editor_value(page, QUERY_EDITOR) == edited
        assert headers(page) == {"X-Auth-Token": second}
    seen.check_offline_and_clean()
