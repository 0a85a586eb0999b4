"""Checkout mutations. Each: domain input in, (quotes priced ahead,) one domain call in one transaction,
payload out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.api.checkout.inputs import (
    AddConsignmentsInput,
    CreateCheckoutInput,
    DeleteConsignmentInput,
    RefreshShippingOptionsInput,
    SetCheckoutBillingAddressInput,
    UpdateConsignmentInput,
)
from gateway.api.checkout.types import Checkout
from gateway.api.errors import UserError
from gateway.api.inputs import INPUT
from gateway.api.permissions import access
from gateway.api.transactions import in_transaction, read
from gateway.domain import checkout as checkouts
from gateway.domain import consignments, quotes
from gateway.domain.quotes import QuotePlan
from gateway.storage import queries

_WRITE = access("checkouts:write", storefront=True)
_ITEM_ERRORS = (
    "UNKNOWN_LINE_ITEM, INVALID_QUANTITY, OVER_ASSIGNED, DIGITAL_ITEM, DUPLICATE_LINE_ITEM, REQUIRED, "
    "INVALID_COUNTRY_CODE, INVALID_EMAIL, TOO_LONG, TOO_MANY, PICKUP_METHOD_NOT_FOUND, PICKUP_LIMIT, "
    "CONFLICTING_FIELDS, NOT_FOUND, VERSION_CONFLICT"
)


@strawberry.type(description="Result of a checkout mutation.")
class CheckoutPayload:
    checkout: Checkout | None = strawberry.field(
        description="The checkout after the change; unchanged when `errors` is not empty; null if not found.",
        metadata=access("checkouts:read", storefront=True),
    )
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


async def _payload(info: strawberry.Info, checkout_id: str | None, errors: list[UserError]) -> CheckoutPayload:
    checkout = await info.context.loaders.checkout_by_id.load(checkout_id) if checkout_id else None
    return CheckoutPayload(checkout=checkout, errors=errors)


async def _write(
    info: strawberry.Info, checkout_id: str | None, action: Callable[[AsyncConnection], Awaitable[str]]
) -> CheckoutPayload:
    written, errors = await in_transaction(info, action)
    return await _payload(info, written or checkout_id, errors)


async def _plan(
    info: strawberry.Info,
    checkout_id: str,
    destinations: Callable[[AsyncConnection], Awaitable[Sequence[Any]]],
) -> QuotePlan:
    """Price shipping for the destinations a write will create, before its transaction starts."""
    store_id = info.context.store_id

    async def prepare(conn: AsyncConnection) -> quotes.PreparedQuotes:
        return await quotes.prepare(conn, store_id, checkout_id, await destinations(conn), info.context.shipping_setups)

    prepared = await read(info, prepare)
    await info.context.reads.release()  # no connection is held while carriers answer
    return await quotes.plan(prepared, info.context.carriers)


@strawberry.type
class CheckoutMutation:
    @strawberry.mutation(
        description="Create a checkout from catalog SKUs. Errors: REQUIRED, TOO_MANY, UNKNOWN_SKU, "
        "INVALID_QUANTITY, INVALID_EMAIL; on error no checkout is created.",
        metadata=_WRITE,
    )
    async def create_checkout(
        self,
        info: strawberry.Info,
        input: Annotated[CreateCheckoutInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id

        async def action(conn: AsyncConnection) -> str:
            return await checkouts.create_checkout(conn, await queries.store_by_id(conn, store_id), data)

        return await _write(info, None, action)

    @strawberry.mutation(
        description="Set the billing address. Errors: NOT_FOUND, REQUIRED, INVALID_EMAIL, "
        "INVALID_COUNTRY_CODE, TOO_LONG, VERSION_CONFLICT.",
        metadata=_WRITE,
    )
    async def set_checkout_billing_address(
        self,
        info: strawberry.Info,
        input: Annotated[SetCheckoutBillingAddressInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _write(info, data.checkout_id, lambda conn: checkouts.set_billing_address(conn, store_id, data))

    @strawberry.mutation(
        description="Add one or more consignments atomically: if any is invalid none is added. Each "
        "shipping consignment is quoted straight away. Errors carry the offending input's path: " + _ITEM_ERRORS + ".",
        metadata=_WRITE,
    )
    async def add_consignments(
        self,
        info: strawberry.Info,
        input: Annotated[AddConsignmentsInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        plan = await _plan(info, data.checkout_id, lambda conn: consignments.quote_destinations_for_add(conn, data))
        return await _write(
            info, data.checkout_id, lambda conn: consignments.add_consignments(conn, store_id, data, plan)
        )

    @strawberry.mutation(
        description="Change a consignment's address, items (replaced as a whole), pickup option, or selected "
        "shipping option (alone). An address or items change re-quotes the consignment and keeps the "
        "selection only if the same method is still offered (at its new price). Errors: NO_CHANGES, "
        "SHIPPING_OPTION_NOT_ALONE, SHIPPING_OPTION_NOT_AVAILABLE, SHIPPING_OPTION_STALE and the errors of "
        "`addConsignments`.",
        metadata=_WRITE,
    )
    async def update_consignment(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateConsignmentInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        plan = await _plan(
            info,
            data.checkout_id,
            lambda conn: consignments.quote_destinations_for_update(conn, store_id, data),
        )
        return await _write(
            info, data.checkout_id, lambda conn: consignments.update_consignment(conn, store_id, data, plan)
        )

    @strawberry.mutation(
        description="Delete a consignment, freeing its items. Deleting the last one leaves none. Errors: NOT_FOUND.",
        metadata=_WRITE,
    )
    async def delete_consignment(
        self,
        info: strawberry.Info,
        input: Annotated[DeleteConsignmentInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        return await _write(info, data.checkout_id, lambda conn: consignments.delete_consignment(conn, store_id, data))

    @strawberry.mutation(
        description="Re-quote one consignment (or, without `consignmentId`, every shipping consignment) "
        "against the current shipping configuration and carriers. Clears SHIPPING_QUOTE_STALE problems; a "
        "selection is kept if the same method is still offered. Errors: NOT_FOUND.",
        metadata=_WRITE,
    )
    async def refresh_shipping_options(
        self,
        info: strawberry.Info,
        input: Annotated[RefreshShippingOptionsInput, strawberry.argument(description=INPUT)],
    ) -> CheckoutPayload:
        data = input.to_domain()
        store_id = info.context.store_id
        plan = await _plan(
            info,
            data.checkout_id,
            lambda conn: consignments.quote_destinations_for_refresh(conn, store_id, data),
        )
        return await _write(
            info,
            data.checkout_id,
            lambda conn: consignments.refresh_shipping_options(conn, store_id, data, plan),
        )
