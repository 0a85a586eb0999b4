"""The ASGI application: settings, engine, schema, routes and middleware are wired here and only here."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from gateway import demo_carrier
from gateway.api.context import Context
from gateway.api.errors import shape_errors
from gateway.api.schema import schema
from gateway.carriers import CarrierEndpoint, HttpCarrierTransport, parse_registry
from gateway.domain.tokens import PrincipalCache, authenticate
from gateway.settings import Settings, load_settings
from gateway.storage.db import create_engine, read_connection

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def presented_token(request: Request) -> str | None:
    token = request.headers.get("x-auth-token")
    if token:
        return token.strip()
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


class GatewayGraphQL(GraphQL[Context, None]):
    def __init__(self, engine: AsyncEngine, settings: Settings, carriers: HttpCarrierTransport) -> None:
        super().__init__(schema, graphql_ide="graphiql" if not settings.is_production else None)
        self.engine = engine
        self.carriers = carriers
        self.principals = PrincipalCache(settings.token_cache_ttl_s)

    async def get_context(self, request: Any, response: Any) -> Context:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        request.scope["gateway_request_id"] = request_id
        token = presented_token(request)
        principal = None
        if token is not None:
            principal = self.principals.get(token)
            if principal is None:
                async with read_connection(self.engine) as conn:
                    principal = await authenticate(conn, token)
                if principal is not None:
                    self.principals.put(token, principal)
        return Context(
            request=request,
            response=response,
            engine=self.engine,
            carriers=self.carriers,
            request_id=request_id,
            principal=principal,
            token_rejected=token is not None and principal is None,
        )

    async def process_result(self, request: Any, result: Any) -> Any:
        # Parse and validation errors never reach the schema's extensions: shape them here too.
        if result.errors:
            result.errors = shape_errors(result.errors, request.scope.get("gateway_request_id"))
        return await super().process_result(request, result)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


DEMO_CARRIER_PATH = "/_demo/carrier/rates"


def carrier_registry(settings: Settings) -> dict[str, CarrierEndpoint]:
    """Carriers from GATEWAY_CARRIERS; in development without it, the built-in demo carrier."""
    if settings.carriers_json is not None or settings.environment != "development":
        return parse_registry(settings.carriers_json)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = f"http://{host}:{settings.port}{DEMO_CARRIER_PATH}"
    return {"demo": CarrierEndpoint("demo", "Demo Parcel", url)}


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    settings = settings or load_settings()
    engine = engine or create_engine(settings.database_url)
    carriers = HttpCarrierTransport(carrier_registry(settings), settings.carrier_timeout_s)
    graphql = GatewayGraphQL(engine, settings, carriers)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await carriers.aclose()
        await engine.dispose()

    routes = [Route("/graphql", graphql, methods=["GET", "POST"]), Route("/health", health)]
    if settings.environment == "development":
        routes.append(Route(DEMO_CARRIER_PATH, demo_carrier.rates, methods=["POST"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine = engine
    app.state.settings = settings
    app.state.carriers = carriers
    return app
