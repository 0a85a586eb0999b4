"""GraphiQL that works offline and under a strict Content-Security-Policy.

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from a public CDN, so on a machine
without internet it stays at "Loading...". The very same files, byte for byte (the page's `integrity`
hashes still match), are vendored in `gateway/static/graphiql/` under their npm paths, and served from
`/graphiql-assets/`. The page is strawberry's own, with:

- every `https://unpkg.com/` URL rewritten to `/graphiql-assets/` (a test fails if the page asks for a file
  that is not vendored, e.g. after a strawberry upgrade; strawberry is pinned for that reason);
- a per-response nonce on its inline `<script>` and `<style>`, and a CSP that allows nothing else: no remote
  origin, no inline event handlers, no `eval`;
- the default tab holding an example checkout operation instead of strawberry's welcome text;
- in development, the header editor pre-filled with `{"X-Auth-Token": "<demo storefront token>"}`, read at
  each page load from the tokens file `scripts/serve` writes (`GATEWAY_GRAPHIQL_TOKENS_FILE`).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from strawberry.http.ides import get_graphql_ide_html

from gateway.settings import Settings

ASSETS_PATH = "/graphiql-assets"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
CDN_PREFIX = "https://unpkg.com/"

#: What the default tab holds: it runs as is against the demo catalog (`gateway seed-demo`).
EXAMPLE_OPERATION = """\
# The checkout gateway's GraphiQL, served by the gateway.
#
# Headers tab (below): in development it already holds
# the demo storefront token; otherwise paste
#   {"X-Auth-Token": "<storefront token>"}
#
# Run this (Ctrl-Enter or the play button) to start a
# checkout with two demo products, then read it back by
# its id in a new tab (+):
#   query Checkout($id: ID!) {
#     checkout(id: $id) {
#       id version problems { code }
#       grandTotal { value currencyCode }
#     }
#   }
# Docs: the book icon, top left. Autocomplete: Ctrl-Space.
mutation CreateCheckout {
  createCheckout(
    input: {
      email: "ada@example.com"
      lineItems: [
        { sku: "MUG-CERAMIC", quantity: 2 }
        { sku: "TSHIRT-BLK-M", quantity: 1 }
      ]
    }
  ) {
    checkout {
      id
      version
      lineItems { id sku name quantity unassignedQuantity listPrice { value currencyCode } }
      subtotal { value currencyCode }
      grandTotal { value currencyCode }
      problems { code message }
    }
    errors { code message field }
  }
}
"""

_EXAMPLE_START = "const EXAMPLE_QUERY = `"
_EXAMPLE_END = "`;"
_HEADERS_STATE = "React.useState(parameters.headers)"
_INLINE_SCRIPT = "<script>\n"
_INLINE_STYLE = "<style>"
_NONCE = "__GATEWAY_CSP_NONCE__"
_DEFAULT_HEADERS = "__GATEWAY_DEFAULT_HEADERS__"
_JS_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


class PageTemplateChanged(RuntimeError):
    """Strawberry's GraphiQL page no longer has a spot this module rewrites: re-check after an upgrade."""


def _replace_once(html: str, old: str, new: str) -> str:
    if html.count(old) != 1:
        raise PageTemplateChanged(f"expected exactly one {old!r} in strawberry's GraphiQL page")
    return html.replace(old, new)


def _js_literal(value: object) -> str:
    """`value` as a JavaScript literal that is safe inside an inline <script>."""
    text = json.dumps(value)
    for char, escaped in _JS_ESCAPES:
        text = text.replace(char, escaped)
    return text


def offline_template(html: str | None = None) -> str:
    """Strawberry's page with local asset URLs, nonce and default-header placeholders, and our example."""
    html = html if html is not None else get_graphql_ide_html(graphql_ide="graphiql")
    if CDN_PREFIX not in html:
        raise PageTemplateChanged(f"strawberry's GraphiQL page no longer loads from {CDN_PREFIX}")
    html = html.replace(CDN_PREFIX, ASSETS_PATH + "/")
    start = html.find(_EXAMPLE_START)
    end = html.find(_EXAMPLE_END, start + len(_EXAMPLE_START))
    if start < 0 or end < 0:
        raise PageTemplateChanged("strawberry's GraphiQL page no longer defines EXAMPLE_QUERY")
    html = html[:start] + "const EXAMPLE_QUERY = " + _js_literal(EXAMPLE_OPERATION) + ";" + html[end + 2 :]
    html = _replace_once(html, _HEADERS_STATE, f"React.useState(parameters.headers || {_DEFAULT_HEADERS})")
    html = _replace_once(html, _INLINE_SCRIPT, f'<script nonce="{_NONCE}">\n')
    html = _replace_once(html, _INLINE_STYLE, f'<style nonce="{_NONCE}">')
    if "https://" in html.replace("http://www.w3.org/2000/svg", ""):
        raise PageTemplateChanged("strawberry's GraphiQL page refers to another remote origin")
    return html


def content_security_policy(nonce: str) -> str:
    """Only this origin, plus the page's own nonce-marked inline script and style; data: for the icon
    and GraphiQL's embedded fonts."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


def read_storefront_token(tokens_file: Path) -> str | None:
    """`STOREFRONT_TOKEN=...` from the file `gateway seed-demo --tokens-file` writes, if there is one."""
    try:
        lines = tokens_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        name, _, value = line.partition("=")
        if name.strip() == "STOREFRONT_TOKEN" and value.strip():
            return value.strip()
    return None


class GraphiQLPage:
    """Renders the page; `tokens_file` (development only) pre-fills the header editor."""

    def __init__(self, tokens_file: Path | None = None) -> None:
        self.template = offline_template()
        self.tokens_file = tokens_file

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphiQLPage:
        """Never pre-fills a token in production, whatever the tokens file setting says."""
        tokens_file = settings.graphiql_tokens_file
        return cls(Path(tokens_file) if tokens_file and not settings.is_production else None)

    def default_headers(self) -> str | None:
        token = read_storefront_token(self.tokens_file) if self.tokens_file is not None else None
        return json.dumps({"X-Auth-Token": token}, indent=2) if token else None

    def render(self, nonce: str) -> str:
        headers = self.default_headers()
        html = self.template.replace(_DEFAULT_HEADERS, _js_literal(headers) if headers else "undefined")
        return html.replace(_NONCE, nonce)

    def response(self) -> Response:
        nonce = secrets.token_urlsafe(18)
        return HTMLResponse(
            self.render(nonce),
            headers={
                "Content-Security-Policy": content_security_policy(nonce),
                # The page may hold a token: never cache it, never leak the URL.
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
                "X-Content-Type-Options": "nosniff",
            },
        )


class VersionedAssets(StaticFiles):
    """The vendored files: their paths carry the package version, so clients may cache them for good."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def asset_routes() -> list[BaseRoute]:
    return [Mount(ASSETS_PATH, app=VersionedAssets(directory=STATIC_DIR), name="graphiql-assets")]


def asset_paths(html: str) -> list[str]:
    """The `/graphiql-assets/...` files a rendered page asks for, relative to `STATIC_DIR`."""
    found: list[str] = []
    marker = ASSETS_PATH + "/"
    position = html.find(marker)
    while position >= 0:
        end = html.find('"', position)
        found.append(html[position + len(marker) : end])
        position = html.find(marker, end)
    return found
