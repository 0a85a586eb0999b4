"""Catalog types: what a storefront can put in a checkout."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import strawberry

from gateway.api.money import Money, money
from gateway.api.pagination import PageInfo, edges_of


@strawberry.type(description="A product a checkout can hold. Checkout prices always come from here.")
class Product:
    id: strawberry.ID = strawberry.field(description="Opaque product id.")
    sku: str = strawberry.field(description="Stock keeping unit; what `createCheckout` takes.")
    name: str = strawberry.field(description="Display name.")
    weight: Decimal = strawberry.field(description="Weight of one unit, in the store's weight unit.")
    requires_shipping: bool = strawberry.field(
        description="False for digital goods: they are never put in a consignment."
    )

    @strawberry.field(description="Unit price in the store's currency.")
    def price(self, info: strawberry.Info) -> Money:
        return money(self.price, info.context.principal.currency_code)  # type: ignore[arg-type]


@strawberry.type(description="A product and its cursor.")
class ProductEdge:
    cursor: str = strawberry.field(description="Opaque position of this product.")
    node: Product = strawberry.field(description="The product.")


@strawberry.type(description="A page of products, in ascending id order.")
class ProductConnection:
    edges: list[ProductEdge] = strawberry.field(
        resolver=edges_of(ProductEdge), description="Products with their cursors."
    )
    nodes: list[Product] = strawberry.field(description="The products of this page.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    #: Cursors are made for the edges a query selects, not for every node of the page.
    cursor_for: strawberry.Private[Callable[[Any], str]]
