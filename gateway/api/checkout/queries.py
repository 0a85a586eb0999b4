"""Checkout root query fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.api.checkout.types import Checkout
from gateway.api.permissions import access


@strawberry.type
class CheckoutQuery:
    @strawberry.field(
        description="A checkout of the caller's store by id; null when there is none.",
        metadata=access("checkouts:read", storefront=True),
    )
    async def checkout(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="Checkout id.")]
    ) -> Checkout | None:
        return await info.context.loaders.checkout_by_id.load(str(id))
