"""Order root query fields (server tokens; storefronts reach their order through `checkout.order`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from gateway.api.order.inputs import OrderFilter, int_id
from gateway.api.order.types import Order
from gateway.api.pagination import (
    PageInfo,
    build_connection,
    check_page_size,
    cursor_id,
    cursor_time,
    decode_cursor,
    edges_of,
    time_cursor,
)
from gateway.api.permissions import access
from gateway.api.transactions import read
from gateway.storage import queries


@strawberry.type(description="An order and its cursor.")
class OrderEdge:
    cursor: str = strawberry.field(description="Opaque position of this order.")
    node: Order = strawberry.field(description="The order.")


@strawberry.type(description="A page of orders, newest first.")
class OrderConnection:
    edges: list[OrderEdge] = strawberry.field(resolver=edges_of(OrderEdge), description="Orders with their cursors.")
    nodes: list[Order] = strawberry.field(description="The orders of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    #: Cursors are made for the edges a query selects, not for every node of the page.
    cursor_for: strawberry.Private[Callable[[Any], str]]


def as_utc(moment: datetime | None, argument: str) -> datetime | None:
    """Times without an offset are read as UTC; a time that is not representable in UTC is refused."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        raise GraphQLError(
            f"`{argument}` is outside the supported range (years 1 to 9999 in UTC)",
            extensions={"code": "BAD_USER_INPUT"},
        ) from None


def _parse_order_key(key: str) -> tuple[datetime, int]:
    created_at, _, order_id = key.partition("|")
    return cursor_time(created_at), cursor_id(order_id)


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="An order of the caller's store by id; null when there is none.",
        metadata=access("orders:read"),
    )
    async def order(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Order id.")],
    ) -> Order | None:
        return await info.context.loaders.order_by_id.load(int_id(id))

    @strawberry.field(
        description="The store's orders, newest first. `first` is at most 100.",
        metadata=access("orders:read"),
    )
    async def orders(
        self,
        info: strawberry.Info,
        first: Annotated[int | None, strawberry.argument(description="Page size, 0 to 100.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
        filter: Annotated[OrderFilter | None, strawberry.argument(description="Conditions.")] = None,
    ) -> OrderConnection:
        first = 50 if first is None else first
        check_page_size(first)
        before = decode_cursor("order", after, _parse_order_key)
        store_id, conditions = info.context.store_id, filter or OrderFilter()
        created_after = as_utc(conditions.created_after, "filter.createdAfter")
        created_before = as_utc(conditions.created_before, "filter.createdBefore")
        page = await read(
            info,
            lambda conn: queries.orders_page(
                conn,
                store_id,
                before=before,
                limit=first + 1,
                status=conditions.status.value if conditions.status else None,
                email=conditions.email,
                created_after=created_after,
                created_before=created_before,
            ),
        )
        return build_connection(
            OrderConnection,
            page.rows,
            first,
            lambda row: time_cursor("order", row),
            has_previous_page=page.has_previous,
        )
