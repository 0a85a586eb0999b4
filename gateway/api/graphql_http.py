"""GraphQL over HTTP: response media types, the HTTP status of a GraphQL response, and the refusal codes.

Follows the GraphQL-over-HTTP specification (https://graphql.github.io/graphql-over-http/draft/), as audited by
graphql-http's `serverAudits` (tests/test_graphql_over_http_audits.py, graphql-http 1.23.1): 400 for a document
that does not parse or validate and for variables that do not coerce. (Later working drafts propose 422 for
validation, variable and operation-selection failures, a custom 294 for partial success, and the
graphql-response+json status codes for application/json clients too; not adopted while the audit suite checks
400 and 200, and 200 for application/json, which existing clients rely on.)

Media types (`negotiate`). The response media type comes from the request's `Accept` header:

- no `Accept` (or one without a single well-formed media range): `application/json`, as legacy clients expect;
- otherwise RFC 9110 content negotiation over `application/graphql-response+json` and `application/json`:
  the highest `q` wins; on a tie a type the client named outright beats one it reached through a wildcard;
  between two named types `application/graphql-response+json` wins (the specification's own type), between
  two wildcard matches (`*/*`, `application/*`) `application/json` wins (browsers, curl and other legacy
  clients send `*/*`);
- neither acceptable (e.g. `Accept: text/html` alone, or both with `q=0`): 406 `NOT_ACCEPTABLE`, answered as
  `application/json`. The GraphiQL page (a GET without a query, accepting `text/html`) is served before this.

Status codes. With `application/json` every GraphQL response is 200, errors included, exactly as before; only
the refusals below, which are not GraphQL executions, have their own status. With
`application/graphql-response+json` (sent as `application/graphql-response+json; charset=utf-8`), a response
whose request never reached execution is a *request error*: it has no `data` entry and its status comes from
its codes (`request_error_status`): 401 for `UNAUTHENTICATED` (with `WWW-Authenticate`), 403 for `FORBIDDEN`,
503 for `SERVICE_UNAVAILABLE`, 500 for `INTERNAL_SERVER_ERROR`, 400 for everything else (a document that does
not parse or validate, a variable that does not coerce, a query limit). Once execution started the status is
200 and `data` is present, even when it is null or fields failed. A JSON-array batch is answered 200 with one
entry per operation (a request error's entry has no `data` under `application/graphql-response+json`).

Every non-2xx answer of `/graphql` is GraphQL JSON in the negotiated media type (`application/json` when none
is acceptable): `{"errors": [{"message": ..., "extensions": {"code": ..., "requestId": ...}}]}` with an
`X-Request-Id` header, and no `data` entry.

Top-level error codes (`extensions.code`) and their HTTP status, as `json` / `gr+json` (the status under
`application/json` / under `application/graphql-response+json`):

- `BAD_REQUEST` 400 / 400: the HTTP request is not a well-formed GraphQL request: the body or a GET parameter
  is not JSON (or not UTF-8, nested over 64 levels, a number beyond a double), not an object or a non-empty
  list of objects; `query` missing or not a string, `operationName` not a string, `variables` or
  `extensions` not an object. One code for every malformed request: the message says what is wrong.
- `OPERATION_NOT_FOUND` 400 / 400: `operationName` names no operation of the document, or the document
  defines no operation at all.
- `OPERATION_NAME_REQUIRED` 400 / 400: the document defines several operations and the request names none.
- `METHOD_NOT_ALLOWED` 405 / 405: a mutation over GET (`Allow: POST`), or a method other than GET and POST
  (`Allow: GET, POST`).
- `NOT_ACCEPTABLE` 406 / -: `Accept` allows neither `application/graphql-response+json` nor `application/json`.
- `NOT_FOUND` 404 / 404: a GET without a query accepting `text/html` or `*/*` (a browser asking for the
  GraphiQL page) where GraphiQL is off.
- `REQUEST_TOO_LARGE` 413 / 413: the body is over `GATEWAY_MAX_BODY_BYTES`.
- `UNSUPPORTED_MEDIA_TYPE` 415 / 415: a POST whose `Content-Type` is not `application/json`.
- `TOO_MANY_OPERATIONS` 400 / 400: a JSON-array batch over `GATEWAY_MAX_BATCH_OPERATIONS`.
- `RATE_LIMITED` 429 / 429: too many failed token checks from this address (with `Retry-After`).
- `GRAPHQL_VALIDATION_FAILED` 200 / 400: the document does not parse or validate, or a variable is missing
  or does not coerce.
- `QUERY_TOO_DEEP`, `TOO_MANY_ALIASES`, `QUERY_TOO_COMPLEX`, `QUERY_TOO_LARGE` 200 / 400: a query limit
  (checked at validation time, or for a batch's shared cost budget before the operation runs).
- `BAD_USER_INPUT` 200 / 400 or 200: a string holding U+0000 (refused before execution: 400), an argument out
  of range (found during execution: 200).
- `UNAUTHENTICATED` 200 / 401 (with `WWW-Authenticate`): no token, or an unknown or revoked one, for fields
  that need one.
- `FORBIDDEN` 200 / 403: the token may not use one of the operation's fields.
- `SERVICE_UNAVAILABLE` 200 or 503 / 503 or 200: the database did not answer in time (503 when that stopped
  the request before execution, 200 with `data` once it executed), or the process is at its connection limit
  (503, answered by gateway/http_protocol.py).
- `INTERNAL_SERVER_ERROR` 200 or 500 / 500 or 200: a bug, masked, with `requestId` (5xx when nothing executed).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode
from starlette.datastructures import Headers
from starlette.types import Scope
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
#: The Content-Type header of a response in each media type.
CONTENT_TYPES = {JSON: JSON, GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"}

BAD_REQUEST = "BAD_REQUEST"
OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
NOT_FOUND = "NOT_FOUND"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
TOO_MANY_OPERATIONS = "TOO_MANY_OPERATIONS"
RATE_LIMITED = "RATE_LIMITED"

#: Status of a request error (no execution) under application/graphql-response+json, by code; others are 400.
_REQUEST_ERROR_STATUS = {
    "SERVICE_UNAVAILABLE": 503,
    "INTERNAL_SERVER_ERROR": 500,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
}
#: The challenge a 401 carries (RFC 9110 requires one): the gateway takes `Authorization: Bearer <token>`.
WWW_AUTHENTICATE = 'Bearer realm="gateway"'


class OperationNameRequired(CannotGetOperationTypeError):
    """A document with several operations and no `operationName`: which one to run is ambiguous.

    A `CannotGetOperationTypeError`, so that strawberry lets it through to the view like an unknown
    operation name (`refusal_code` tells the two apart)."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "the document defines several operations: name the one to run in `operationName`"


