"""Checkout, line item and consignment types. They resolve from plain storage rows by attribute."""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.api.address import Address
from gateway.api.enums import PROBLEM_CODES, described_enum
from gateway.api.money import Money
from gateway.api.permissions import access
from gateway.api.relations import amount, related
from gateway.domain.consignments import assigned_quantities
from gateway.domain.problems import CheckoutProblem as DomainCheckoutProblem
from gateway.domain.problems import ProblemCode, checkout_problems, is_frozen
from gateway.domain.staleness import stale_consignment_ids

if TYPE_CHECKING:
    from gateway.api.order.types import Order


@strawberry.type(
    description="A shipping option offered for one consignment: a stored quote priced from the "
    "consignment's own address and items. Quotes are recomputed when the address or items change, or "
    "by `refreshShippingOptions`; reading them never calls a carrier."
)
class ShippingOption:
    id: strawberry.ID = strawberry.field(
        description="Pass to `updateConsignment(shippingOptionId:)` to select it. Stable for the same method "
        "and inputs; changes when the address, items or shipping configuration change."
    )
    description: str = strawberry.field(description='What the shopper sees, e.g. "Flat Rate".')
    type: str = strawberry.field(
        description="Kind of option: shipping_flatrate, shipping_peritem, shipping_byweight, "
        "shipping_bytotal, freeshipping, or shipping_<carrierId> for carrier quotes."
    )
    transit_time: str | None = strawberry.field(description="Carrier's transit time estimate, if any.")
    image_url: str | None = strawberry.field(description="Carrier logo, if any.")

    @strawberry.field(
        description="What this option costs the shopper, handling included unless the zone shows handling "
        "separately (then see `handlingCost`)."
    )
    @amount("cost")
    def cost(self) -> Money: ...

    @strawberry.field(description="Handling fee shown separately from `cost`; zero when folded into it.")
    @amount("handling_cost")
    def handling_cost(self) -> Money: ...


@strawberry.type(description="The pickup location chosen for a pickup consignment.")
class PickupOption:
    pickup_method_id: int = strawberry.field(description="Id of the store's pickup method.")


@strawberry.type(description="One product in a checkout, with its quantity and catalog price.")
class LineItem:
    id: strawberry.ID = strawberry.field(description="Line item id; consignments refer to it as `itemId`.")
    sku: str = strawberry.field(description="Product SKU.")
    name: str = strawberry.field(description="Product name when the checkout was created.")
    quantity: int = strawberry.field(description="Units in the checkout.")
    requires_shipping: bool = strawberry.field(description="False for digital goods, which never go in a consignment.")

    @strawberry.field(description="Unit price from the catalog.")
    @amount("list_price")
    def list_price(self) -> Money: ...

    @strawberry.field(description="`listPrice` times `quantity`, exact.")
    @amount("extended_list_price")
    def extended_list_price(self) -> Money: ...

    @strawberry.field(
        description="Units not yet assigned to any consignment. Always 0 for digital items, which ship nowhere."
    )
    async def unassigned_quantity(self, info: strawberry.Info) -> int:
        if not self.requires_shipping:
            return 0
        items = await info.context.loaders.consignment_items_by_checkout_id.load(self.checkout_id)  # type: ignore[attr-defined]
        return self.quantity - assigned_quantities(items).get(self.id, 0)


@strawberry.type(description="How many units of one line item travel in a consignment.")
class ConsignmentLineItem:
    quantity: int = strawberry.field(description="Units of the line item in this consignment.")

    @strawberry.field(description="The checkout line item.")
    @related("line_item_by_id", key="line_item_id", many=False)
    async def line_item(self, info: strawberry.Info) -> LineItem: ...


async def _consignment_items(info: strawberry.Info, consignment: Any) -> list[Any]:
    """A consignment's items in position order, from its checkout's (one read serves the whole checkout)."""
    rows = await info.context.loaders.consignment_items_by_checkout_id.load(consignment.checkout_id)
    return [row for row in rows if row.consignment_id == consignment.id]


