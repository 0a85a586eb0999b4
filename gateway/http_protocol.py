"""uvicorn's HTTP protocol with the gateway's connection budgets: read timeouts and a connection limit.

uvicorn (0.55, httptools) arms its keep-alive timer only after a response has been sent, and cancels it as soon
as any byte arrives. A client that connects and sends nothing, or half a request line, or headers and then half
a body, is therefore held open forever: a few hundred such sockets pin file descriptors and memory. This
subclass adds what uvicorn lacks:

- header timeout (GATEWAY_HTTP_HEADER_TIMEOUT_S): from the moment a connection is opened, or its previous
  response was sent, the request's headers must be complete within this time, else the connection is closed;
- body timeout (GATEWAY_HTTP_BODY_TIMEOUT_S): from the end of the headers, the body must be complete within
  this time, else the connection is closed (the application sees a client disconnect);
- keep-alive (GATEWAY_HTTP_KEEPALIVE_S): uvicorn's own idle timeout between requests, set from the settings;
- connection limit (GATEWAY_MAX_CONNECTIONS): uvicorn's `limit_concurrency` rule (a request that arrives while
  this process holds more connections, or more requests in flight, is refused), but answered with a GraphQL
  JSON `SERVICE_UNAVAILABLE` error and `Retry-After` instead of uvicorn's plain-text 503; and a connection
  opened beyond the limit gets only OVER_LIMIT_GRACE_S to send its headers before it is closed, so the
  sockets held beyond the limit are few and short-lived.

Use it with `uvicorn gateway.app:create_app --factory --http gateway.http_protocol:GatewayHttpProtocol`;
`gateway serve` passes it itself. The settings are read from the environment (gateway.settings) once per process.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from functools import cache
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.settings import ConnectionBudget, load_connection_budget

#: Seconds a refused client is asked to wait before it retries.
RETRY_AFTER_S = 1
#: Seconds a connection opened beyond the limit has to send its request headers (to be refused) before it is
#: closed, so that sockets over the limit are held only briefly whatever the header timeout is.
OVER_LIMIT_GRACE_S = 1.0

_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Any) -> str:
    """The caller's X-Request-Id when well-formed (as the application takes it), else a new one."""
    for name, value in scope.get("headers") or ():
        if name.lower() == b"x-request-id" and _REQUEST_ID.match(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


async def connection_limit_refusal(scope: Any, receive: Any, send: Any) -> None:
    """The ASGI answer to a request over the connection limit: 503, GraphQL JSON without `data` (nothing ran)
    and with the request id, and the connection closes."""
    request_id = _request_id(scope)
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": "the server is at its connection limit; retry shortly",
                    "extensions": {"code": "SERVICE_UNAVAILABLE", "requestId": request_id},
                }
            ],
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"x-request-id", request_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@cache
def _budget() -> ConnectionBudget:
    return load_connection_budget()


class GatewayHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with header and body read timeouts and a JSON answer at the connection limit."""

    def __init__(self, *args: Any, budget: ConnectionBudget | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget or _budget()
        self.timeout_keep_alive = self.budget.keepalive_s  # type: ignore[assignment]  # uvicorn types it as int
        self.limit_concurrency = None  # uvicorn's plain-text refusal is replaced by the check below
        self._read_timer: asyncio.TimerHandle | None = None

    # --- read timeouts ------------------------------------------------------------------------------
    def _arm_read_timer(self, seconds: float) -> None:
        self._cancel_read_timer()
        self._read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        """The client did not finish sending its request in time: drop the connection."""
        self._read_timer = None
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            return  # a complete (pipelined) request is being served: its time is the application's
        if not self.transport.is_closing():
            self.logger.debug("closing a connection that did not send a complete request in time")
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limit = self.budget.max_connections
        if limit is not None and len(self.connections) > limit:
            # Over the limit: a moment to send its request (and get the JSON 503), then it is dropped.
            self._arm_read_timer(min(self.budget.header_timeout_s, OVER_LIMIT_GRACE_S))
        else:
            self._arm_read_timer(self.budget.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        limit = self.budget.max_connections
        over_limit = limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit)
        app = self.app
        if over_limit:
            self.logger.warning("connection limit (%s) reached: request refused with 503", limit)
            self.app = connection_limit_refusal
        try:
            super().on_headers_complete()
        finally:
            self.app = app
        self._arm_read_timer(self.budget.body_timeout_s)

    def on_message_complete(self) -> None:
        self._cancel_read_timer()  # the whole request is in: the application's time is not bounded here
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # The next request's headers (after keep-alive's idle wait, or a partial request) get the same bound.
            self._arm_read_timer(self.budget.header_timeout_s)
