"""Configuration, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///.gateway/gateway.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    host: str
    port: int
    environment: str
    #: GATEWAY_CARRIERS: JSON {"carrier_id": {"url": "...", "name": "..."}} of real-time rate endpoints.
    carriers_json: str | None = None
    carrier_timeout_s: float = 2.0
    #: A request's total time for database work (pool checkout, connect, statements, lock waits): past it,
    #: SERVICE_UNAVAILABLE and the connection is discarded. Connect and statement timeouts also bound
    #: work outside requests; the pool is per process (PostgreSQL; plus 5 overflow connections).
    db_request_deadline_s: float = 3.0
    db_connect_timeout_s: float = 5.0
    db_command_timeout_s: float = 10.0
    db_pool_size: int = 10
    #: How long a process trusts a token it has checked; a revoked token is refused within this time.
    token_cache_ttl_s: float = 2.0
    #: Production turns introspection and GraphiQL off unless these say otherwise.
    introspection: bool | None = None
    graphiql: bool | None = None
    #: GATEWAY_CORS_ORIGINS: browser origins allowed to call the gateway; development also allows every
    #: http(s)://localhost:*, 127.0.0.1:* and [::1]:* page (gateway.cors).
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    max_batch_operations: int = 10
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_cost: int = 20_000
    max_query_tokens: int = 5_000
    #: Development: the tokens file `scripts/serve` writes; GraphiQL's header editor starts with its storefront token.
    graphiql_tokens_file: str | None = None
    #: `/metrics` (Prometheus) and the JSON request log on stdout; GATEWAY_OTEL=1 adds OpenTelemetry tracing.
    metrics: bool = True
    request_log: bool = True
    otel: bool = False
    #: GATEWAY_FAST_PATH=0 runs every query through graphql-core's standard execution (see gateway.api.fastpath).
    fast_path: bool = True
    #: Failed token checks (unknown, revoked, malformed) one client address may make per window before
    #: further requests from it with a token that is not known valid answer 429 (gateway.api.auth_throttle).
    auth_failures_max: int = 20
    auth_failures_window_s: float = 60.0
    #: Client addresses the throttle remembers (least recently seen forgotten first).
    auth_throttle_addresses: int = 10_000
    #: GATEWAY_FORWARDED_ALLOW_IPS: proxies whose X-Forwarded-For `gateway serve` believes (uvicorn's
    #: forwarded_allow_ips, comma-separated); unset: the client address is the TCP peer.
    forwarded_allow_ips: str | None = None
    #: GATEWAY_METRICS_TOKEN: when set, /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: str | None = None
    #: GATEWAY_METRICS_BIND: `host:port` on which metrics are served instead of the public port's /metrics
    #: (prometheus_client's own server, e.g. 127.0.0.1:9100; no token there: bind it to a private address).
    metrics_bind: str | None = None

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def allows_local_origins(self) -> bool:
        return self.environment == "development"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production


@dataclass(frozen=True, slots=True)
class ConnectionBudget:
    """What one server process allows a client connection (applied by gateway.http_protocol)."""

    #: GATEWAY_HTTP_KEEPALIVE_S: an idle connection between requests is closed after this long.
    keepalive_s: float = 5.0
    #: GATEWAY_HTTP_HEADER_TIMEOUT_S: a request's line and headers must arrive within this long.
    header_timeout_s: float = 10.0
    #: GATEWAY_HTTP_BODY_TIMEOUT_S: a request's body must arrive within this long after its headers.
    body_timeout_s: float = 30.0
    #: GATEWAY_MAX_CONNECTIONS: open connections (and requests in flight) per process; 0 means unbounded.
    max_connections: int | None = 1000


def load_connection_budget() -> ConnectionBudget:
    max_connections = int(os.environ.get("GATEWAY_MAX_CONNECTIONS", "1000"))
    return ConnectionBudget(
        keepalive_s=float(os.environ.get("GATEWAY_HTTP_KEEPALIVE_S", "5")),
        header_timeout_s=float(os.environ.get("GATEWAY_HTTP_HEADER_TIMEOUT_S", "10")),
        body_timeout_s=float(os.environ.get("GATEWAY_HTTP_BODY_TIMEOUT_S", "30")),
        max_connections=max_connections if max_connections > 0 else None,
    )


def database_url_from_env() -> str:
    return os.environ.get("GATEWAY_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _flag(name: str) -> bool | None:
    value = os.environ.get(name)
    return None if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def load_settings() -> Settings:
    return Settings(
        database_url=database_url_from_env(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        environment=os.environ.get("GATEWAY_ENV", "development"),
        carriers_json=os.environ.get("GATEWAY_CARRIERS"),
        carrier_timeout_s=float(os.environ.get("GATEWAY_CARRIER_TIMEOUT_S", "2")),
        db_request_deadline_s=float(os.environ.get("GATEWAY_DB_REQUEST_DEADLINE_S", "3")),
        db_connect_timeout_s=float(os.environ.get("GATEWAY_DB_CONNECT_TIMEOUT_S", "5")),
        db_command_timeout_s=float(os.environ.get("GATEWAY_DB_COMMAND_TIMEOUT_S", "10")),
        db_pool_size=int(os.environ.get("GATEWAY_DB_POOL_SIZE", "10")),
        token_cache_ttl_s=float(os.environ.get("GATEWAY_TOKEN_CACHE_TTL_S", "2")),
        introspection=_flag("GATEWAY_INTROSPECTION"),
        graphiql=_flag("GATEWAY_GRAPHIQL"),
        cors_origins=tuple(
            origin.strip() for origin in os.environ.get("GATEWAY_CORS_ORIGINS", "").split(",") if origin.strip()
        ),
        max_body_bytes=int(os.environ.get("GATEWAY_MAX_BODY_BYTES", "1048576")),
        max_batch_operations=int(os.environ.get("GATEWAY_MAX_BATCH_OPERATIONS", "10")),
        max_query_depth=int(os.environ.get("GATEWAY_MAX_QUERY_DEPTH", "12")),
        max_query_aliases=int(os.environ.get("GATEWAY_MAX_QUERY_ALIASES", "30")),
        max_query_cost=int(os.environ.get("GATEWAY_MAX_QUERY_COST", "20000")),
        max_query_tokens=int(os.environ.get("GATEWAY_MAX_QUERY_TOKENS", "5000")),
        graphiql_tokens_file=os.environ.get("GATEWAY_GRAPHIQL_TOKENS_FILE") or None,
        metrics=_flag("GATEWAY_METRICS") is not False,
        request_log=_flag("GATEWAY_REQUEST_LOG") is not False,
        otel=_flag("GATEWAY_OTEL") is True,
        fast_path=_flag("GATEWAY_FAST_PATH") is not False,
        auth_failures_max=int(os.environ.get("GATEWAY_AUTH_FAILURES_MAX", "20")),
        auth_failures_window_s=float(os.environ.get("GATEWAY_AUTH_FAILURES_WINDOW_S", "60")),
        auth_throttle_addresses=int(os.environ.get("GATEWAY_AUTH_THROTTLE_ADDRESSES", "10000")),
        forwarded_allow_ips=os.environ.get("GATEWAY_FORWARDED_ALLOW_IPS") or None,
        metrics_token=os.environ.get("GATEWAY_METRICS_TOKEN") or None,
        metrics_bind=os.environ.get("GATEWAY_METRICS_BIND") or None,
    )
