"""Build ready-to-complete checkouts, orders and shipments through the HTTP API, as clients do.

Shipping configuration (zones, methods, pickup locations) and everything about orders goes through the
server token; checkouts (line items, billing, consignments, option selection, completion) through the
storefront token. Works with the in-process ASGI client as well as with clients of real servers.

Default shipping setup: one GLOBAL zone "Everywhere" with a separately shown FIXED handling fee of 2.00,
offering "Flat Rate" (PER_ORDER 5.00) and "Per Item" (PER_ITEM 1.50 per unit).
Catalog (tests/factories.py): SHIRT 19.99, MUG 7.50, LAMP 45.00, CHAIR 120.00, SOCKS 0.10, EBOOK 9.99
(digital), GIFTCARD 25.00 (digital).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import StoreFixture, data, gql

ERRORS = "errors { code message field }"

# --- documents ---------------------------------------------------------------------------------------

CREATE_ZONE = (
    "mutation($input: CreateShippingZoneInput!) { createShippingZone(input: $input) { "
    "zone { id name methods { id name } } " + ERRORS + " } }"
)
UPDATE_ZONE = (
    "mutation($input: UpdateShippingZoneInput!) { updateShippingZone(input: $input) { zone { id name } "
    + ERRORS
    + " } }"
)
CREATE_METHOD = (
    "mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input) { method { id name } "
    + ERRORS
    + " } }"
)
UPDATE_METHOD = (
    "mutation($input: UpdateShippingMethodInput!) { updateShippingMethod(input: $input) { method { id name rate } "
    + ERRORS
    + " } }"
)
CREATE_PICKUP = (
    "mutation($input: CreatePickupMethodInput!) { createPickupMethod(input: $input) { pickupMethod { id locationName } "
    + ERRORS
    + " } }"
)
UPDATE_PICKUP = (
    "mutation($input: UpdatePickupMethodInput!) { updatePickupMethod(input: $input) { pickupMethod { id locationName } "
    + ERRORS
    + " } }"
)
DELETE_PICKUP = "mutation($input: DeleteByIdInput!) { deletePickupMethod(input: $input) { deletedId " + ERRORS + " } }"

ADDRESS_FIELDS = """
  firstName lastName email company address1 address2 city stateOrProvince stateOrProvinceCode
  countryCode postalCode phone
"""

CHECKOUT_FIELDS = (
    """
fragment FlowCheckout on Checkout {
  id email version updatedAt
  billingAddress { """
    + ADDRESS_FIELDS
    + """ }
  lineItems { id sku quantity requiresShipping unassignedQuantity listPrice { value } }
  consignments {
    id
    address { """
    + ADDRESS_FIELDS
    + """ }
    shippingZoneName
    lineItems { quantity lineItem { id sku } }
    availableShippingOptions { id description cost { value } handlingCost { value } }
    selectedShippingOption { id description cost { value } handlingCost { value } }
    selectedPickupOption { pickupMethodId }
    shippingCost { value currencyCode }
    handlingCost { value currencyCode }
  }
  problems { code consignmentId lineItemId fields }
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  order { id status }
}
"""
)

ORDER_FIELDS = (
    """
