"""Checkout root query fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from gateway.api.checkout.types import Checkout
from gateway.api.pagination import (
    PageInfo,
    build_connection,
    check_page_size,
    cursor_text,
    cursor_time,
    decode_cursor,
    edges_of,
    time_cursor,
)
from gateway.api.permissions import access
from gateway.api.transactions import read
from gateway.storage import queries


@strawberry.type(description="A checkout and its cursor.")
class CheckoutEdge:
    cursor: str = strawberry.field(description="Opaque position of this checkout.")
    node: Checkout = strawberry.field(description="The checkout.")


@strawberry.type(description="A page of checkouts, newest first.")
class CheckoutConnection:
    edges: list[CheckoutEdge] = strawberry.field(
        resolver=edges_of(CheckoutEdge), description="Checkouts with their cursors."
    )
    nodes: list[Checkout] = strawberry.field(description="The checkouts of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    #: Cursors are made for the edges a query selects, not for every node of the page.
    cursor_for: strawberry.Private[Callable[[Any], str]]


def _parse_checkout_key(key: str) -> tuple[datetime, str]:
    created_at, _, checkout_id = key.partition("|")
    return cursor_time(created_at), cursor_text(checkout_id, 36)


@strawberry.type
class CheckoutQuery:
    @strawberry.field(
        description="A checkout of the caller's store by id; null when there is none.",
        metadata=access("checkouts:read", storefront=True),
    )
    async def checkout(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Checkout id.")],
    ) -> Checkout | None:
        return await info.context.loaders.checkout_by_id.load(str(id))

    @strawberry.field(
        description="The store's checkouts, newest first (server tokens only). `first` is at most 100.",
        metadata=access("checkouts:read"),
    )
    async def checkouts(
        self,
        info: strawberry.Info,
        first: Annotated[int | None, strawberry.argument(description="Page size, 0 to 100.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> CheckoutConnection:
        first = 50 if first is None else first
        check_page_size(first)
        before = decode_cursor("checkout", after, _parse_checkout_key)
        store_id = info.context.store_id
        page = await read(info, lambda conn: queries.checkouts_page(conn, store_id, before, first + 1))
        return build_connection(
            CheckoutConnection,
            page.rows,
            first,
            lambda row: time_cursor("checkout", row),
            has_previous_page=page.has_previous,
        )