def refusal_code(error: BaseException | None) -> str | None:
    """The code of a refusal strawberry raises before execution (None: not one of them)."""
    if isinstance(error, OperationNameRequired):
        return OPERATION_NAME_REQUIRED
    if isinstance(error, CannotGetOperationTypeError):
        return OPERATION_NOT_FOUND
    if isinstance(error, InvalidOperationTypeError):
        return METHOD_NOT_ALLOWED
    if isinstance(error, MissingQueryError):
        return BAD_REQUEST
    return None


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """`(media range, q)` of each well-formed element of an Accept header, lower-cased; a bad `q` drops it."""
    ranges: list[tuple[str, float]] = []
    for element in accept.split(","):
        media_range, *params = (part.strip() for part in element.split(";"))
        if media_range.count("/") != 1:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((media_range.lower(), q))
    return ranges


def _quality(ranges: Sequence[tuple[str, float]], media_type: str) -> tuple[float, bool]:
    """`(q, named)`: the q of the most specific range matching `media_type`, and whether it named it outright."""
    kind = media_type.split("/")[0] + "/*"
    best: tuple[int, float] = (-1, 0.0)
    for media_range, q in ranges:
        specificity = {media_type: 2, kind: 1, "*/*": 0}.get(media_range, -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1], best[0] == 2


def negotiate(accept: str | None) -> str | None:
    """The response media type for this Accept header, or None when neither supported type is acceptable."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    if not ranges:  # nothing well-formed in it: ignored, as if absent (RFC 9110 lets a server do so)
        return JSON
    response_q, response_named = _quality(ranges, GRAPHQL_RESPONSE_JSON)
    json_q, _ = _quality(ranges, JSON)
    if response_q <= 0 and json_q <= 0:
        return None
    if response_q != json_q:
        return GRAPHQL_RESPONSE_JSON if response_q > json_q else JSON
    # A tie: a type named outright beats a wildcard match; both named, the specification's own type wins;
    # both reached through a wildcard only, the legacy default.
    return GRAPHQL_RESPONSE_JSON if response_named else JSON


def is_request_error(data: Any, errors: Sequence[GraphQLError] | None) -> bool:
    """No execution took place: no data, and no error of a field (every field error has a path).

    Parse and validation errors, variable coercion errors and the refusals set before execution (limits,
    access control) are such errors; a non-null field failing up to the root has data null but a path."""
    return data is None and bool(errors) and all(error.path is None for error in errors or ())


def request_error_status(codes: Sequence[str]) -> int:
    """The HTTP status of a request error with these codes (the gravest wins)."""
    statuses = [_REQUEST_ERROR_STATUS.get(code, 400) for code in codes] or [400]
    return max(statuses, key=lambda status: (status >= 500, status != 400, status))


class RequireOperationName(SchemaExtension):
    """Refuse a document with several operations when the request names none (OPERATION_NAME_REQUIRED).

    Strawberry would otherwise run the first operation (its `operation_name` falls back to the first
    operation's name); GraphQL's GetOperation() says such a request is an error. Checked as soon as the
    document is parsed, before the operation type is checked against the HTTP method, before validation
    and so before the fast path could answer.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        document = ctx.graphql_document
        # Strawberry keeps the request's own operationName there (`operation_name` falls back to the first).
        if document is None or getattr(ctx, "_provided_operation_name", None) is not None:
            return
        operations = sum(isinstance(definition, OperationDefinitionNode) for definition in document.definitions)
        if operations > 1:
            raise OperationNameRequired


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def incoming_request_id(headers: Headers) -> str:
    """The caller's own X-Request-Id when it is well-formed, else a new id."""
    incoming = headers.get("x-request-id", "")
    return incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def request_id_of(scope: Scope) -> str:
    """The request's id (`incoming_request_id`), kept in the scope so every part of the answer carries the same."""
    request_id = scope.get("gateway_request_id")
    if request_id is None:
        request_id = scope["gateway_request_id"] = incoming_request_id(Headers(scope=scope))
    return str(request_id)


def media_type_of(scope: Scope) -> str:
    """The negotiated response media type (application/json when the client accepts neither), negotiated once."""
    media_type = scope.get("gateway_media_type")
    if media_type is None:
        media_type = scope["gateway_media_type"] = negotiate(Headers(scope=scope).get("accept")) or JSON
    return str(media_type)


def presented_token(headers: Headers) -> str | None:
    """The request's token: X-Auth-Token, else the value of an `Authorization: Bearer` header."""
    token = headers.get("x-auth-token")
    if token:
        return token.strip()
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None