fragment FlowOrder on Order {
  id status email currencyCode checkoutId createdAt dateShipped itemsTotal itemsShipped
  billingAddress { """
    + ADDRESS_FIELDS
    + """ }
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  shippingAddresses {
    id shippingMethod shippingZoneName itemsTotal itemsShipped
    address { """
    + ADDRESS_FIELDS
    + """ }
    shippingCost { value currencyCode }
    handlingCost { value currencyCode }
    order { id }
    products { id sku }
    shipments { id }
  }
  pickups {
    id pickupMethodId locationName instructions pickedUpAt
    address { """
    + ADDRESS_FIELDS
    + """ }
    items { id sku quantity pickup { id } shippingAddress { id } }
  }
  products {
    id sku name quantity quantityShipped
    price { value currencyCode }
    shippingAddress { id }
    pickup { id }
  }
  shipments {
    id trackingNumber shippingProvider trackingCarrier trackingLink shippingMethod comments createdAt
    order { id }
    shippingAddress { id }
    items { quantity orderProduct { id sku quantityShipped } }
  }
}
"""
)

SHIPMENT_FIELDS = """
fragment FlowShipment on Shipment {
  id trackingNumber shippingProvider trackingCarrier trackingLink shippingMethod comments createdAt
  order { id }
  shippingAddress { id }
  items { quantity orderProduct { id sku quantity quantityShipped } }
}
"""

CREATE_CHECKOUT = (
    "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { checkout { ...FlowCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
CHECKOUT = "query($id: ID!) { checkout(id: $id) { ...FlowCheckout } }" + CHECKOUT_FIELDS
SET_BILLING = (
    "mutation($input: SetCheckoutBillingAddressInput!) { setCheckoutBillingAddress(input: $input) { "
    "checkout { ...FlowCheckout } " + ERRORS + " } }" + CHECKOUT_FIELDS
)
ADD_CONSIGNMENTS = (
    "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { checkout { ...FlowCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
UPDATE_CONSIGNMENT = (
    "mutation($input: UpdateConsignmentInput!) { updateConsignment(input: $input) { checkout { ...FlowCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
DELETE_CONSIGNMENT = (
    "mutation($input: DeleteConsignmentInput!) { deleteConsignment(input: $input) { checkout { ...FlowCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
REFRESH = (
    "mutation($input: RefreshShippingOptionsInput!) { refreshShippingOptions(input: $input) { "
    "checkout { ...FlowCheckout } " + ERRORS + " } }" + CHECKOUT_FIELDS
)
COMPLETE = (
    "mutation($input: CompleteCheckoutInput!) { completeCheckout(input: $input) { "
    "order { ...FlowOrder } checkout { ...FlowCheckout } " + ERRORS + " } }" + CHECKOUT_FIELDS + ORDER_FIELDS
)
ORDER = "query($id: ID!) { order(id: $id) { ...FlowOrder } }" + ORDER_FIELDS
ORDERS = (
    "query($first: Int, $after: String, $filter: OrderFilter) { "
    "orders(first: $first, after: $after, filter: $filter) { "
    "edges { cursor node { id status email createdAt } } nodes { id } pageInfo { hasNextPage endCursor } } }"
)
CREATE_SHIPMENT = (
    "mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { ...FlowShipment } "
    "order { ...FlowOrder } " + ERRORS + " } }" + SHIPMENT_FIELDS + ORDER_FIELDS
)
UPDATE_SHIPMENT = (
    "mutation($input: UpdateShipmentInput!) { updateShipment(input: $input) { shipment { ...FlowShipment } "
    "order { ...FlowOrder } " + ERRORS + " } }" + SHIPMENT_FIELDS + ORDER_FIELDS
)
DELETE_SHIPMENT = (
    "mutation($input: DeleteShipmentInput!) { deleteShipment(input: $input) { shipment { id } "
    "order { ...FlowOrder } " + ERRORS + " } }" + ORDER_FIELDS
)
MARK_PICKED_UP = (
    "mutation($input: MarkPickedUpInput!) { markPickedUp(input: $input) { order { ...FlowOrder } "
    + ERRORS
    + " } }"
    + ORDER_FIELDS
)
CANCEL_ORDER = (
    "mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { ...FlowOrder } "
    + ERRORS
    + " } }"
    + ORDER_FIELDS
)

# --- addresses ---------------------------------------------------------------------------------------


def address(
    country: str = "US", state: str | None = "CA", postal: str | None = "94105", **extra: Any
) -> dict[str, Any]:
    """A complete address (for the given country's rules when `state`/`postal` fit them)."""
    result: dict[str, Any] = {
        "email": "shopper@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": "1 Main St",
        "city": "Springfield",
        "countryCode": country,
    }
    if state is not None:
        result["stateOrProvince"] = state
        result["stateOrProvinceCode"] = state
    if postal is not None:
        result["postalCode"] = postal
    result.update(extra)
    return {key: value for key, value in result.items() if value is not None}


US_CA = address()
GB_LONDON = address("GB", None, "SW1A 1AA", city="London")
AE_DUBAI = address("AE", None, None, city="Dubai")
BILLING = address(firstName="Grace", lastName="Hopper", email="billing@example.com", address1="9 Billing Rd")

# --- the flow ----------------------------------------------------------------------------------------


@dataclass
class Shipping:
    zone_id: str
    methods: dict[str, str]  # method name -> id


@dataclass
class Cart:
    """A checkout as created: its id and the line item id of each SKU."""

    id: str
    items: dict[str, str]
    consignment_ids: list[str] = field(default_factory=list)

    def units(self, **quantities: int) -> list[dict[str, Any]]:
        return [{"itemId": self.items[sku], "quantity": quantity} for sku, quantity in quantities.items()]


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """(code, field) of every error, sorted."""
    return sorted((error["code"], error["field"]) for error in payload["errors"])


def money(value: dict[str, Any]) -> str:
    return value["value"]  # type: ignore[no-any-return]


class OrderFlow:
    """Server-token configuration and order calls, storefront-token checkout calls, against one store."""

    def __init__(self, client: httpx.AsyncClient, store: StoreFixture) -> None:
        self.client = client
        self.store = store
        #: The last shipping setup made by `shipping()`.
        self.setup = Shipping(zone_id="", methods={})

    # raw calls

    async def server(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return data(await gql(self.client, document, variables, token=self.store.server_token))

    async def storefront(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return data(await gql(self.client, document, variables, token=self.store.storefront_token))

    async def server_mutation(self, document: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        return (await self.server(document, {"input": input}))[name]  # type: ignore[no-any-return]

    async def storefront_mutation(self, document: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        return (await self.storefront(document, {"input": input}))[name]  # type: ignore[no-any-return]

    # shipping configuration

    async def shipping(
        self,
        *,
        zone_name: str = "Everywhere",
        flat_rate: str = "5.00",
        per_item: str | None = "1.50",
        handling: str | None = "2.00",
    ) -> Shipping:
        zone_input: dict[str, Any] = {"name": zone_name, "type": "GLOBAL", "locations": []}
        if handling is not None:
            zone_input["handlingFee"] = {"type": "FIXED", "value": handling, "displaySeparately": True}
        payload = await self.server_mutation(CREATE_ZONE, "createShippingZone", zone_input)
        assert payload["errors"] == [], payload["errors"]
        zone_id = payload["zone"]["id"]
        methods = {"Flat Rate": await self.method(zone_id, "Flat Rate", "PER_ORDER", rate=flat_rate)}
        if per_item is not None:
            methods["Per Item"] = await self.method(zone_id, "Per Item", "PER_ITEM", rate=per_item)
        self.setup = Shipping(zone_id=zone_id, methods=methods)
        return self.setup

    async def method(self, zone_id: str, name: str, type: str, **settings: Any) -> str:
        payload = await self.server_mutation(
            CREATE_METHOD, "createShippingMethod", {"zoneId": zone_id, "name": name, "type": type, **settings}
        )
        assert payload["errors"] == [], payload["errors"]
        return payload["method"]["id"]  # type: ignore[no-any-return]

    async def update_method(self, method_id: str, **fields: Any) -> dict[str, Any]:
        payload = await self.server_mutation(UPDATE_METHOD, "updateShippingMethod", {"id": method_id, **fields})
        assert payload["errors"] == [], payload["errors"]
        return payload["method"]  # type: ignore[no-any-return]

    async def update_zone(self, zone_id: str, **fields: Any) -> dict[str, Any]:
        payload = await self.server_mutation(UPDATE_ZONE, "updateShippingZone", {"id": zone_id, **fields})
        assert payload["errors"] == [], payload["errors"]
        return payload["zone"]  # type: ignore[no-any-return]

    async def pickup_method(self, name: str = "Downtown Store") -> int:
        payload = await self.server_mutation(
            CREATE_PICKUP,
            "createPickupMethod",
            {
                "locationName": name,
                "address": {
                    "countryCode": "US",
                    "address1": "5 Market St",
                    "city": "San Francisco",
                    "stateOrProvinceCode": "CA",
                    "postalCode": "94103",
                },
                "instructions": "Ask at the counter.",
            },
        )
        assert payload["errors"] == [], payload["errors"]
        return int(payload["pickupMethod"]["id"])

    # checkouts (storefront)

    async def cart(self, *, email: str | None = "shopper@example.com", **quantities: int) -> Cart:
        input: dict[str, Any] = {"lineItems": [{"sku": sku, "quantity": n} for sku, n in quantities.items()]}
        if email is not None:
            input["email"] = email
        payload = await self.storefront_mutation(CREATE_CHECKOUT, "createCheckout", input)
        assert payload["errors"] == [], payload["errors"]
        checkout = payload["checkout"]
        return Cart(checkout["id"], {line["sku"]: line["id"] for line in checkout["lineItems"]})

    async def checkout(self, checkout_id: str, *, token: str | None = None) -> dict[str, Any]:
        body = await gql(self.client, CHECKOUT, {"id": checkout_id}, token=token or self.store.storefront_token)
        return data(body)["checkout"]  # type: ignore[no-any-return]

    async def set_billing(self, cart: Cart, billing: dict[str, Any] | None = None) -> dict[str, Any]:
        payload = await self.storefront_mutation(
            SET_BILLING, "setCheckoutBillingAddress", {"checkoutId": cart.id, "address": billing or BILLING}
        )
        assert payload["errors"] == [], payload["errors"]
        return payload["checkout"]  # type: ignore[no-any-return]

    async def add(self, cart: Cart, *consignments: dict[str, Any]) -> dict[str, Any]:
        """Add consignments that must be valid; remember their ids on the cart; return the checkout."""
        payload = await self.storefront_mutation(
            ADD_CONSIGNMENTS, "addConsignments", {"checkoutId": cart.id, "consignments": list(consignments)}
        )
        assert payload["errors"] == [], payload["errors"]
        checkout = payload["checkout"]
        cart.consignment_ids = [consignment["id"] for consignment in checkout["consignments"]]
        return checkout  # type: ignore[no-any-return]

    async def ship(self, cart: Cart, to: dict[str, Any], **quantities: int) -> str:
        """Add one shipping consignment; return its id."""
        await self.add(cart, {"address": to, "lineItems": cart.units(**quantities)})
        return cart.consignment_ids[-1]

    async def pickup(self, cart: Cart, pickup_method_id: int, **quantities: int) -> str:
        await self.add(
            cart, {"pickupOption": {"pickupMethodId": pickup_method_id}, "lineItems": cart.units(**quantities)}
        )
        return cart.consignment_ids[-1]

    async def select(self, cart: Cart, consignment_id: str, description: str = "Flat Rate") -> dict[str, Any]:
        """Select the option with this description (it must be offered); return the checkout."""
        checkout = await self.checkout(cart.id)
        consignment = next(c for c in checkout["consignments"] if c["id"] == consignment_id)
        options = [o for o in consignment["availableShippingOptions"] if o["description"] == description]
        assert len(options) == 1, (description, consignment["availableShippingOptions"])
        payload = await self.storefront_mutation(
            UPDATE_CONSIGNMENT,
            "updateConsignment",
            {"checkoutId": cart.id, "consignmentId": consignment_id, "shippingOptionId": options[0]["id"]},
        )
        assert payload["errors"] == [], payload["errors"]
        return payload["checkout"]  # type: ignore[no-any-return]

    async def ready(
        self,
        *,
        lines: dict[str, int] | None = None,
        consignments: list[tuple[dict[str, Any], dict[str, int], str]] | None = None,
        billing: dict[str, Any] | None = None,
        email: str | None = "shopper@example.com",
    ) -> Cart:
        """A checkout that can be completed: billing set, every physical unit in a consignment with an option.

        `consignments`: (address, {sku: units}, option description) per consignment; by default all
        physical units of `lines` go to one US consignment shipped "Flat Rate".
        """
        lines = lines or {"SHIRT": 2, "MUG": 1}
        cart = await self.cart(email=email, **lines)
        if consignments is None:
            physical = {sku: n for sku, n in lines.items() if sku not in ("EBOOK", "GIFTCARD")}
            consignments = [(US_CA, physical, "Flat Rate")] if physical else []
        for to, quantities, description in consignments:
            consignment_id = await self.ship(cart, to, **quantities)
            await self.select(cart, consignment_id, description)
        await self.set_billing(cart, billing)
        checkout = await self.checkout(cart.id)
        assert checkout["problems"] == [], checkout["problems"]
        return cart

    async def complete(
        self, checkout_id: str, *, idempotency_key: str | None = None, token: str | None = None
    ) -> dict[str, Any]:
        input: dict[str, Any] = {"checkoutId": checkout_id}
        if idempotency_key is not None:
            input["idempotencyKey"] = idempotency_key
        body = await gql(self.client, COMPLETE, {"input": input}, token=token or self.store.storefront_token)
        return data(body)["completeCheckout"]  # type: ignore[no-any-return]

    async def completed(self, checkout_id: str, **kwargs: Any) -> dict[str, Any]:
        """Complete a checkout that must complete; return the order."""
        payload = await self.complete(checkout_id, **kwargs)
        assert payload["errors"] == [], payload["errors"]
        assert payload["order"] is not None
        return payload["order"]  # type: ignore[no-any-return]

    async def place_order(self, **kwargs: Any) -> dict[str, Any]:
        """`ready` + `completed`: a fresh order."""
        cart = await self.ready(**kwargs)
        return await self.completed(cart.id)

    # orders (server)

    async def order(self, order_id: str) -> dict[str, Any] | None:
        return (await self.server(ORDER, {"id": order_id}))["order"]  # type: ignore[no-any-return]

    async def orders(self, *, first: int | None = None, after: str | None = None, **filter: Any) -> dict[str, Any]:
        variables: dict[str, Any] = {"first": first, "after": after}
        if filter:
            variables["filter"] = filter
        return (await self.server(ORDERS, variables))["orders"]  # type: ignore[no-any-return]

    async def create_shipment(self, input: dict[str, Any]) -> dict[str, Any]:
        return await self.server_mutation(CREATE_SHIPMENT, "createShipment", input)

    async def shipped(
        self, order: dict[str, Any], address_index: int = 0, *, items: dict[str, int] | None = None, **tracking: Any
    ) -> dict[str, Any]:
        """Create a shipment that must succeed: `items` maps SKU -> units of the products on that address
        (default: everything left). Returns the payload."""
        shipping_address = order["shippingAddresses"][address_index]
        mine = [p for p in order["products"] if (p["shippingAddress"] or {}).get("id") == shipping_address["id"]]
        if items is None:
            chosen = [
                (p["id"], p["quantity"] - p["quantityShipped"]) for p in mine if p["quantity"] > p["quantityShipped"]
            ]
        else:
            chosen = [(next(p["id"] for p in mine if p["sku"] == sku), n) for sku, n in items.items()]
        payload = await self.create_shipment(
            {
                "orderId": order["id"],
                "shippingAddressId": shipping_address["id"],
                "items": [{"orderProductId": product_id, "quantity": n} for product_id, n in chosen],
                **tracking,
            }
        )
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def update_shipment(self, input: dict[str, Any]) -> dict[str, Any]:
        return await self.server_mutation(UPDATE_SHIPMENT, "updateShipment", input)

    async def delete_shipment(self, shipment_id: str) -> dict[str, Any]:
        return await self.server_mutation(DELETE_SHIPMENT, "deleteShipment", {"shipmentId": shipment_id})

    async def mark_picked_up(self, order_id: str, pickup_id: str) -> dict[str, Any]:
        return await self.server_mutation(MARK_PICKED_UP, "markPickedUp", {"orderId": order_id, "pickupId": pickup_id})

    async def cancel(self, order_id: str) -> dict[str, Any]:
        return await self.server_mutation(CANCEL_ORDER, "cancelOrder", {"orderId": order_id})


def product(order: dict[str, Any], sku: str, address_index: int | None = 0) -> dict[str, Any]:
    """The order product of `sku` on the given shipping address (None: the digital one)."""
    address_id = None if address_index is None else order["shippingAddresses"][address_index]["id"]
    matches = [p for p in order["products"] if p["sku"] == sku and (p["shippingAddress"] or {}).get("id") == address_id]
    assert len(matches) == 1, (sku, address_index, order["products"])
    return matches[0]
