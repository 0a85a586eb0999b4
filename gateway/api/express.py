"""The express lane: a compiled query answered without strawberry's HTTP view and extension stack.

A document whose compiled plan answered once through the standard path (parsed, within the limits,
validated, access checked, executed by `gateway.api.fastpath`) is admitted here by (query text,
operationName) with what that path learnt about it: the plan, the rights it needs and its cost. Each
later request for it that is a plain `POST` of `application/json` holding only `query`, `variables` and
`operationName`, from a caller whose token this process checked recently (the token cache), and that
needs no refusal, is answered here: orjson in, the plan run, orjson out, with the same status, headers
and body the standard path gives (tests/test_fastpath_differential.py compares them), the same
operation metrics and request log line.

Everything else, and any request the lane cannot finish (a variable to coerce wrongly, a resolver error,
a null in a non-null position, an unknown or rejected token, NUL in a variable, a refused right), goes
through the standard path with its body replayed, which produces the standard answer: the lane never
answers an error itself.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from gateway.api.context import Context
from gateway.api.fastpath.admitted import Admitted, ExpressEntries
from gateway.api.fastpath.run import execute_plan
from gateway.api.graphql_http import CONTENT_TYPES, JSON, negotiate, presented_token, request_id_of
from gateway.api.limits import contains_nul
from gateway.api.permissions import refusals
from gateway.observability import record_operation

log = logging.getLogger("gateway.fastpath")

_KEYS = frozenset({"query", "variables", "operationName"})
#: Where a request the lane tried hands its database deadline to the standard path: a request gets one
#: deadline in all, however it is answered (a stalled database answers within it, not within two).
DEADLINE_SCOPE_KEY = "gateway_deadline"


class ExpressLane:
    """Serves admitted documents; `serve` returns False (and a `receive` replaying the body) to hand a
    request to the standard path."""

    def __init__(self, app: Any, entries: ExpressEntries, max_cost: int) -> None:
        self.app = app  # the GatewayGraphQL view: engine, carriers, token cache, schema, request ids
        self.entries = entries
        self.max_cost = max_cost

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> tuple[bool, Receive]:
        headers = Headers(scope=scope)
        if headers.get("content-type", "").split(";", 1)[0].strip().lower() != JSON:
            return False, receive
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return False, _replay(messages, receive)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replay = _replay(messages, receive)
        started = time.perf_counter()
        try:
            answer = await self._answer(scope, headers, b"".join(chunks))
        except Exception:  # noqa: BLE001 - the standard path answers it properly
            log.debug("express lane declined; the standard path takes over", exc_info=True)
            answer = None
        if answer is None:
            return False, replay
        payload, raw_headers, entry = answer
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})
        self.entries.answered += 1
        record_operation(entry.name, "query", time.perf_counter() - started)
        return True, replay

    async def _answer(
        self, scope: Scope, headers: Headers, body: bytes
    ) -> tuple[bytes, list[tuple[bytes, bytes]], Admitted] | None:
        """The response body and headers, or None to hand the request to the standard path."""
        request = orjson.loads(body)
        if type(request) is not dict or not _KEYS.issuperset(request):
            return None
        query, variables, operation_name = request.get("query"), request.get("variables"), request.get("operationName")
        if type(query) is not str or (operation_name is not None and type(operation_name) is not str):
            return None
        entry = self.entries.get(query, operation_name)
        if entry is None or entry.cost > self.max_cost:
            return None
        if variables is not None and (type(variables) is not dict or contains_nul(variables)):
            return None
        media_type = negotiate(headers.get("accept"))
        if media_type is None:
            return None
        token = presented_token(headers)
        app = self.app
        principal = app.principals.get(token) if token is not None else None
        if principal is None or refusals(entry.needs, principal):
            return None  # the standard path looks the token up, or refuses with the right code
        request_id = request_id_of(scope)
        context = Context(
            request=None,
            response=None,
            engine=app.engine,
            carriers=app.carriers,
            request_id=request_id,
            principal=principal,
            shipping_setups=app.shipping_setups,
        )
        scope[DEADLINE_SCOPE_KEY] = context.reads.deadline
        try:
            data = await execute_plan(app.schema, entry.plan, context, None, variables)
        finally:
            await context.reads.close()
        payload = orjson.dumps({"data": data})
        raw_headers = [
            (b"content-length", str(len(payload)).encode()),
            (b"content-type", CONTENT_TYPES[media_type].encode()),
            (b"x-request-id", request_id.encode()),
        ]
        return payload, raw_headers, entry


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
