"""GraphiQL that works offline and under a strict Content-Security-Policy.

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from a public CDN, so on a machine
without internet it stays at "Loading...". The very same files, byte for byte (the page's `integrity`
hashes still match), are vendored in `gateway/static/graphiql/` under their npm paths, and served from
`/graphiql-assets/`. The page is strawberry's own, with:

- every `https://unpkg.com/` URL rewritten to `/graphiql-assets/` (a test fails if the page asks for a file
  that is not vendored, e.g. after a strawberry upgrade; strawberry is pinned for that reason);
- a per-response nonce on its inline `<script>` and `<style>`, and a CSP that allows nothing else: no remote
  origin, no inline event handlers, no `eval`;
- the gateway's name as the page title;
- the default tab holding the README's example session (`gateway/demo_flow.graphql`) instead of strawberry's
  welcome text, with each response's ids copied into the Variables pane for the next operation;
- in development, the header editor pre-filled with `{"X-Auth-Token": "<demo storefront token>"}`, read at
  each page load from the tokens file `scripts/serve` writes (`GATEWAY_GRAPHIQL_TOKENS_FILE`);
- GraphiQL's stored tabs respected: a revisit adds no tab, and a changed demo token replaces the old one in
  the stored tabs' headers (see `_PAGE_SCRIPT`).
"""

from __future__ import annotations

import html as html_escape
import json
import re
import secrets
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from strawberry.http.ides import get_graphql_ide_html

from gateway.demo_flow import FLOW_FILE
from gateway.settings import Settings

ASSETS_PATH = "/graphiql-assets"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
CDN_PREFIX = "https://unpkg.com/"

#: What the default tab holds: the README's example session, which runs as is against the demo store.
EXAMPLE_OPERATION = FLOW_FILE.read_text(encoding="utf-8")
TITLE = "Checkout shipping gateway \u00b7 GraphiQL"

#: Runs before GraphiQL renders, inside the page's own (nonce-carrying) inline script. GraphiQL keeps its tabs
#: in localStorage and, on every visit, adds a tab for the page's `query`/`headers` unless a stored tab has
#: exactly those contents, so a changed demo token (or an edited example) used to add another example tab
#: each time. Here the page starts from the stored active tab instead (nothing is added), and the demo token
#: the page pre-filled last time is replaced by the current one wherever a stored tab still holds it.
#: `gatewayFetcher` copies ids from each response into the Variables pane, following the document's
#: `#   $name from Operation: path` lines (gateway/demo_flow.py reads the same lines).
_PAGE_SCRIPT = """
      const gatewayPage = (function () {
        const TOKEN = __GATEWAY_DEMO_TOKEN__;
        const HEADERS = __GATEWAY_DEFAULT_HEADERS__;
        const TABS_KEY = "graphiql:tabState";
        const HEADERS_KEY = "graphiql:headers";
        const TOKEN_KEY = "gateway:prefilledToken";
        const page = { setVariables: null };

        // GraphiQL's menus (Radix) add style elements without a nonce, which the strict CSP refuses: give
        // them this script's nonce. Only scripts the CSP already admitted run here, and each of them could
        // read the nonce itself, so this widens nothing.
        const nonce = document.currentScript && document.currentScript.nonce;
        const createElement = document.createElement;
        document.createElement = function (tagName, options) {
          const element = createElement.call(document, tagName, options);
          if (nonce && String(tagName).toLowerCase() === "style") element.setAttribute("nonce", nonce);
          return element;
        };

        function storedTabs() {
          try {
            const state = JSON.parse(localStorage.getItem(TABS_KEY));
            const ok = state && Array.isArray(state.tabs) && state.tabs.length > 0;
            return ok && typeof state.activeTabIndex === "number" ? state : null;
          } catch (error) {
            return null;
          }
        }

        // Headers a page of this gateway pre-filled: with the token remembered from the last visit,
        // any headers holding it; before this page remembered tokens, exactly the pre-fill's shape.
        function refreshToken(headers, previous) {
          if (typeof headers !== "string") return headers;
          if (previous) return headers.split(previous).join(TOKEN);
          try {
            const parsed = JSON.parse(headers);
            const keys = parsed && typeof parsed === "object" ? Object.keys(parsed) : [];
            const prefill = keys.length === 1 && /^gwsf_/.test(String(parsed["X-Auth-Token"]));
            return prefill ? HEADERS : headers;
          } catch (error) {
            return headers;
          }
        }

        const tabs = storedTabs();
        const previous = localStorage.getItem(TOKEN_KEY);
        if (tabs && TOKEN && previous !== TOKEN) {
          for (const tab of tabs.tabs) tab.headers = refreshToken(tab.headers, previous);
          localStorage.setItem(TABS_KEY, JSON.stringify(tabs));
          const headers = localStorage.getItem(HEADERS_KEY);
          if (headers) localStorage.setItem(HEADERS_KEY, refreshToken(headers, previous));
        }
        if (TOKEN) localStorage.setItem(TOKEN_KEY, TOKEN);
        const active = tabs && tabs.tabs[Math.min(Math.max(tabs.activeTabIndex, 0), tabs.tabs.length - 1)];
        page.start = active
          ? { query: active.query || "", variables: active.variables || undefined, headers: active.headers || HEADERS }
          : { query: EXAMPLE_QUERY, variables: undefined, headers: HEADERS };

        const BINDING = /^#\\s*\\$(\\w+) from (\\w+): (\\S+)\\s*$/;
        function valueAt(data, path) {
          let current = data;
          for (const step of path.match(/[^.\\[\\]]+|\\[[^\\]]*\\]/g) || []) {
            if (current === null || current === undefined) return undefined;
            if (step[0] !== "[") {
              current = current[step];
              continue;
            }
            const inner = step.slice(1, -1);
            const eq = inner.indexOf("=");
            if (!Array.isArray(current)) return undefined;
            current = eq < 0
              ? current[Number(inner)]
              : current.find((item) => item && item[inner.slice(0, eq)] === inner.slice(eq + 1));
          }
          return current === null ? undefined : current;
        }
        function thread(params, result) {
          if (!page.setVariables || !params || !params.operationName || !result || !result.data) return;
          const found = {};
          for (const line of String(params.query || "").split("\\n")) {
            const match = BINDING.exec(line.trim());
            if (!match || match[2] !== params.operationName) continue;
            const value = valueAt(result.data, match[3]);
            if (value !== undefined) found[match[1]] = value;
          }
          if (Object.keys(found).length === 0) return;
          const current = params.variables && typeof params.variables === "object" ? params.variables : {};
          page.setVariables(JSON.stringify(Object.assign({}, current, found), null, 2));
        }
        // GraphiQL's fetcher answers with a promise of the result, or (its default, for incremental delivery)
        // of an async iterable of results: pass each one on unchanged, after reading its ids.
        page.fetcher = function (params, options) {
          function tap(value) {
            if (value && typeof value[Symbol.asyncIterator] === "function") {
              return (async function* () {
                for await (const part of value) {
                  thread(params, part);
                  yield part;
                }
              })();
            }
            thread(params, value);
            return value;
          }
          const result = fetcher(params, options);
          return result && typeof result.then === "function" ? result.then(tap) : tap(result);
        };
        return page;
      })();

"""