@strawberry.type(
    description="A group of physical line items going to one destination, and how they ship. Several "
    "consignments may share an address."
)
class Consignment:
    id: strawberry.ID = strawberry.field(description="Consignment id, unique within its checkout.")
    address: Address | None = strawberry.field(description="Where it ships; null for a pickup consignment.")

    @strawberry.field(description="The line items and quantities in this consignment.")
    @related(
        "consignment_items_by_checkout_id", key="checkout_id", keep=lambda row, parent: row.consignment_id == parent.id
    )
    async def line_items(self, info: strawberry.Info) -> list[ConsignmentLineItem]: ...

    @strawberry.field(description="Ids of the line items in this consignment.")
    async def line_item_ids(self, info: strawberry.Info) -> list[strawberry.ID]:
        return [row.line_item_id for row in await _consignment_items(info, self)]

    shipping_zone_name: str | None = strawberry.field(
        description="The shipping zone that priced this consignment's options; null when none serves its address."
    )

    @strawberry.field(
        description="Shipping options for this consignment's address and items, cheapest first. Empty for "
        "pickup consignments and when the store ships nowhere near the address (see `Checkout.problems`)."
    )
    @related("quotes_by_consignment_id")
    async def available_shipping_options(self, info: strawberry.Info) -> list[ShippingOption]: ...

    @strawberry.field(description="The selected shipping option, if any.")
    async def selected_shipping_option(self, info: strawberry.Info) -> ShippingOption | None:
        selected = self.selected_shipping_option_id  # type: ignore[attr-defined]
        if selected is None:
            return None
        quotes = await info.context.loaders.quotes_by_consignment_id.load(self.id)
        return next((quote for quote in quotes if quote.id == selected), None)

    @strawberry.field(
        description="The pickup option, for a pickup consignment. Null once its location was deleted (the "
        "checkout then shows PICKUP_METHOD_UNAVAILABLE; a location created later never takes its place)."
    )
    async def selected_pickup_option(self, info: strawberry.Info) -> PickupOption | None:
        pickup_id = self.pickup_method_id  # type: ignore[attr-defined]
        if pickup_id is None:
            return None
        locations = await info.context.loaders.pickup_methods_by_store_id.load(self.store_id)  # type: ignore[attr-defined]
        if not any(row.id == pickup_id for row in locations):
            return None
        return PickupOption(pickup_method_id=pickup_id)

    @strawberry.field(
        description="Cost of the selected option (handling included unless shown separately); zero when none."
    )
    @amount("shipping_cost")
    def shipping_cost(self) -> Money: ...

    @strawberry.field(description="Handling fees shown separately, zero when none.")
    @amount("handling_cost")
    def handling_cost(self) -> Money: ...


ProblemCodeEnum = described_enum(
    ProblemCode, "CheckoutProblemCode", "What blocks completing a checkout.", PROBLEM_CODES
)


@strawberry.type(description="One thing that blocks completing a checkout.")
class CheckoutProblem:
    code: ProblemCodeEnum = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="Human-readable explanation.")
    consignment_id: strawberry.ID | None = strawberry.field(description="The consignment concerned, if any.")
    line_item_id: strawberry.ID | None = strawberry.field(description="The line item concerned, if any.")
    fields: list[str] = strawberry.field(description="Missing address fields, for incomplete addresses.")

    @staticmethod
    def from_domain(problem: DomainCheckoutProblem) -> CheckoutProblem:
        return CheckoutProblem(
            code=problem.code,
            message=problem.message,
            consignment_id=problem.consignment_id,  # type: ignore[arg-type]
            line_item_id=problem.line_item_id,  # type: ignore[arg-type]
            fields=list(problem.fields),
        )


@strawberry.enum(description="Why some shipping options may be missing.")
class CheckoutWarningCode(Enum):
    CARRIER_UNAVAILABLE = strawberry.enum_value(
        "CARRIER_UNAVAILABLE", description="The carrier timed out, failed or answered garbage."
    )
    CARRIER_NOT_CONNECTED = strawberry.enum_value(
        "CARRIER_NOT_CONNECTED",
        description="A carrier method's carrier is not connected, or is not available on this gateway (not "
        "registered in GATEWAY_CARRIERS); the message says which.",
    )


@strawberry.type(description="A non-fatal notice about a consignment's shipping options.")
class CheckoutWarning:
    code: CheckoutWarningCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation.")
    consignment_id: strawberry.ID = strawberry.field(description="The consignment concerned.")
    carrier_id: str | None = strawberry.field(description="The carrier concerned, if any.")


