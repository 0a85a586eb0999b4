"""What an operator sees: one JSON log line per GraphQL request, Prometheus metrics, optional tracing.

Everything here hooks in once per request or once per operation, never per field:

- `RequestObserver` (ASGI middleware, outermost) times each `/graphql` request, counts its SQL statements
  (an engine `before_cursor_execute` listener adds to the request's `RequestStats`, found through a context
  variable that DataLoader batches and batched operations inherit) and writes the log line.
- `OperationObserver` (schema extension, first in the list so it sees errors after they were shaped)
  records each operation's name, type, duration and error codes; `observe_batch` (the app sets it as
  `Loaders.on_batch`) measures DataLoader batch sizes.
- `GatewayTracing`: strawberry's `OpenTelemetryExtension` without its per-field resolver spans and without
  the query text on the span; only with `GATEWAY_OTEL=1` and when the OpenTelemetry SDK is importable.

The log line holds ids, names, numbers and error codes only: never a token, an address, the query text or
variables. Operation names come from the parsed document (never the raw `operationName` of the request).
"""

from __future__ import annotations

import hmac
import importlib.util
import logging
import re
import sys
import time
import weakref
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from graphql import GraphQLError, OperationDefinitionNode
from graphql.utilities import get_operation_ast
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.api.errors import shape_errors
from gateway.api.graphql_http import refusal_code

request_log = logging.getLogger("gateway.requests")
log = logging.getLogger("gateway.observability")

GRAPHQL_PATH = "/graphql"
#: Distinct operation names one process labels metrics with; later names are counted as "other", so a
#: client inventing names cannot grow the metrics without bound.
MAX_OPERATION_LABELS = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_TOKEN_LIKE = re.compile(r"^gws[fk]_", re.IGNORECASE)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_STATUS_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}

# --- metrics ------------------------------------------------------------------------------------------