_EXAMPLE_START = "const EXAMPLE_QUERY = `"
_EXAMPLE_END = "`;"
_TITLE = "<title>Strawberry GraphiQL</title>"
_COMPONENT = "      function GraphiQLWithExplorer() {"
_QUERY_STATE = "parameters.q || EXAMPLE_QUERY"
_VARIABLES_STATE = re.compile(r"React\.useState\(\s*parameters\.variables,?\s*\)")
_HEADERS_STATE = "React.useState(parameters.headers);"
_FETCHER_PROP = "fetcher: fetcher,"
_INLINE_SCRIPT = "<script>\n"
_INLINE_STYLE = "<style>"
_NONCE = "__GATEWAY_CSP_NONCE__"
_DEFAULT_HEADERS = "__GATEWAY_DEFAULT_HEADERS__"
_DEMO_TOKEN = "__GATEWAY_DEMO_TOKEN__"
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
    html = _replace_once(html, _TITLE, f"<title>{html_escape.escape(TITLE)}</title>")
    html = _replace_once(html, _COMPONENT, _PAGE_SCRIPT + _COMPONENT)
    html = _replace_once(html, _QUERY_STATE, "parameters.q || gatewayPage.start.query")
    if len(_VARIABLES_STATE.findall(html)) != 1:
        raise PageTemplateChanged("expected exactly one React.useState(parameters.variables) in strawberry's page")
    html = _VARIABLES_STATE.sub("React.useState(parameters.variables || gatewayPage.start.variables)", html)
    html = _replace_once(
        html,
        _HEADERS_STATE,
        "React.useState(parameters.headers || gatewayPage.start.headers);\n"
        "        gatewayPage.setVariables = onEditVariables;",
    )
    html = _replace_once(html, _FETCHER_PROP, "fetcher: gatewayPage.fetcher,")
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

    def demo_token(self) -> str | None:
        return read_storefront_token(self.tokens_file) if self.tokens_file is not None else None

    def render(self, nonce: str) -> str:
        token = self.demo_token()
        headers = json.dumps({"X-Auth-Token": token}, indent=2) if token else None
        html = self.template.replace(_DEFAULT_HEADERS, _js_literal(headers) if headers else "undefined")
        html = html.replace(_DEMO_TOKEN, _js_literal(token) if token else "null")
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
