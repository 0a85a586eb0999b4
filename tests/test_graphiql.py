"""GraphiQL offline, without a browser: the vendored files are exactly the ones the page asks for, the page
is served under a strict CSP with local URLs only, and the token pre-fill follows the settings.
(tests/http/test_graphiql_browser.py runs the page in Chromium.)"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse, validate
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.http.ides import get_graphql_ide_html

from gateway.api.schema import schema
from gateway.app import create_app
from gateway.graphiql import (
    ASSETS_PATH,
    EXAMPLE_OPERATION,
    STATIC_DIR,
    GraphiQLPage,
    PageTemplateChanged,
    asset_paths,
    offline_template,
    read_storefront_token,
)
from gateway.settings import Settings

HTML = {"Accept": "text/html"}
SRI = re.compile(r'(?:src|href)="https://unpkg\.com/([^"]+)"\s+integrity="(sha384-[^"]+)"')


def sha384(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_vendored_files_are_exactly_what_strawberrys_page_loads() -> None:
    original = get_graphql_ide_html(graphql_ide="graphiql")
    referenced = SRI.findall(original)
    assert len(referenced) == 7, "strawberry's GraphiQL page changed: re-vendor (gateway/static/graphiql/README.md)"
    for path, integrity in referenced:
        local = STATIC_DIR / path
        assert local.is_file(), f"{path} is not vendored in gateway/static/graphiql"
        assert sha384(local) == integrity, f"{path} differs from the npm file the page's integrity hash names"
    # And the rewritten page asks for exactly those files, from this origin.
    assert sorted(asset_paths(offline_template())) == sorted(path for path, _ in referenced)


def test_offline_page_refers_to_no_remote_origin() -> None:
    rendered = GraphiQLPage().render("n0nce")
    assert "unpkg.com" not in rendered
    assert re.findall(r"https?://", rendered) == ["http://"]  # the favicon's SVG namespace, inside a data: URL
    assert rendered.count('nonce="n0nce"') == 2  # the inline <style> and the inline <script>
    assert "<script>" not in rendered and "<style>" not in rendered


def test_template_change_is_loud() -> None:
    with pytest.raises(PageTemplateChanged):
        offline_template("<html><script src='https://unpkg.com/x.js'></script></html>")
    with pytest.raises(PageTemplateChanged):
        offline_template("<html>no CDN at all</html>")


def test_example_operation_is_valid_and_runs_on_the_demo_catalog() -> None:
    assert validate(schema._schema, parse(EXAMPLE_OPERATION)) == []
    from gateway.demo import DEMO_PRODUCTS

    skus = {product.sku for product in DEMO_PRODUCTS}
    assert set(re.findall(r'sku: "([^"]+)"', EXAMPLE_OPERATION)) <= skus


def test_page_is_titled_for_the_gateway_and_holds_the_example_flow(tmp_path: Path) -> None:
    tokens = tmp_path / "demo-tokens"
    for page in (GraphiQLPage().render("n"), GraphiQLPage(tokens).render("n")):
        assert "<title>Checkout shipping gateway \u00b7 GraphiQL</title>" in page
        assert "Strawberry GraphiQL" not in page
        assert "__GATEWAY_" not in page  # every placeholder filled
    # The default tab is the README's example session, the very file scripts/demo-flow runs.
    assert EXAMPLE_OPERATION == (Path(__file__).resolve().parents[1] / "gateway" / "demo_flow.graphql").read_text()


def test_tokens_file_is_read_for_the_storefront_token(tmp_path: Path) -> None:
    tokens = tmp_path / "demo-tokens"
    assert read_storefront_token(tokens) is None
    tokens.write_text("STOREFRONT_TOKEN=gwsf_1_abc\nSERVER_TOKEN=gwsk_2_def\n")
    assert read_storefront_token(tokens) == "gwsf_1_abc"
    page = GraphiQLPage(tokens).render("n")
    assert '"X-Auth-Token\\": \\"gwsf_1_abc\\"' in page
    assert "gwsk_2_def" not in page  # never the server token
    # Markup in the file cannot break out of the inline script.
    tokens.write_text("STOREFRONT_TOKEN=</script><script>alert(1)</script>\n")
    assert "</script><script>alert" not in GraphiQLPage(tokens).render("n")


@pytest.fixture
async def make_client(engine: AsyncEngine, database_url: str) -> AsyncIterator[Any]:
    clients: list[httpx.AsyncClient] = []

    async def make(**settings: Any) -> httpx.AsyncClient:
        app = create_app(Settings(database_url=database_url, host="127.0.0.1", port=0, **settings), engine=engine)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_page_is_served_with_a_strict_csp(make_client: Any) -> None:
    client = await make_client(environment="development")
    response = await client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'nonce="{nonce.group(1)}"' in response.text
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"
    for directive in ("script-src", "style-src"):
        assert directives[directive] == f"'self' 'nonce-{nonce.group(1)}'", directive
    assert "unsafe" not in csp and "http" not in csp and "*" not in csp
    assert response.headers["cache-control"] == "no-store"
    # A fresh nonce for every page.
    again = await client.get("/graphql", headers=HTML)
    assert again.headers["content-security-policy"] != csp


async def test_assets_are_served_from_the_gateway(make_client: Any) -> None:
    client = await make_client(environment="development")
    page = (await client.get("/graphql", headers=HTML)).text
    paths = asset_paths(page)
    assert len(paths) == 7
    for path in paths:
        response = await client.get(f"{ASSETS_PATH}/{path}")
        assert response.status_code == 200, path
        assert response.content == (STATIC_DIR / path).read_bytes(), path
        assert "immutable" in response.headers["cache-control"]
        kind = "text/css" if path.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], (path, response.headers["content-type"])
    assert (await client.get(f"{ASSETS_PATH}/../../settings.py")).status_code == 404
    assert (await client.get(f"{ASSETS_PATH}/nothing.js")).status_code == 404


async def test_token_prefill_needs_the_tokens_file_and_never_happens_in_production(
    make_client: Any, tmp_path: Path
) -> None:
    tokens = tmp_path / "demo-tokens"
    tokens.write_text("STOREFRONT_TOKEN=gwsf_9_prefilled\n")
    plain = await make_client(environment="development")
    assert "gwsf_9_prefilled" not in (await plain.get("/graphql", headers=HTML)).text
    development = await make_client(environment="development", graphiql_tokens_file=str(tokens))
    assert "gwsf_9_prefilled" in (await development.get("/graphql", headers=HTML)).text
    # Production with GraphiQL switched back on: the page, but never a token in it.
    production = await make_client(environment="production", graphiql=True, graphiql_tokens_file=str(tokens))
    page = await production.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "gwsf_9_prefilled" not in page.text


async def test_production_serves_neither_page_nor_assets(make_client: Any) -> None:
    client = await make_client(environment="production")
    assert (await client.get("/graphql", headers=HTML)).status_code == 404
    response = await client.get(f"{ASSETS_PATH}/graphiql@3.8.3/graphiql.min.js")
    assert response.status_code == 404
