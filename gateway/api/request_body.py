"""Reading a GraphQL request out of an HTTP request, refusing anything else with a code.

Every byte of a request is attacker-controlled, so this reads it defensively and in time linear in its
size: JSON is decoded by orjson (C, numbers never go through `int(str)`, so no int max-str-digits error;
integers beyond 64 bits become doubles, a number beyond a double's range is refused; orjson itself stops at
1024 levels), then the text's nesting is measured without recursion and refused past `MAX_JSON_DEPTH`
levels ("nested too deep"), so nothing downstream (graphql-core's variable coercion, the NUL scan of the
limits) ever recurses deeply. The request's shape is checked as the
GraphQL-over-HTTP specification gives it: an object (or, batched, a non-empty list of objects) whose
`query` and `operationName` are strings or null and whose `variables` and `extensions` are objects or null.

A refusal is a `RequestRefused` carrying the HTTP status and the GraphQL error code; the view turns it (and
strawberry's own `HTTPException`) into a GraphQL JSON response.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError

from gateway.api.graphql_http import (
    BAD_REQUEST,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    NOT_FOUND,
    UNSUPPORTED_MEDIA_TYPE,
    negotiate,
    refusal_code,
)

#: Deepest nesting of arrays and objects accepted in a request body or a GET request's `variables`/`extensions`.
#: The request object itself is level 1 and `variables` level 2, so variables may nest 62 levels; no real
#: input of this schema nests more than 6.
MAX_JSON_DEPTH = 64
_STRING_FIELDS = ("query", "operationName")
_OBJECT_FIELDS = ("variables", "extensions")


class RequestRefused(Exception):
    """The request is not a GraphQL request this gateway serves (codes: gateway/api/graphql_http.py)."""

    def __init__(self, message: str, *, status: int = 400, code: str = BAD_REQUEST, allow: str = "GET, POST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.headers: dict[str, str] = {"Allow": allow} if status == 405 else {}


def refusal_of(error: HTTPException) -> RequestRefused:
    """Strawberry's plain-text refusals as coded ones (a mutation over GET is 405, as the specification says)."""
    cause = error.__cause__
    code = refusal_code(cause)
    if isinstance(cause, InvalidOperationTypeError):
        return RequestRefused(
            f"{error.reason}: send mutations with POST", status=405, code=METHOD_NOT_ALLOWED, allow="POST"
        )
    if code is not None:
        return RequestRefused(error.reason, code=code)
    if error.status_code == 405:
        return RequestRefused("/graphql answers GET and POST only", status=405, code=METHOD_NOT_ALLOWED)
    if error.status_code == 404:  # a page request (GET, no query, accepting text/html) while GraphiQL is off
        return RequestRefused("no page here: send a GraphQL request (a `query`)", status=404, code=NOT_FOUND)
    status = error.status_code if 400 <= error.status_code < 500 else 400
    return RequestRefused(error.reason, status=status)


def decode_json(data: str | bytes) -> Any:
    """The JSON value of `data`, refused unless it is valid UTF-8 JSON nested at most `MAX_JSON_DEPTH` deep."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):
            raise _too_deep() from None
        raise RequestRefused(f"the request is not valid JSON: {str(error).split(':')[0]}") from None
    if isinstance(value, (dict, list)):
        check_depth(data.encode() if isinstance(data, str) else data)
    return value


#: A JSON string, possessive so that matching never backtracks (run on valid JSON only).
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
#: Opening brackets to 1, closing ones to 255 (-1 as a signed byte), everything else deleted.
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_A_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))


def check_depth(valid_json: bytes) -> None:
    """Refuse JSON text (already known to be valid) nested deeper than `MAX_JSON_DEPTH`.

    Done on the text in a few C-speed passes rather than a Python walk of the decoded value: strings are
    cut out (one left-to-right pass: in valid JSON every quote the pass meets opens a string), each
    remaining bracket becomes a +1 or -1 step, and the deepest nesting is the highest running sum.
    Linear in the size of the body.
    """
    steps = _JSON_STRING.sub(b"", valid_json).translate(_BRACKET_STEPS, _NOT_A_BRACKET)
    if steps and max(accumulate(array("b", steps))) > MAX_JSON_DEPTH:
        raise _too_deep()


def _too_deep() -> RequestRefused:
    return RequestRefused(f"the request's JSON is nested too deep (at most {MAX_JSON_DEPTH} levels)")


async def read_request(request: AsyncHTTPRequestAdapter) -> list[dict[str, Any]] | dict[str, Any]:
    """The request object (or batch) of a GET's parameters or a POST's JSON body; other content types are 415,
    and an Accept header allowing neither response media type 406."""
    if negotiate(request.headers.get("accept")) is None:
        raise RequestRefused(
            "accept application/graphql-response+json or application/json", status=406, code=NOT_ACCEPTABLE
        )
    if request.method == "GET":
        return request_objects(query_params_request(request.query_params))  # type: ignore[arg-type]
    content_type, _ = parse_content_type(request.content_type or "")
    if "application/json" not in content_type:
        raise RequestRefused(
            "send the request as application/json (or a query over GET)", status=415, code=UNSUPPORTED_MEDIA_TYPE
        )
    return request_objects(decode_json(await request.get_body()))


def operations(
    data: list[dict[str, Any]] | dict[str, Any], protocol: GraphQLRequestProtocol
) -> GraphQLRequestData | list[GraphQLRequestData]:
    """Checked request objects as strawberry's request data."""
    items = [
        GraphQLRequestData(
            query=item.get("query"),
            variables=item.get("variables"),
            operation_name=item.get("operationName") or None,  # "" names no operation (the specification)
            extensions=item.get("extensions"),
            protocol=protocol,
        )
        for item in (data if isinstance(data, list) else [data])
    ]
    return items if isinstance(data, list) else items[0]


def query_params_request(params: Mapping[str, str]) -> dict[str, Any]:
    """A GET request's parameters as a request object; `variables` and `extensions` are JSON text (empty: none)."""
    request: dict[str, Any] = {key: params[key] for key in ("query", "operationName") if key in params}
    for key in _OBJECT_FIELDS:
        text = params.get(key)
        if text:
            request[key] = decode_json(text)
    return request


def request_objects(data: Any) -> list[dict[str, Any]] | dict[str, Any]:
    """`data` checked to be one request object or a non-empty batch of them."""
    if isinstance(data, list):
        if not data:
            raise RequestRefused("a batched request must hold at least one operation")
        for index, item in enumerate(data):
            _check_request(item, f"operation {index} of the batch")
        return data
    _check_request(data, "the request")
    return data  # type: ignore[no-any-return]


def _check_request(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise RequestRefused(f"{where} must be a JSON object with a `query`")
    for key in _STRING_FIELDS:
        if not isinstance(item.get(key), (str, type(None))):
            raise RequestRefused(f"`{key}` of {where} must be a string or null")
    for key in _OBJECT_FIELDS:
        if not isinstance(item.get(key), (dict, type(None))):
            raise RequestRefused(f"`{key}` of {where} must be an object or null")
    if not isinstance(item.get("query"), str):
        raise RequestRefused(f"no GraphQL query found in {where}")