@strawberry.type(
    description="A shopper's checkout: line items priced from the catalog, a billing address, and the "
    "consignments the physical items are split into."
)
class Checkout:
    id: strawberry.ID = strawberry.field(description="Unguessable checkout id (122 random bits).")
    email: str | None = strawberry.field(description="Shopper's email.")
    currency_code: str = strawberry.field(description="ISO 4217 currency of every amount in this checkout.")
    billing_address: Address | None = strawberry.field(description="Billing address, once set.")
    version: int = strawberry.field(
        description="Increments on every successful change. Pass it back as `version` in a mutation to "
        "refuse the change (VERSION_CONFLICT) if somebody else changed the checkout in between."
    )
    created_at: datetime = strawberry.field(description="When the checkout was created (UTC).")
    updated_at: datetime = strawberry.field(description="When the checkout last changed (UTC).")

    @strawberry.field(
        description="The order this checkout became; null until `completeCheckout` succeeds.",
        # Order data: server tokens need orders:read; a storefront reads the order of its own checkout.
        metadata=access("orders:read", storefront=True),
    )
    @related("order_by_id", key="order_id", many=False)
    async def order(
        self, info: strawberry.Info
    ) -> Annotated[Order, strawberry.lazy("gateway.api.order.types")] | None: ...

    @strawberry.field(description="Line items in the order they were added.")
    @related("line_items_by_checkout_id")
    async def line_items(self, info: strawberry.Info) -> list[LineItem]: ...

    @strawberry.field(description="Consignments in the order they were added.")
    @related("consignments_by_checkout_id")
    async def consignments(self, info: strawberry.Info) -> list[Consignment]: ...

    @strawberry.field(
        description="Everything that blocks completing this checkout: missing billing address, unassigned "
        "items, incomplete shipping addresses, no shipping zone, stale quotes, no selected option. Empty "
        "when the checkout can be completed, and always empty once it is completed (a completed checkout is "
        "frozen: later configuration changes do not touch it). Storefronts can render this list directly."
    )
    async def problems(self, info: strawberry.Info) -> list[CheckoutProblem]:
        if is_frozen(self):
            return []  # nothing to load: no staleness is computed for an order's checkout
        loaders = info.context.loaders
        # Load side by side so these batch with the sibling fields' loads of the same level.
        line_items, consignments, items, version, pickups = await asyncio.gather(
            loaders.line_items_by_checkout_id.load(self.id),
            loaders.consignments_by_checkout_id.load(self.id),
            loaders.consignment_items_by_checkout_id.load(self.id),
            loaders.shipping_config_version_by_store_id.load(self.store_id),  # type: ignore[attr-defined]
            loaders.pickup_methods_by_store_id.load(self.store_id),  # type: ignore[attr-defined]
        )
        stale = await stale_consignment_ids(consignments, version, lambda: info.context.shipping_setup(version))
        enabled = {row.id for row in pickups if row.enabled}
        assigned = assigned_quantities(items)
        return [
            CheckoutProblem.from_domain(problem)
            for problem in checkout_problems(self, line_items, assigned, consignments, stale, enabled)
        ]

    @strawberry.field(
        description="Non-fatal notices from the last quoting, e.g. a carrier that timed out: its options are "
        "missing, the other options are still offered."
    )
    async def warnings(self, info: strawberry.Info) -> list[CheckoutWarning]:
        consignments = await info.context.loaders.consignments_by_checkout_id.load(self.id)
        return [
            CheckoutWarning(
                code=CheckoutWarningCode(warning["code"]),
                message=warning["message"],
                consignment_id=consignment.id,
                carrier_id=warning.get("carrier_id"),
            )
            for consignment in consignments
            for warning in consignment.quote_warnings or ()
        ]

    @strawberry.field(description="Sum of the line items' `extendedListPrice`.")
    @amount("subtotal")
    def subtotal(self) -> Money: ...

    @strawberry.field(description="Sum of the consignments' `shippingCost`.")
    @amount("shipping_cost_total")
    def shipping_cost_total(self) -> Money: ...

    @strawberry.field(description="Sum of the consignments' `handlingCost`.")
    @amount("handling_cost_total")
    def handling_cost_total(self) -> Money: ...

    @strawberry.field(description="`subtotal` + `shippingCostTotal` + `handlingCostTotal`.")
    @amount("grand_total")
    def grand_total(self) -> Money: ...