# `*_created` timestamps double the series and tell nothing the process start time does not.
disable_created_metrics()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter(
    "gateway_graphql_operations",
    "GraphQL operations executed, by operation name, type and outcome (ok: no top-level error).",
    ["operation", "operation_type", "outcome"],
)
LATENCY = Histogram(
    "gateway_graphql_operation_duration_seconds",
    "Time from parsing to the result of one GraphQL operation.",
    ["operation", "operation_type"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter(
    "gateway_graphql_errors",
    "Top-level GraphQL errors (and refused HTTP requests) by extensions.code.",
    ["code"],
)
USER_ERRORS = Counter(
    "gateway_graphql_user_errors",
    "UserError entries in mutation payloads (refused inputs) by code.",
    ["code"],
)
HTTP_RESPONSES = Counter(
    "gateway_graphql_http_responses",
    "Responses of the GraphQL endpoint by HTTP status.",
    ["status"],
)
HTTP_LATENCY = Histogram(
    "gateway_graphql_http_request_duration_seconds",
    "Time to answer one HTTP request to the GraphQL endpoint (a batch counts once).",
    buckets=LATENCY_BUCKETS,
)
SQL_STATEMENTS = Histogram(
    "gateway_graphql_sql_statements_per_request",
    "SQL statements one HTTP request to the GraphQL endpoint sent to the database.",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200, 500),
)
BATCH_SIZES = Histogram(
    "gateway_dataloader_batch_size",
    "Keys per DataLoader batch (one SQL query each), by loader.",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)


class PoolCollector(Collector):
    """Database connection pool usage, read from the live engines at scrape time."""

    def __init__(self) -> None:
        self.engines: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        families = {
            "size": GaugeMetricFamily("gateway_db_pool_size", "Connections the pool keeps.", labels=["backend"]),
            "checked_out": GaugeMetricFamily(
                "gateway_db_pool_checked_out", "Connections in use right now.", labels=["backend"]
            ),
            "idle": GaugeMetricFamily(
                "gateway_db_pool_idle", "Open connections waiting in the pool.", labels=["backend"]
            ),
            "overflow": GaugeMetricFamily(
                "gateway_db_pool_overflow", "Connections open beyond the pool size.", labels=["backend"]
            ),
        }
        totals: dict[str, dict[str, float]] = {}
        for sync_engine in list(self.engines):
            pool = sync_engine.pool
            backend = sync_engine.dialect.name
            values = totals.setdefault(backend, dict.fromkeys(families, 0.0))
            for key, method in (("size", "size"), ("checked_out", "checkedout"), ("idle", "checkedin")):
                reader = getattr(pool, method, None)
                if callable(reader):
                    values[key] += float(reader())
            overflow = getattr(pool, "overflow", None)
            if callable(overflow):
                values["overflow"] += float(max(overflow(), 0))
        for backend, values in sorted(totals.items()):
            for key, family in families.items():
                family.add_metric([backend], values[key])
        yield from families.values()


POOLS = PoolCollector()
REGISTRY.register(POOLS)


def metrics_response() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def metrics_endpoint(_: Request) -> Response:
    """Prometheus text format: every metric of this process."""
    return metrics_response()


_METRICS_REFUSAL = orjson.dumps(
    {
        "data": None,
        "errors": [
            {
                "message": "/metrics needs the metrics token: Authorization: Bearer <GATEWAY_METRICS_TOKEN>",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
)


def serve_metrics_on(bind: str) -> Any:
    """Serve this process's metrics on their own `host:port` (GATEWAY_METRICS_BIND, e.g. a private
    interface), in prometheus_client's own thread; returns the function that stops it. With several worker
    processes only the first to bind serves (the others log a warning)."""
    host, _, port = bind.rpartition(":")
    try:
        server, thread = start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=REGISTRY)
    except OSError as error:
        log.warning("metrics not served on %s: %s", bind, error)
        return lambda: None

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def guarded_metrics_endpoint(token: str) -> Any:
    """`metrics_endpoint` that answers only `Authorization: Bearer <token>` (compared in constant time);
    anything else gets 401 JSON, so a scraper's credentials are all an exposed port gives away."""
    expected = f"Bearer {token}".encode()

    async def endpoint(request: Request) -> Response:
        presented = request.headers.get("authorization", "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(presented, expected):
            return Response(
                _METRICS_REFUSAL,
                status_code=401,
                media_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return metrics_response()

    return endpoint


class _OperationLabels:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, name: str) -> str:
        if name in self.seen:
            return name
        if len(self.seen) >= self.limit:
            return "other"
        self.seen.add(name)
        return name


operation_label = _OperationLabels(MAX_OPERATION_LABELS)

# --- per-request statistics ---------------------------------------------------------------------------


@dataclass(slots=True)
class OperationRecord:
    name: str
    type: str
    duration_s: float
    error_codes: list[str]
    user_error_codes: list[str]


@dataclass(slots=True)
class RequestStats:
    sql_statements: int = 0
    operations: list[OperationRecord] = field(default_factory=list)


_current: ContextVar[RequestStats | None] = ContextVar("gateway_request_stats", default=None)


def current_stats() -> RequestStats | None:
    return _current.get()


def _count_statement(*_: Any) -> None:
    stats = _current.get()
    if stats is not None:
        stats.sql_statements += 1


def observe_engine(engine: AsyncEngine) -> None:
    """Count this engine's statements per request and report its pool at /metrics (idempotent)."""
    target = engine.sync_engine
    if not event.contains(target, "before_cursor_execute", _count_statement):
        event.listen(target, "before_cursor_execute", _count_statement)
    POOLS.engines.add(target)


# --- the schema extension -----------------------------------------------------------------------------


def _safe_name(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.match(name) or _TOKEN_LIKE.match(name):
        return "redacted"
    return name


def error_codes(errors: Iterable[GraphQLError] | None) -> list[str]:
    codes: list[str] = []
    for error in errors or ():
        code = (error.extensions or {}).get("code")
        codes.append(code if isinstance(code, str) and _NAME.match(code) else "UNKNOWN")
    return codes


def user_error_codes(data: Any) -> list[str]:
    """Codes of the `errors: [UserError!]!` lists of the root fields' payloads (mutations)."""
    codes: list[str] = []
    if not isinstance(data, dict):
        return codes
    for payload in data.values():
        if isinstance(payload, dict):
            errors = payload.get("errors")
            if isinstance(errors, list):
                for error in errors:
                    code = error.get("code") if isinstance(error, dict) else None
                    if isinstance(code, str) and _NAME.match(code):
                        codes.append(code)
    return codes


def _as_graphql_error(error: BaseException) -> GraphQLError:
    """The error strawberry will report for an exception that escaped the operation (a copy: shaping it
    here must not change what the client gets)."""
    if isinstance(error, GraphQLError):
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            path=error.path,
            original_error=error.original_error,
            extensions=dict(error.extensions or {}),
        )
    return GraphQLError(str(error), original_error=error)


_BATCH_HISTOGRAMS: dict[str, Any] = {}


def observe_batch(loader_name: str, size: int) -> None:
    """`Loaders.on_batch`: one histogram sample per DataLoader batch."""
    histogram = _BATCH_HISTOGRAMS.get(loader_name)
    if histogram is None:
        histogram = _BATCH_HISTOGRAMS[loader_name] = BATCH_SIZES.labels(loader=loader_name)
    histogram.observe(size)


class OperationObserver(SchemaExtension):
    """Per operation: name, type, duration, error codes. No per-field hook."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        escaped: BaseException | None = None
        try:
            yield
        except BaseException as error:
            # E.g. a syntax error raised inside the parser cache's hook: strawberry turns it into the
            # response's only error after the extensions have exited.
            escaped = error
            raise
        finally:
            self._record(time.perf_counter() - started, escaped)

    def _operation(self) -> OperationDefinitionNode | None:
        ctx = self.execution_context
        if ctx.graphql_document is None:
            return None
        try:
            return get_operation_ast(ctx.graphql_document, ctx.operation_name)
        except Exception:  # noqa: BLE001
            return None

    def _record(self, duration_s: float, escaped: BaseException | None) -> None:
        if refusal_code(escaped) is not None:
            # Refused before execution (unknown or ambiguous operation, wrong method, no query): the view answers
            # it as an HTTP refusal, whose code the request line takes from the response body.
            return
        operation = self._operation()
        if operation is None:
            name, kind = "invalid", "unknown"
        else:
            name, kind = safe_operation_name(operation), operation.operation.value
        result = self.execution_context.result
        codes = error_codes(getattr(result, "errors", None))
        if escaped is not None and not codes:
            codes = error_codes(shape_errors([_as_graphql_error(escaped)], None))
        user_codes = user_error_codes(getattr(result, "data", None)) if kind == "mutation" else []
        record_operation(name, kind, duration_s, codes, user_codes)


def safe_operation_name(operation: OperationDefinitionNode) -> str:
    """The name metrics and the request log give an operation (never a token-like or malformed name)."""
    return _safe_name(operation.name.value if operation.name else None)


#: The metric series of each (operation label, operation type), looked up once.
_OPERATION_SERIES: dict[tuple[str, str], tuple[Any, Any, Any]] = {}


def record_operation(
    name: str, kind: str, duration_s: float, codes: list[str] | None = None, user_codes: list[str] | None = None
) -> None:
    """One executed operation on /metrics and in its request's log line (both entries share it)."""
    codes, user_codes = codes or [], user_codes or []
    label = operation_label(name)
    series = _OPERATION_SERIES.get((label, kind))
    if series is None:  # the label values of an operation are bounded (`operation_label`), so is this
        series = _OPERATION_SERIES[(label, kind)] = (
            REQUESTS.labels(operation=label, operation_type=kind, outcome="ok"),
            REQUESTS.labels(operation=label, operation_type=kind, outcome="error"),
            LATENCY.labels(operation=label, operation_type=kind),
        )
    ok, failed, latency = series
    (failed if codes else ok).inc()
    latency.observe(duration_s)
    for code in codes:
        ERRORS.labels(code=code).inc()
    for code in user_codes:
        USER_ERRORS.labels(code=code).inc()
    stats = _current.get()
    if stats is not None:
        stats.operations.append(OperationRecord(name, kind, duration_s, codes, user_codes))


def record_refused_operation(code: str) -> None:
    """An operation of a batch refused before execution (its answer is that one error): counted and logged
    like an operation, so the request's line names its code."""
    REQUESTS.labels(operation="invalid", operation_type="unknown", outcome="error").inc()
    ERRORS.labels(code=code).inc()
    stats = _current.get()
    if stats is not None:
        stats.operations.append(OperationRecord("invalid", "unknown", 0.0, [code], []))


# --- the ASGI middleware and the log line -------------------------------------------------------------


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stdout` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_request_log(enabled: bool = True) -> None:
    """Send `gateway.requests` lines, already JSON, to stdout as they are (idempotent)."""
    request_log.setLevel(logging.INFO if enabled else logging.WARNING)
    request_log.propagate = False
    if not any(isinstance(handler, _StdoutHandler) for handler in request_log.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        request_log.addHandler(handler)


def _header(scope_or_message: Any, name: bytes) -> str | None:
    for key, value in scope_or_message.get("headers") or ():
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _codes_from_body(body: bytes) -> list[str]:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    errors = decoded.get("errors") if isinstance(decoded, dict) else None
    codes: list[str] = []
    for error in errors if isinstance(errors, list) else ():
        code = ((error or {}).get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if isinstance(code, str) and _NAME.match(code):
            codes.append(code)
    return codes


class RequestObserver:
    """Times every request to the GraphQL endpoint, counts its SQL statements, logs one JSON line."""

    #: Error bodies above this size are not read for their codes (they are tiny JSON objects).
    MAX_ERROR_BODY = 16_384

    def __init__(self, app: ASGIApp, path: str = GRAPHQL_PATH) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        stats = RequestStats()
        token = _current.set(stats)
        started = time.perf_counter()
        status = 500
        request_id: str | None = None
        content_type = ""
        error_body = bytearray()

        async def observing_send(message: Message) -> None:
            nonlocal status, request_id, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                request_id = _header(message, b"x-request-id")
                content_type = _header(message, b"content-type") or ""
            elif message["type"] == "http.response.body" and status != 200:
                if len(error_body) < self.MAX_ERROR_BODY:
                    error_body.extend(message.get("body", b"")[: self.MAX_ERROR_BODY])
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            _current.reset(token)
            duration_s = time.perf_counter() - started
            # The GraphiQL page (a browser's GET) is not a GraphQL request.
            if stats.operations or status != 200 or not content_type.startswith("text/html"):
                self._finish(scope, stats, status, request_id, bytes(error_body), duration_s)

    def _finish(
        self,
        scope: Scope,
        stats: RequestStats,
        status: int,
        request_id: str | None,
        error_body: bytes,
        duration_s: float,
    ) -> None:
        try:
            codes = [code for operation in stats.operations for code in operation.error_codes]
            if status >= 400 and not stats.operations:
                http_codes = _codes_from_body(error_body) or [_STATUS_CODES.get(status, f"HTTP_{status}")]
                for code in http_codes:
                    ERRORS.labels(code=code).inc()
                codes += http_codes
            HTTP_RESPONSES.labels(status=str(status)).inc()
            HTTP_LATENCY.observe(duration_s)
            SQL_STATEMENTS.observe(stats.sql_statements)
            if not request_log.isEnabledFor(logging.INFO):
                return
            if request_id is None:
                incoming = _header(scope, b"x-request-id") or ""
                request_id = incoming if _REQUEST_ID.match(incoming) else None
            names = [operation.name for operation in stats.operations]
            kinds = sorted({operation.type for operation in stats.operations})
            line: dict[str, Any] = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": "info" if status < 500 else "error",
                "event": "graphql_request",
                "request_id": request_id,
                "method": scope.get("method"),
                "status": status,
                "operation": ",".join(names) if names else None,
                "operation_type": ",".join(kinds) if kinds else None,
                "operations": len(names),
                "duration_ms": round(duration_s * 1000, 2),
                "sql_statements": stats.sql_statements,
                "error_codes": codes,
                "user_error_codes": [code for operation in stats.operations for code in operation.user_error_codes],
            }
            request_log.info(orjson.dumps(line).decode())
        except Exception:  # noqa: BLE001 - observing must never break a response
            log.warning("could not record a request", exc_info=True)


# --- OpenTelemetry (optional) -------------------------------------------------------------------------


def opentelemetry_sdk_available() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.sdk") is not None
    except (ImportError, ValueError):
        return False


def tracing_extensions(enabled: bool, tracer_provider: Any | None = None) -> list[Any]:
    """`[GatewayTracing]` when tracing is asked for and the OpenTelemetry SDK is installed, else `[]`."""
    if not enabled:
        return []
    if not opentelemetry_sdk_available():
        log.warning("GATEWAY_OTEL=1 but the OpenTelemetry SDK is not installed: tracing is off")
        return []
    from gateway.tracing import GatewayTracing, ensure_tracer_provider

    provider = tracer_provider if tracer_provider is not None else ensure_tracer_provider()
    return [lambda: GatewayTracing(tracer_provider=provider)]
