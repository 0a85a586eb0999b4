"""Checkout mutations. Each: domain input in, one domain call in one transaction, payload out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.api.checkout.inputs import (
    AddConsignmentsInput,
    CreateCheckoutInput,
    DeleteConsignmentInput,
    SetCheckoutBillingAddressInput,
    UpdateConsignmentInput,
)
from gateway.api.checkout.types import Checkout
from gateway.api.errors import UserError, user_errors
from gateway.api.permissions import access
from gateway.domain import checkout as checkouts
from gateway.domain import consignments
from gateway.domain.errors import DomainError
from gateway.storage import queries
from gateway.storage.db import write_transaction

_WRITE = access("checkouts:write", storefront=True)


@strawberry.type(description="Result of a checkout mutation.")
class CheckoutPayload:
    checkout: Checkout | None = strawberry.field(
        description="The checkout after the change; unchanged when `errors` is not empty; null if not found."
    )
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


async def _run(
    info: strawberry.Info, checkout_id: str | None, action: Callable[[AsyncConnection], Awaitable[str]]
) -> CheckoutPayload:
    context = info.context
    try:
        async with write_transaction(context.engine) as conn:
            checkout_id = await action(conn)
        errors: list[UserError] = []
    except DomainError as error:
        errors = user_errors(error)
    context.loaders.clear_all()
    checkout = await context.loaders.checkout_by_id.load(checkout_id) if checkout_id else None
    return CheckoutPayload(checkout=checkout, errors=errors)


@strawberry.type
class CheckoutMutation:
    @strawberry.mutation(
        description="Create a checkout from catalog SKUs. Errors: REQUIRED, TOO_MANY, UNKNOWN_SKU, "
        "INVALID_QUANTITY, INVALID_EMAIL; on error no checkout is created.",
        metadata=_WRITE,
    )
    async def create_checkout(self, info: strawberry.Info, input: CreateCheckoutInput) -> CheckoutPayload:
        data = input.to_domain()

        async def action(conn: AsyncConnection) -> str:
            store = await queries.store_by_id(conn, info.context.store_id)
            return await checkouts.create_checkout(conn, store, data)

        return await _run(info, None, action)

    @strawberry.mutation(
        description="Set the billing address. Errors: NOT_FOUND, REQUIRED, INVALID_EMAIL, "
        "INVALID_COUNTRY_CODE, TOO_LONG, VERSION_CONFLICT.",
        metadata=_WRITE,
    )
    async def set_checkout_billing_address(
        self, info: strawberry.Info, input: SetCheckoutBillingAddressInput
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _run(info, data.checkout_id, lambda conn: checkouts.set_billing_address(conn, store_id, data))

    @strawberry.mutation(
        description="Add one or more consignments atomically: if any is invalid none is added. Errors carry "
        "the offending input's path: UNKNOWN_LINE_ITEM, INVALID_QUANTITY, OVER_ASSIGNED, DIGITAL_ITEM, "
        "DUPLICATE_LINE_ITEM, REQUIRED, INVALID_COUNTRY_CODE, INVALID_EMAIL, TOO_MANY, NOT_FOUND.",
        metadata=_WRITE,
    )
    async def add_consignments(self, info: strawberry.Info, input: AddConsignmentsInput) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _run(info, data.checkout_id, lambda conn: consignments.add_consignments(conn, store_id, data))

    @strawberry.mutation(
        description="Change a consignment's address, items (replaced as a whole), pickup option, or selected "
        "shipping option (alone). An address or items change clears a selection that is no longer offered. "
        "Errors: NO_CHANGES, SHIPPING_OPTION_NOT_ALONE, SHIPPING_OPTION_NOT_AVAILABLE, NOT_FOUND and the "
        "item and address errors of `addConsignments`.",
        metadata=_WRITE,
    )
    async def update_consignment(self, info: strawberry.Info, input: UpdateConsignmentInput) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _run(
            info, data.checkout_id, lambda conn: consignments.update_consignment(conn, store_id, data)
        )

    @strawberry.mutation(
        description="Delete a consignment, freeing its items. Deleting the last one leaves none. Errors: NOT_FOUND.",
        metadata=_WRITE,
    )
    async def delete_consignment(self, info: strawberry.Info, input: DeleteConsignmentInput) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _run(
            info, data.checkout_id, lambda conn: consignments.delete_consignment(conn, store_id, data)
        )
