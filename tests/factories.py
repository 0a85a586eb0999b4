"""Keyword-only factories for test data, written through the same domain functions the API uses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.domain.catalog import ProductInput, upsert_product
from gateway.domain.stores import create_store
from gateway.domain.tokens import TokenKind, create_token
from gateway.storage import queries
from gateway.storage.db import write_transaction

CATALOG = (
    ProductInput("SHIRT", "Shirt", Decimal("19.99"), Decimal("0.25")),
    ProductInput("MUG", "Mug", Decimal("7.50"), Decimal("0.40")),
    ProductInput("LAMP", "Lamp", Decimal("45.00"), Decimal("2.10")),
    ProductInput("CHAIR", "Chair", Decimal("120.00"), Decimal("8.00")),
    ProductInput("SOCKS", "Socks", Decimal("0.10"), Decimal("0.05")),
    ProductInput("EBOOK", "E-book", Decimal("9.99"), Decimal("0"), False),
    ProductInput("GIFTCARD", "Gift card", Decimal("25.00"), Decimal("0"), False),
)


@dataclass(frozen=True)
class StoreFixture:
    id: int
    slug: str
    storefront_token: str
    server_token: str


async def make_store(
    engine: AsyncEngine, *, slug: str, catalog: tuple[ProductInput, ...] = CATALOG, currency_code: str = "USD"
) -> StoreFixture:
    async with write_transaction(engine) as conn:
        existing = await queries.store_by_slug(conn, slug)
        store_id = existing.id if existing else await create_store(conn, slug, currency_code=currency_code)
        for product in catalog:
            await upsert_product(conn, store_id, currency_code, product)
        storefront = await create_token(conn, slug, TokenKind.STOREFRONT)
        server = await create_token(conn, slug, TokenKind.SERVER)
    return StoreFixture(id=store_id, slug=slug, storefront_token=storefront, server_token=server)


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *, token: str | None
) -> dict[str, Any]:
    """POST one GraphQL operation over HTTP and return the decoded JSON body."""
    headers = {"X-Auth-Token": token} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def data(body: dict[str, Any]) -> dict[str, Any]:
    """The `data` of a response that must have no top-level errors."""
    assert not body.get("errors"), body.get("errors")
    return body["data"]  # type: ignore[no-any-return]
