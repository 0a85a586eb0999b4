"""Who may read and call which field, checked for the whole operation before anything executes.

Root fields declare their `Access` in their strawberry metadata (`metadata=access(...)`); a root field
without one is refused to everyone. Below the root, every object type belongs to one scope area (`AREAS`):
a field whose type lies in another area than its parent's (`Checkout.order`) needs that area's read scope
(`orders:read`), and only storefront tokens when the field says so (`metadata=access(..., storefront=True)`).
`shared` types (addresses, money, page info, user errors) belong to whichever area reaches them; `result`
types (mutation payloads) hold objects read with their own area's read scope, so a write scope alone does
not read (`createShipment { order { email } }` needs orders:read too). An object type missing from `AREAS`
cannot be reached by anyone: access fails closed.

The rights an operation needs come from the one linear walk of `gateway.api.analysis` (cached per
document). `AccessControl` then resolves the request's token (the only database work before execution,
and only for a document that parsed and validated) and refuses the whole operation, executing nothing,
when the caller lacks a token (UNAUTHENTICATED) or a right (FORBIDDEN, naming the scope and field path).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from gateway.storage.health import is_unavailable

if TYPE_CHECKING:
    from gateway.api.analysis import Analyses, Need

log = logging.getLogger("gateway.permissions")

INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})
STRAWBERRY_DEFINITION = "strawberry-definition"

SHARED: Final = "shared"
RESULT: Final = "result"
#: The scope area of every object type below the roots. Types of one area are read with its read scope.
AREAS: Final[dict[str, str]] = {
    # checkouts (and the catalog they are priced from): checkouts:read
    "Product": "checkouts",
    "ProductConnection": "checkouts",
    "ProductEdge": "checkouts",
    "Checkout": "checkouts",
    "CheckoutConnection": "checkouts",
    "CheckoutEdge": "checkouts",
    "CheckoutProblem": "checkouts",
    "CheckoutWarning": "checkouts",
    "LineItem": "checkouts",
    "Consignment": "checkouts",
    "ConsignmentLineItem": "checkouts",
    # quotes stored on the consignment, and the pickup method id it chose: the checkout's own data
    "ShippingOption": "checkouts",
    "PickupOption": "checkouts",
    # orders: orders:read
    "Order": "orders",
    "OrderConnection": "orders",
    "OrderEdge": "orders",
    "OrderProduct": "orders",
    "ShippingAddress": "orders",
    "OrderPickup": "orders",
    "Shipment": "orders",
    "ShipmentItem": "orders",
    # shipping configuration: shipping:read
    "ShippingZone": "shipping",
    "ZoneLocation": "shipping",
    "ZoneHandlingFee": "shipping",
    "FreeShipping": "shipping",
    "ShippingMethod": "shipping",
    "RateRange": "shipping",
    "HandlingFee": "shipping",
    "PickupMethod": "shipping",
    "CarrierAccount": "shipping",
    "CarrierConnection": "shipping",
    # mutation results: what they hold is read with its own area's read scope (a write scope alone does not
    # read the order it changed)
    "CheckoutPayload": RESULT,
    "CompleteCheckoutPayload": RESULT,
    "OrderPayload": RESULT,
    "ShipmentPayload": RESULT,
    "ShippingZonePayload": RESULT,
    "ShippingMethodPayload": RESULT,
    "PickupMethodPayload": RESULT,
    "CarrierConnectionPayload": RESULT,
    "DeletePayload": RESULT,
    # values without an area of their own
    "Address": SHARED,
    "CustomField": SHARED,
    "Money": SHARED,
    "PageInfo": SHARED,
    "UserError": SHARED,
}


def read_scope(area: str) -> str:
    return f"{area}:read"


@dataclass(frozen=True, slots=True)
class Access:
    """`storefront`: storefront tokens may use it. `scope`: what a server token needs."""

    scope: str
    storefront: bool = False


def access(scope: str, *, storefront: bool = False) -> dict[str, Any]:
    return {"access": Access(scope=scope, storefront=storefront)}


class _NoRuleNeeded:
    def __repr__(self) -> str:
        return "NO_RULE_NEEDED"


#: A field that needs no right of its own (it stays in its parent's area, or is a leaf).
NO_RULE_NEEDED: Final = _NoRuleNeeded()


def declared_access(definition: GraphQLField) -> Access | None:
    strawberry_field = (definition.extensions or {}).get(STRAWBERRY_DEFINITION)
    metadata = getattr(strawberry_field, "metadata", None) or {}
    rule = metadata.get("access")
    return rule if isinstance(rule, Access) else None


def crossing_area(parent: GraphQLNamedType, definition: GraphQLField) -> str | None | _NoRuleNeeded:
    """The area a non-root field leads into when that is not its parent's: NO_RULE_NEEDED when it stays
    (a leaf, a shared type, the same area); None when either type has no area (fail closed)."""
    target = get_named_type(definition.type)
    if not isinstance(target, GraphQLObjectType) or parent.name.startswith("__"):
        return NO_RULE_NEEDED
    parent_area, target_area = AREAS.get(parent.name), AREAS.get(target.name)
    if parent_area is None or target_area is None:
        return None
    if target_area in (SHARED, RESULT, parent_area):
        return NO_RULE_NEEDED
    return target_area


class FieldRules:
    """The rule of every field of one schema, derived once per (type, field)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.roots = frozenset(
            root.name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root
        )
        self._rules: dict[tuple[str, str], Access | None | _NoRuleNeeded] = {}

    def rule(self, parent: GraphQLNamedType, name: str, definition: GraphQLField) -> Access | None | _NoRuleNeeded:
        key = (parent.name, name)
        try:
            return self._rules[key]
        except KeyError:
            rule = self._rules[key] = self._derive(parent, definition)
            return rule

    def _derive(self, parent: GraphQLNamedType, definition: GraphQLField) -> Access | None | _NoRuleNeeded:
        if parent.name in self.roots:
            return declared_access(definition)
        area = crossing_area(parent, definition)
        if area is None or area is NO_RULE_NEEDED:
            return area
        declared = declared_access(definition)
        scope = read_scope(area)  # type: ignore[arg-type]
        return Access(scope=scope, storefront=declared is not None and declared.storefront)


