"""Cross-origin requests from browsers: which origins may call the gateway, and how preflights are answered.

- Development (`GATEWAY_ENV=development`, the default): any page served from this machine,
  `http://localhost:<any port>`, `http://127.0.0.1:<any port>` or `http://[::1]:<any port>` (or the same over
  https), plus the origins of `GATEWAY_CORS_ORIGINS`. A storefront on `http://localhost:3000` works with no setting.
- Every other environment (production): only the exact origins of `GATEWAY_CORS_ORIGINS` (comma-separated,
  e.g. `https://shop.example.com`).

Starlette's `CORSMiddleware` decides; this subclass only changes how a preflight is answered: `204 No Content`
when allowed, and a GraphQL JSON refusal (`403`, code `CORS_ORIGIN_NOT_ALLOWED`, with `X-Request-Id`) instead
of Starlette's `400 text/plain` when refused, so that every answer of /graphql is GraphQL JSON. Credentials
(cookies) are never allowed: tokens travel in headers.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

#: Pages served from this machine, on any port (development only).
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Content-Type", "Accept", "X-Auth-Token", "Authorization", "X-Request-Id")
EXPOSED_HEADERS = ("X-Request-Id", "Retry-After")
PREFLIGHT_MAX_AGE_S = 600

#: Builds the refusal of a preflight from the reason and the request's id.
Refusal = Callable[[str, str], Response]


class Cors(CORSMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        origins: tuple[str, ...],
        local_origins: bool,
        refuse: Refusal,
        request_id: Callable[[Headers], str],
    ) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_origin_regex=LOCAL_ORIGINS if local_origins else None,
            allow_methods=list(ALLOWED_METHODS),
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            max_age=PREFLIGHT_MAX_AGE_S,
        )
        self.refuse = refuse
        self.request_id = request_id

    def preflight_response(self, request_headers: Headers) -> Response:
        decided = super().preflight_response(request_headers)
        headers = {
            name: value
            for name, value in decided.headers.items()
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        }
        request_id = self.request_id(request_headers)
        if decided.status_code == 200:
            return Response(status_code=204, headers={**headers, "X-Request-Id": request_id})
        failures = bytes(decided.body).decode().removeprefix("Disallowed CORS ").split(", ")
        response = self.refuse(self._reason(request_headers, failures), request_id)
        response.headers["Vary"] = headers["vary"]
        return response

    def _reason(self, request_headers: Headers, failures: list[str]) -> str:
        if "origin" in failures:
            origin = request_headers["origin"][:200]
            return f"the origin {origin} may not call this gateway (allowed origins: GATEWAY_CORS_ORIGINS)"
        if "method" in failures:
            return f"cross-origin requests may use only {', '.join(ALLOWED_METHODS)}"
        if "headers" in failures:
            return f"cross-origin requests may send only the headers {', '.join(ALLOWED_HEADERS)}"
        return "requests from a public page to this private address are not allowed"
