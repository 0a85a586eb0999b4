"""The GraphQL schema: root types assembled from each area's queries and mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from gateway.api.catalog.queries import CatalogQuery
from gateway.api.checkout.mutations import CheckoutMutation
from gateway.api.checkout.queries import CheckoutQuery
from gateway.api.errors import ErrorShaping, log_errors
from gateway.api.order.mutations import OrderMutation
from gateway.api.order.queries import OrderQuery
from gateway.api.permissions import AccessControl
from gateway.api.shipping.mutations import ShippingMutation
from gateway.api.shipping.queries import ShippingQuery


@strawberry.type(description="Read the catalog, checkouts, orders and shipping configuration.")
class Query(CatalogQuery, CheckoutQuery, OrderQuery, ShippingQuery):
    pass


@strawberry.type(description="Edit and complete checkouts, ship orders, configure shipping.")
class Mutation(CheckoutMutation, OrderMutation, ShippingMutation):
    pass


class GatewaySchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        context: Any = execution_context.context if execution_context else None
        log_errors(errors, getattr(context, "request_id", None))


def build_schema() -> GatewaySchema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            AccessControl,
            ErrorShaping,
        ],
    )


schema = build_schema()