def auth_error(code: str, message: str, request_id: str | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": code}
    if request_id is not None:
        extensions["requestId"] = request_id
    return GraphQLError(message, extensions=extensions)


def refusals(needs: Sequence[Need], principal: Any) -> list[GraphQLError]:
    """Why `principal` may not run an operation needing `needs` (empty: it may)."""
    if needs and principal is None:
        return [
            auth_error("UNAUTHENTICATED", "send a token in the X-Auth-Token header (or Authorization: Bearer <token>)")
        ]
    errors: list[GraphQLError] = []
    refused: set[str] = set()  # root fields refused already: what lies below them adds nothing
    for need in needs:
        if need.path[0] in refused:
            continue
        rule = need.rule
        if rule is None:
            message = f"{need.where} is not available"
        elif principal.is_server:
            if principal.grants(rule.scope):
                continue
            message = f"{need.where} needs the {rule.scope} scope, which this token lacks"
        elif rule.storefront:
            continue
        else:
            message = f"{need.where} needs a server token"
        errors.append(auth_error("FORBIDDEN", message))
        if len(need.path) == 1:
            refused.add(need.path[0])
    return errors


class AccessControl(SchemaExtension):
    def __init__(self, *, analyses: Analyses) -> None:
        super().__init__()
        self.analyses = analyses

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.result is None:
            errors = await self._check()
            if errors:
                ctx.result = ExecutionResult(data=None, errors=errors)
        yield

    async def _check(self) -> list[GraphQLError]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is None:
            return []
        operation = get_operation_ast(document, ctx.operation_name)
        if operation is None:
            return []
        context = ctx.context
        request_id = getattr(context, "request_id", None)
        authenticate = getattr(context, "authenticate", None)
        if authenticate is not None:
            try:
                await authenticate()
            except Exception as error:  # noqa: BLE001 - answered with a code, never a stack trace
                if is_unavailable(error):
                    log.warning("database unavailable (request %s): %s", request_id, type(error).__name__)
                    return [auth_error("SERVICE_UNAVAILABLE", "the database is unavailable; retry shortly", request_id)]
                log.error("token lookup failed (request %s)", request_id, exc_info=error)
                return [auth_error("INTERNAL_SERVER_ERROR", "Internal server error", request_id)]
        if getattr(context, "token_rejected", False):
            return [auth_error("UNAUTHENTICATED", "the token is unknown or revoked")]
        analysis = self.analyses.operation(ctx.schema._schema, document, operation)
        return refusals(analysis.needs, getattr(context, "principal", None))
