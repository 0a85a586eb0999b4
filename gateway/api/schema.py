"""The GraphQL schema: root types assembled from each area's queries and mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.api.analysis import Analyses
from gateway.api.catalog.queries import CatalogQuery
from gateway.api.checkout.mutations import CheckoutMutation
from gateway.api.checkout.queries import CheckoutQuery
from gateway.api.errors import ErrorShaping, log_errors
from gateway.api.fastpath import PlanCache, fast_execution
from gateway.api.fastpath.admitted import ExpressEntries
from gateway.api.graphql_http import RequireOperationName
from gateway.api.limits import (
    BudgetedValidation,
    QueryLimits,
    RejectNulCharacters,
    RequestCostBudget,
    operation_limits_rule,
)
from gateway.api.order.mutations import OrderMutation
from gateway.api.order.queries import OrderQuery
from gateway.api.permissions import AccessControl
from gateway.api.scalars import SCALAR_OVERRIDES
from gateway.api.shipping.mutations import ShippingMutation
from gateway.api.shipping.queries import ShippingQuery
from gateway.observability import OperationObserver, tracing_extensions


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


def build_schema(
    limits: QueryLimits | None = None,
    *,
    introspection: bool = True,
    max_batch_operations: int = 10,
    tracing: bool = False,
    fast_path: bool = True,
) -> GatewaySchema:
    """The schema with its guards: size, depth, alias and cost limits, access control, error shaping.

    Parse and validation results (and the one analysis of each document, see `gateway.api.analysis`) are
    cached per distinct document, so the limits cost nothing on repeated operations. The token is looked
    up only once a document parsed and validated (in `AccessControl`). With `fast_path`, validated queries
    run from a compiled plan after access control (see `gateway.api.fastpath`), falling back to standard
    execution for anything else.
    """
    limits = limits or QueryLimits()
    # One linear walk per document serves the limits, the request budget and access control.
    analyses = Analyses(limits)
    rules: list[Any] = [operation_limits_rule(analyses)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[
            # First, so it sees errors after ErrorShaping gave them codes (exit hooks run in reverse).
            OperationObserver,
            *tracing_extensions(tracing),
            lambda: MaxTokensLimiter(limits.max_tokens),
            lambda: ParserCache(maxsize=1024),
            RequireOperationName,
            BudgetedValidation,
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=1024),
            RejectNulCharacters,
            # Before AccessControl: an operation over the request's budget never looks up the token.
            lambda: RequestCostBudget(analyses=analyses),
            lambda: AccessControl(analyses=analyses),
            # After AccessControl: runs only when access was granted (no result set yet).
            *([fast_execution(analyses=analyses)] if fast_path else []),
            ErrorShaping,
        ],
        config=StrawberryConfig(
            batching_config={"max_operations": max_batch_operations},
            disable_field_suggestions=not introspection,
        ),
    )


schema = build_schema()


def express_entries(schema: strawberry.Schema) -> ExpressEntries | None:
    """The documents the schema's compiled read path admitted to the express lane (None: no fast path)."""
    for extension in schema.extensions:
        plans = getattr(extension, "plans", None)
        if isinstance(plans, PlanCache):
            return plans.express
    return None
