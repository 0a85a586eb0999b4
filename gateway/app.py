"""The ASGI application: settings, engine, schema, routes and middleware are wired here and only here."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from gateway import demo_carrier
from gateway.api.auth_throttle import AuthThrottle, AuthThrottled, client_address
from gateway.api.context import Context
from gateway.api.errors import shape_errors
from gateway.api.express import DEADLINE_SCOPE_KEY, ExpressLane
from gateway.api.graphql_http import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    RATE_LIMITED,
    REQUEST_TOO_LARGE,
    TOO_MANY_OPERATIONS,
    WWW_AUTHENTICATE,
    incoming_request_id,
    is_request_error,
    media_type_of,
    presented_token,
    request_error_status,
    request_id_of,
)
from gateway.api.limits import QueryLimits
from gateway.api.loaders import Loaders
from gateway.api.request_body import RequestRefused, decode_json, operations, read_request, refusal_of
from gateway.api.schema import GatewaySchema, build_schema, express_entries
from gateway.carriers import DEMO_CARRIER_PATH, HttpCarrierTransport, carrier_registry
from gateway.cors import Cors
from gateway.domain.quotes import SetupCache
from gateway.domain.tokens import Principal, PrincipalCache, authenticate
from gateway.graphiql import GraphiQLPage, asset_routes
from gateway.observability import (
    RequestObserver,
    configure_request_log,
    guarded_metrics_endpoint,
    metrics_endpoint,
    observe_batch,
    observe_engine,
    record_refused_operation,
    serve_metrics_on,
)
from gateway.settings import Settings, load_settings
from gateway.storage.db import RequestReads, create_engine
from gateway.storage.health import database_revision, is_unavailable
from gateway.storage.migrate import head_revision

log = logging.getLogger("gateway.app")
# aiosqlite logs every statement with its parameters at DEBUG (carrier credentials included): never.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
    media_type: str = JSON,
) -> Response:
    """A refusal as a GraphQL response without `data` (nothing was executed), in `media_type`."""
    extensions: dict[str, Any] = {"code": code}
    if request_id:
        extensions["requestId"] = request_id
    headers = {**(headers or {}), **({"X-Request-Id": request_id} if request_id else {})}
    response = Response(
        orjson.dumps({"errors": [{"message": message, "extensions": extensions}]}), status_code=status, headers=headers
    )
    response.headers["content-type"] = CONTENT_TYPES[media_type]
    return response


class TooManyOperations(Exception):
    """A batched request with more operations than allowed."""


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(
        self, schema: GatewaySchema, engine: AsyncEngine, settings: Settings, carriers: HttpCarrierTransport
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql_enabled else None)
        self.engine = engine
        self.carriers = carriers
        self.principals = PrincipalCache(settings.token_cache_ttl_s)
        self.shipping_setups = SetupCache()
        self.throttle = AuthThrottle(
            settings.auth_failures_max, settings.auth_failures_window_s, settings.auth_throttle_addresses
        )
        self.graphiql_page = GraphiQLPage.from_settings(settings) if settings.graphiql_enabled else None
        self.hide_schema = not settings.introspection_enabled  # no "Did you mean ..." naming schema members
        entries = express_entries(schema)
        self.express = ExpressLane(self, entries, settings.max_query_cost) if entries is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            try:
                await self._serve(scope, receive, send)
            finally:
                reads = scope.get("gateway_reads")
                if reads is not None:  # a request refused before execution still returns its connection
                    await reads.close()
        except TooManyOperations as error:
            refused = error_response(
                400, TOO_MANY_OPERATIONS, str(error), request_id_of(scope), None, media_type_of(scope)
            )
            await refused(scope, receive, send)
        except AuthThrottled as error:
            throttled = error_response(429, RATE_LIMITED, str(error), request_id_of(scope), None, media_type_of(scope))
            throttled.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after)))
            await throttled(scope, receive, send)
        except ClientDisconnect:
            raise
        except Exception as error:
            # Outside GraphQL execution (authentication, request parsing): never a stack trace to the client.
            request_id = request_id_of(scope)
            media_type = media_type_of(scope)
            if is_unavailable(error):
                log.warning("database unavailable (request %s): %s", request_id, type(error).__name__)
                response = error_response(
                    503,
                    "SERVICE_UNAVAILABLE",
                    "the database is unavailable; retry shortly",
                    request_id,
                    None,
                    media_type,
                )
            else:
                log.error("unexpected error outside execution (request %s)", request_id, exc_info=error)
                response = error_response(
                    500, "INTERNAL_SERVER_ERROR", "Internal server error", request_id, None, media_type
                )
            await response(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's view, with every refusal before execution a GraphQL JSON answer with a code, in the
        negotiated media type with the GraphQL-over-HTTP status codes (gateway/api/graphql_http.py)."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        if self.express is not None and scope["method"] == "POST":
            answered, receive = await self.express.serve(scope, receive, send)
            if answered:
                return
        try:
            response = await self.run(Request(scope, receive))
        except (HTTPException, RequestRefused) as error:
            refusal = refusal_of(error) if isinstance(error, HTTPException) else error
            response = error_response(
                refusal.status,
                refusal.code,
                refusal.message,
                request_id_of(scope),
                refusal.headers,
                media_type_of(scope),
            )
        else:
            if media_type_of(scope) == GRAPHQL_RESPONSE_JSON and response.media_type == JSON:
                response.headers["content-type"] = CONTENT_TYPES[GRAPHQL_RESPONSE_JSON]
                status = scope.get("gateway_request_error_status")
                if status is not None and not scope.get("gateway_batch"):
                    response.status_code = status
                    if status == 401:
                        response.headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        return decode_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        return decode_json(data)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operations; anything but a GraphQL request is refused (gateway/api/request_body.py)."""
        transport = self._get_stream_transport_from_headers(request.headers)
        protocol: Any = transport.protocol if transport else "http"
        data = await read_request(request)
        if isinstance(data, list):
            self._validate_batch_request(data, protocol)
        return operations(data, protocol)

    def _validate_batch_request(self, request_data: Any, protocol: Any) -> None:
        limit = self.schema.config.batching_config["max_operations"]  # type: ignore[index]
        if isinstance(request_data, list) and len(request_data) > limit:
            raise TooManyOperations(f"a batch may hold at most {limit} operations, not {len(request_data)}")
        super()._validate_batch_request(request_data, protocol)

    async def get_context(self, request: Any, response: Any) -> Context:
        request_id = request_id_of(request.scope)
        response.headers["X-Request-Id"] = request_id
        # The token lookup and every read of the request share it, within the request's one database deadline
        # (already started when the express lane tried the request first).
        reads = RequestReads(self.engine, request.scope.get(DEADLINE_SCOPE_KEY))
        request.scope["gateway_reads"] = reads
        token = presented_token(request.headers)
        address = client_address(request.scope)
        if token is not None and self.principals.get(token) is None:
            self.throttle.check(address, token)  # raises AuthThrottled: 429 without a lookup
        # The token is looked up lazily, by access control after parsing and validation succeeded.
        return Context(
            request=request,
            response=response,
            engine=self.engine,
            carriers=self.carriers,
            request_id=request_id,
            shipping_setups=self.shipping_setups,
            lookup=(lambda: self._principal(token, reads, address)) if token is not None else None,
            _reads=reads,
        )

    async def _principal(self, token: str, reads: RequestReads, address: str) -> Principal | None:
        principal = self.principals.get(token)
        if principal is None:
            principal = await reads.run(lambda conn: authenticate(conn, token))
            self.throttle.record(address, token, valid=principal is not None)
            if principal is not None:
                self.principals.put(token, principal)
        return principal

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        """One operation; in a batch, a refusal of one operation (unknown or ambiguous operation name) is that
        operation's answer, so the others complete and the client sees which ran."""
        try:
            return await super().execute_single(*args, **kwargs)
        except HTTPException as error:
            request = kwargs["request"]
            if not request.scope.get("gateway_batch"):
                raise
            refusal = refusal_of(error)
            record_refused_operation(refusal.code)
            extensions = {"code": refusal.code, "requestId": request_id_of(request.scope)}
            return StrawberryExecutionResult(data=None, errors=[GraphQLError(refusal.message, extensions=extensions)])

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        request = kwargs.get("request")
        if request is not None and isinstance(kwargs.get("request_data"), list):
            request.scope["gateway_batch"] = True  # a batch is answered 200, one entry per operation
        try:
            return await super().execute_operation(*args, **kwargs)
        finally:
            # The request's shared read connection goes back to the pool before the response is encoded.
            context = kwargs.get("context")
            if isinstance(context, Context):
                await context.reads.close()

    async def process_result(self, request: Any, result: Any) -> Any:
        # Parse and validation errors never reach the schema's extensions: shape them here too.
        if result.errors:
            result.errors = shape_errors(result.errors, request.scope.get("gateway_request_id"), self.hide_schema)
        response = await super().process_result(request, result)
        if media_type_of(request.scope) == GRAPHQL_RESPONSE_JSON and is_request_error(result.data, result.errors):
            # Nothing executed: no `data` entry, and (for a single operation) a 4xx/5xx status from the codes;
            # like every refusal, each error names the request id.
            response.pop("data", None)
            request_id = request_id_of(request.scope)
            for error in response.get("errors") or ():
                # A new dict: the extensions may belong to a cached validation error, shared by other requests.
                extensions = error.get("extensions") or {}
                error["extensions"] = {**extensions, "requestId": extensions.get("requestId") or request_id}
            codes = [str((error.extensions or {}).get("code")) for error in result.errors or ()]
            request.scope["gateway_request_error_status"] = request_error_status(codes)
        return response

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def render_graphql_ide(self, request: Any) -> Response:
        """GraphiQL with its assets served from this gateway, under a strict Content-Security-Policy."""
        assert self.graphiql_page is not None
        return self.graphiql_page.response()


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        too_large = False

        async def limited() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        except ClientDisconnect:
            if not too_large:
                raise
        if too_large and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            REQUEST_TOO_LARGE,
            f"request bodies are limited to {self.max_bytes} bytes",
            request_id_of(scope),
            None,
            media_type_of(scope),
        )
        await response(scope, receive, send)


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    settings = settings or load_settings()
    engine = engine or create_engine(
        settings.database_url,
        request_deadline_s=settings.db_request_deadline_s,
        pool_size=settings.db_pool_size,
        connect_timeout_s=settings.db_connect_timeout_s,
        command_timeout_s=settings.db_command_timeout_s,
    )
    carriers = HttpCarrierTransport(carrier_registry(settings), settings.carrier_timeout_s)
    Loaders.on_batch = observe_batch  # DataLoader batch sizes on /metrics
    schema = build_schema(
        QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_cost=settings.max_query_cost,
            max_tokens=settings.max_query_tokens,
        ),
        introspection=settings.introspection_enabled,
        max_batch_operations=settings.max_batch_operations,
        tracing=settings.otel,
        fast_path=settings.fast_path,
    )
    graphql = GatewayGraphQL(schema, engine, settings, carriers)
    observe_engine(engine)
    configure_request_log(settings.request_log)

    async def health(_: Request) -> Response:
        """The process is alive."""
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> Response:
        """The database answers (within a second) and its schema is at the migrations' head."""
        try:
            current = await database_revision(engine)
        except Exception as error:  # noqa: BLE001 - any failure means not ready; the reason is logged
            log.warning("not ready: %s", type(error).__name__)
            return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
        head = head_revision()
        if current != head:
            return JSONResponse(
                {"status": "unavailable", "reason": f"migrations at {current}, code expects {head}"}, status_code=503
            )
        return JSONResponse({"status": "ready", "migration": current})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop_metrics = serve_metrics_on(settings.metrics_bind) if settings.metrics and settings.metrics_bind else None
        yield
        if stop_metrics is not None:
            stop_metrics()
        await carriers.aclose()
        await engine.dispose()

    routes = [
        Route("/graphql", graphql),  # every method: the view answers the others 405 in GraphQL JSON
        Route("/health", health),
        Route("/ready", ready),
    ]
    if settings.environment == "development":
        routes.append(Route(DEMO_CARRIER_PATH, demo_carrier.rates, methods=["POST"]))
    if settings.metrics and not settings.metrics_bind:
        metrics = guarded_metrics_endpoint(settings.metrics_token) if settings.metrics_token else metrics_endpoint
        routes.append(Route("/metrics", metrics))
    if settings.graphiql_enabled:
        routes += asset_routes()
    # RequestObserver first (outermost): it also sees requests BodyLimit refuses.
    middleware = [Middleware(RequestObserver), Middleware(BodyLimit, max_bytes=settings.max_body_bytes)]
    middleware.append(
        Middleware(
            Cors,
            origins=settings.cors_origins,
            local_origins=settings.allows_local_origins,
            refuse=lambda reason, request_id: error_response(403, "CORS_ORIGIN_NOT_ALLOWED", reason, request_id),
            request_id=incoming_request_id,
        )
    )
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.engine = engine
    app.state.settings = settings
    app.state.carriers = carriers
    return app
