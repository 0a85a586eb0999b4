"""Catalog root fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.api.catalog.types import ProductConnection
from gateway.api.pagination import build_connection, check_page_size, cursor_id, decode_cursor, encode_cursor
from gateway.api.permissions import access
from gateway.api.transactions import read
from gateway.storage import queries


@strawberry.type
class CatalogQuery:
    @strawberry.field(
        description="The store's products, ascending by id. `first` is at most 100.",
        metadata=access("checkouts:read", storefront=True),
    )
    async def products(
        self,
        info: strawberry.Info,
        first: Annotated[int | None, strawberry.argument(description="Page size, 0 to 100.")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Cursor to continue after.")] = None,
    ) -> ProductConnection:
        first = 50 if first is None else first
        check_page_size(first)
        after_id = decode_cursor("product", after, cursor_id) or 0
        store_id = info.context.store_id
        page = await read(info, lambda conn: queries.products_page(conn, store_id, after_id, first + 1))
        return build_connection(
            ProductConnection,
            page.rows,
            first,
            lambda row: encode_cursor("product", row.id),
            has_previous_page=page.has_previous,
        )
