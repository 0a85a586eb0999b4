"""Completing checkouts, shipments and cancellation. Each: one domain call in one transaction."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.api.checkout.types import Checkout
from gateway.api.errors import UserError
from gateway.api.inputs import INPUT
from gateway.api.order.inputs import (
    CancelOrderInput,
    CompleteCheckoutInput,
    CreateShipmentInput,
    DeleteShipmentInput,
    MarkPickedUpInput,
    UpdateShipmentInput,
    int_id,
)
from gateway.api.order.types import Order, Shipment
from gateway.api.permissions import access
from gateway.api.transactions import in_transaction
from gateway.domain import orders, shipments


@strawberry.type(description="Result of completing a checkout.")
class CompleteCheckoutPayload:
    order: Order | None = strawberry.field(
        description="The order; the same one on every retry.", metadata=access("orders:read", storefront=True)
    )
    checkout: Checkout | None = strawberry.field(
        description="The checkout (read-only once completed).", metadata=access("checkouts:read", storefront=True)
    )
    errors: list[UserError] = strawberry.field(
        description="Every problem blocking completion, with paths into the checkout; empty on success."
    )


@strawberry.type(description="Result of a shipment mutation.")
class ShipmentPayload:
    shipment: Shipment | None = strawberry.field(description="The shipment; null on error or after a delete.")
    order: Order | None = strawberry.field(description="The order after the change.")
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


@strawberry.type(description="Result of cancelling an order or recording a pickup.")
class OrderPayload:
    order: Order | None = strawberry.field(description="The order after the change.")
    errors: list[UserError] = strawberry.field(description="Why the change was refused; empty on success.")


@strawberry.type
class OrderMutation:
    @strawberry.mutation(
        description="Place the order. Refuses, listing every problem (the codes of `Checkout.problems`, with "
        "field paths), until the checkout has a complete billing address, every physical item is in a "
        "consignment, and every consignment has a complete address and a selected, current shipping option "
        "(or is a pickup). Completing again returns the same order; afterwards the checkout is read-only "
        "(CHECKOUT_COMPLETED). Errors also: NOT_FOUND, IDEMPOTENCY_KEY_REUSED, "
        "IDEMPOTENT_RESULT_DELETED (the first result no longer exists).",
        metadata=access("checkouts:write", storefront=True),
    )
    async def complete_checkout(
        self,
        info: strawberry.Info,
        input: Annotated[CompleteCheckoutInput, strawberry.argument(description=INPUT)],
    ) -> CompleteCheckoutPayload:
        data, store_id = input.to_domain(), info.context.store_id
        result, errors = await in_transaction(info, lambda conn: orders.complete_checkout(conn, store_id, data))
        loaders = info.context.loaders
        order = await loaders.order_by_id.load(result[0]) if result else None
        checkout = await loaders.checkout_by_id.load(data.checkout_id)
        return CompleteCheckoutPayload(order=order, checkout=checkout, errors=errors)

    @strawberry.mutation(
        description="Ship some of an order's products to one of its addresses. Errors: NOT_FOUND, "
        "ORDER_CANCELLED, PICKUP_NOT_SHIPPABLE (a pickup, or a product collected in store: nothing is created), "
        "REQUIRED, WRONG_SHIPPING_ADDRESS, DUPLICATE_ORDER_PRODUCT, INVALID_QUANTITY, "
        "OVER_SHIPPED, TOO_LONG, INVALID_URL, IDEMPOTENCY_KEY_REUSED, "
        "IDEMPOTENT_RESULT_DELETED (a replay after the first shipment was deleted: nothing is created).",
        metadata=access("orders:write"),
    )
    async def create_shipment(
        self,
        info: strawberry.Info,
        input: Annotated[CreateShipmentInput, strawberry.argument(description=INPUT)],
    ) -> ShipmentPayload:
        data, store_id = input.to_domain(), info.context.store_id
        shipment_id, errors = await in_transaction(info, lambda conn: shipments.create_shipment(conn, store_id, data))
        return await _shipment_payload(info, shipment_id, data.order_id, errors)

    @strawberry.mutation(
        description="Change tracking fields or comments. Errors: NOT_FOUND, TOO_LONG, INVALID_URL.",
        metadata=access("orders:write"),
    )
    async def update_shipment(
        self,
        info: strawberry.Info,
        input: Annotated[UpdateShipmentInput, strawberry.argument(description=INPUT)],
    ) -> ShipmentPayload:
        data, store_id, shipment_id = input.to_domain(), info.context.store_id, int_id(input.shipment_id)
        written, errors = await in_transaction(
            info, lambda conn: shipments.update_shipment(conn, store_id, shipment_id, data)
        )
        return await _shipment_payload(info, written, None, errors)

    @strawberry.mutation(
        description="Delete a shipment: its quantities become unshipped and the order status is recomputed. "
        "Errors: NOT_FOUND.",
        metadata=access("orders:write"),
    )
    async def delete_shipment(
        self,
        info: strawberry.Info,
        input: Annotated[DeleteShipmentInput, strawberry.argument(description=INPUT)],
    ) -> ShipmentPayload:
        store_id, shipment_id = info.context.store_id, int_id(input.shipment_id)
        order_id, errors = await in_transaction(
            info, lambda conn: shipments.delete_shipment(conn, store_id, shipment_id)
        )
        order = await info.context.loaders.order_by_id.load(order_id) if order_id is not None else None
        return ShipmentPayload(shipment=None, order=order, errors=errors)

    @strawberry.mutation(
        description="Record that the shopper collected a pickup's items (sets `pickedUpAt`) and recompute the "
        "order status: COMPLETED for a pickup-only order, SHIPPED once everything else has shipped too. Errors: "
        "NOT_FOUND, ORDER_CANCELLED, ALREADY_PICKED_UP (collected before: nothing changes).",
        metadata=access("orders:write"),
    )
    async def mark_picked_up(
        self,
        info: strawberry.Info,
        input: Annotated[MarkPickedUpInput, strawberry.argument(description=INPUT)],
    ) -> OrderPayload:
        data, store_id = input.to_domain(), info.context.store_id
        written, errors = await in_transaction(info, lambda conn: orders.mark_picked_up(conn, store_id, data))
        order = await info.context.loaders.order_by_id.load(written if written is not None else data.order_id)
        return OrderPayload(order=order, errors=errors)

    @strawberry.mutation(
        description="Cancel an order while nothing has shipped or been picked up (cancelling twice changes "
        "nothing). Errors: NOT_FOUND, ORDER_HAS_SHIPMENTS.",
        metadata=access("orders:write"),
    )
    async def cancel_order(
        self,
        info: strawberry.Info,
        input: Annotated[CancelOrderInput, strawberry.argument(description=INPUT)],
    ) -> OrderPayload:
        store_id, order_id = info.context.store_id, int_id(input.order_id)
        written, errors = await in_transaction(info, lambda conn: orders.cancel_order(conn, store_id, order_id))
        order = await info.context.loaders.order_by_id.load(written if written is not None else order_id)
        return OrderPayload(order=order, errors=errors)


async def _shipment_payload(
    info: strawberry.Info, shipment_id: int | None, order_id: int | None, errors: list[UserError]
) -> ShipmentPayload:
    loaders = info.context.loaders
    shipment = await loaders.shipment_by_id.load(shipment_id) if shipment_id is not None else None
    if shipment is not None:
        order_id = shipment.order_id
    order = await loaders.order_by_id.load(order_id) if order_id is not None else None
    return ShipmentPayload(shipment=shipment, order=order, errors=errors)
