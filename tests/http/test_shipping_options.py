"""Shipping options through the HTTP API: zone precedence, ZIP patterns, pricing by method type, range
edges, free shipping, handling fees, totals, selection and its invalidation, stable option ids, stale quotes.

Configuration goes through server tokens, checkouts through storefront tokens, exactly as clients do.
Catalog (tests/factories.py): SHIRT 19.99 / 0.25 kg, MUG 7.50 / 0.40, LAMP 45.00 / 2.10, CHAIR 120.00 /
8.00, SOCKS 0.10 / 0.05, EBOOK (digital). The helpers at the top are shared by the other shipping test
modules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture, data, gql

pytestmark = pytest.mark.anyio

# --- documents ---------------------------------------------------------------------------------------

ERRORS = "errors { code message field }"

METHOD_FIELDS = """
fragment MethodFields on ShippingMethod {
  id zoneId name type enabled rate defaultCost defaultCostType carrierId services
  ranges { lowerLimit upperLimit cost }
  handlingFee { type value }
}
"""

ZONE_FIELDS = (
    """
fragment ZoneFields on ShippingZone {
  id name type enabled
  locations { countryCode stateCode zip }
  freeShipping { enabled minimumSubtotal { value currencyCode } }
  handlingFee { type value displaySeparately }
  methods { ...MethodFields }
}
"""
    + METHOD_FIELDS
)

ZONES = "query { shippingZones { ...ZoneFields } }" + ZONE_FIELDS
CREATE_ZONE = (
    "mutation($input: CreateShippingZoneInput!) { createShippingZone(input: $input) { zone { ...ZoneFields } "
    + ERRORS
    + " } }"
    + ZONE_FIELDS
)
UPDATE_ZONE = (
    "mutation($input: UpdateShippingZoneInput!) { updateShippingZone(input: $input) { zone { ...ZoneFields } "
    + ERRORS
    + " } }"
    + ZONE_FIELDS
)
DELETE_ZONE = "mutation($input: DeleteByIdInput!) { deleteShippingZone(input: $input) { deletedId " + ERRORS + " } }"
CREATE_METHOD = (
    "mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input) { method { ...MethodFields } "
    + ERRORS
    + " } }"
    + METHOD_FIELDS
)
UPDATE_METHOD = (
    "mutation($input: UpdateShippingMethodInput!) { updateShippingMethod(input: $input) { method { ...MethodFields } "
    + ERRORS
    + " } }"
    + METHOD_FIELDS
)
DELETE_METHOD = (
    "mutation($input: DeleteByIdInput!) { deleteShippingMethod(input: $input) { deletedId " + ERRORS + " } }"
)

CHECKOUT_FIELDS = """
fragment ShippingCheckout on Checkout {
  id version
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  problems { code consignmentId lineItemId fields }
  warnings { code message consignmentId carrierId }
  consignments {
    id
    shippingZoneName
    address { countryCode stateOrProvinceCode postalCode city }
    lineItems { quantity lineItem { id sku } }
    availableShippingOptions {
      id description type transitTime imageUrl
      cost { value currencyCode } handlingCost { value currencyCode }
    }
    selectedShippingOption { id description type cost { value } handlingCost { value } }
    selectedPickupOption { pickupMethodId }
    shippingCost { value currencyCode }
    handlingCost { value currencyCode }
  }
}
"""

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id sku } } errors { code message field } }
}
"""
CHECKOUT = "query($id: ID!) { checkout(id: $id) { ...ShippingCheckout } }" + CHECKOUT_FIELDS
ADD = (
    "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { checkout { ...ShippingCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
UPDATE = (
    "mutation($input: UpdateConsignmentInput!) { updateConsignment(input: $input) { checkout { ...ShippingCheckout } "
    + ERRORS
    + " } }"
    + CHECKOUT_FIELDS
)
REFRESH = (
    "mutation($input: RefreshShippingOptionsInput!) { refreshShippingOptions(input: $input) { "
    "checkout { ...ShippingCheckout } " + ERRORS + " } }" + CHECKOUT_FIELDS
)


# --- helpers -----------------------------------------------------------------------------------------


def ship_to(country: str = "US", state: str | None = None, postal: str | None = None, **extra: Any) -> dict[str, Any]:
    """A complete shipping address (so only shipping problems show up in `Checkout.problems`)."""
    address: dict[str, Any] = {
        "email": "shopper@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "address1": "1 Main St",
        "city": "Springfield",
        "countryCode": country,
    }
    if state is not None:
        address["stateOrProvinceCode"] = state
        address["stateOrProvince"] = state
    if postal is not None:
        address["postalCode"] = postal
    return {**address, **extra}


US_CA = ship_to("US", "CA", "94105")


def errors_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return sorted((error["code"], error["field"]) for error in payload["errors"])


def offered(consignment: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(description, cost, handling cost) of each option, in the order the API lists them."""
    return [
        (option["description"], option["cost"]["value"], option["handlingCost"]["value"])
        for option in consignment["availableShippingOptions"]
    ]


def costs(consignment: dict[str, Any]) -> dict[str, str]:
    """description -> cost of each offered option."""
    return {option["description"]: option["cost"]["value"] for option in consignment["availableShippingOptions"]}


def option(consignment: dict[str, Any], description: str) -> dict[str, Any]:
    matches = [o for o in consignment["availableShippingOptions"] if o["description"] == description]
    assert len(matches) == 1, (description, offered(consignment))
    return matches[0]


def option_ids(consignment: dict[str, Any]) -> list[str]:
    return [o["id"] for o in consignment["availableShippingOptions"]]


def problems_of(checkout: dict[str, Any], consignment_id: str | None = None) -> list[str]:
    """Problem codes concerning one consignment (or all consignment problems when None), sorted."""
    return sorted(
        problem["code"]
        for problem in checkout["problems"]
        if problem["consignmentId"] is not None
        and (consignment_id is None or problem["consignmentId"] == consignment_id)
    )


def totals(checkout: dict[str, Any]) -> tuple[str, str, str, str]:
    return (
        checkout["subtotal"]["value"],
        checkout["shippingCostTotal"]["value"],
        checkout["handlingCostTotal"]["value"],
        checkout["grandTotal"]["value"],
    )


class Cart:
    """One checkout, driven with the storefront token."""

    def __init__(self, api: ShippingApi, checkout_id: str, items: dict[str, str]) -> None:
        self.api = api
        self.id = checkout_id
        self.items = items

    def units(self, **quantities: int) -> list[dict[str, Any]]:
        return [{"itemId": self.items[sku], "quantity": quantity} for sku, quantity in quantities.items()]

    async def call(self, document: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        return await self.api.storefront(document, name, input)

    async def add(self, *consignments: dict[str, Any]) -> dict[str, Any]:
        return await self.call(ADD, "addConsignments", {"checkoutId": self.id, "consignments": list(consignments)})

    async def added(self, *consignments: dict[str, Any]) -> dict[str, Any]:
        """Add consignments that must be valid; return the checkout."""
        payload = await self.add(*consignments)
        assert payload["errors"] == [], payload["errors"]
        return payload["checkout"]  # type: ignore[no-any-return]

    async def ship(self, address: dict[str, Any], **quantities: int) -> dict[str, Any]:
        """Add one consignment; return it as the payload shows it."""
        checkout = await self.added({"address": address, "lineItems": self.units(**quantities)})
        return checkout["consignments"][-1]  # type: ignore[no-any-return]

    async def update(self, consignment_id: str, **fields: Any) -> dict[str, Any]:
        return await self.call(
            UPDATE, "updateConsignment", {"checkoutId": self.id, "consignmentId": consignment_id, **fields}
        )

    async def select(self, consignment_id: str, option_id: str) -> dict[str, Any]:
        return await self.update(consignment_id, shippingOptionId=option_id)

    async def selected(self, consignment_id: str, option_id: str) -> dict[str, Any]:
        payload = await self.select(consignment_id, option_id)
        assert payload["errors"] == [], payload["errors"]
        return payload["checkout"]  # type: ignore[no-any-return]

    async def refresh(self, consignment_id: str | None = None) -> dict[str, Any]:
        input: dict[str, Any] = {"checkoutId": self.id}
        if consignment_id is not None:
            input["consignmentId"] = consignment_id
        return await self.call(REFRESH, "refreshShippingOptions", input)

    async def refreshed(self, consignment_id: str | None = None) -> dict[str, Any]:
        payload = await self.refresh(consignment_id)
        assert payload["errors"] == [], payload["errors"]
        return payload["checkout"]  # type: ignore[no-any-return]

    async def read(self, token: str | None = None) -> dict[str, Any]:
        body = await gql(self.api.client, CHECKOUT, {"id": self.id}, token=token or self.api.store.storefront_token)
        return data(body)["checkout"]  # type: ignore[no-any-return]

    @staticmethod
    def consignment(checkout: dict[str, Any], consignment_id: str) -> dict[str, Any]:
        return next(c for c in checkout["consignments"] if c["id"] == consignment_id)


class ShippingApi:
    """Server-token configuration calls and storefront-token checkouts against one store."""

    def __init__(self, client: httpx.AsyncClient, store: StoreFixture) -> None:
        self.client = client
        self.store = store

    async def server(self, document: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        body = await gql(self.client, document, {"input": input}, token=self.store.server_token)
        return data(body)[name]  # type: ignore[no-any-return]

    async def storefront(self, document: str, name: str, input: dict[str, Any]) -> dict[str, Any]:
        body = await gql(self.client, document, {"input": input}, token=self.store.storefront_token)
        return data(body)[name]  # type: ignore[no-any-return]

    async def zone(self, name: str, type: str, locations: list[dict[str, Any]] | None = None, **extra: Any) -> str:
        payload = await self.server(
            CREATE_ZONE, "createShippingZone", {"name": name, "type": type, "locations": locations or [], **extra}
        )
        assert payload["errors"] == [], payload["errors"]
        return payload["zone"]["id"]  # type: ignore[no-any-return]

    async def method(self, zone_id: str, name: str, type: str, **settings: Any) -> str:
        payload = await self.server(
            CREATE_METHOD, "createShippingMethod", {"zoneId": zone_id, "name": name, "type": type, **settings}
        )
        assert payload["errors"] == [], payload["errors"]
        return payload["method"]["id"]  # type: ignore[no-any-return]

    async def update_method(self, method_id: str, **fields: Any) -> dict[str, Any]:
        payload = await self.server(UPDATE_METHOD, "updateShippingMethod", {"id": method_id, **fields})
        assert payload["errors"] == [], payload["errors"]
        return payload["method"]  # type: ignore[no-any-return]

    async def update_zone(self, zone_id: str, **fields: Any) -> dict[str, Any]:
        payload = await self.server(UPDATE_ZONE, "updateShippingZone", {"id": zone_id, **fields})
        assert payload["errors"] == [], payload["errors"]
        return payload["zone"]  # type: ignore[no-any-return]

    async def zones(self) -> list[dict[str, Any]]:
        body = await gql(self.client, ZONES, token=self.store.server_token)
        return data(body)["shippingZones"]  # type: ignore[no-any-return]

    async def cart(self, **quantities: int) -> Cart:
        lines = [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]
        body = await gql(
            self.client,
            CREATE_CHECKOUT,
            {"input": {"email": "shopper@example.com", "lineItems": lines}},
            token=self.store.storefront_token,
        )
        payload = data(body)["createCheckout"]
        assert payload["errors"] == [], payload["errors"]
        checkout = payload["checkout"]
        return Cart(self, checkout["id"], {item["sku"]: item["id"] for item in checkout["lineItems"]})


def fee(type: str, value: str, separately: bool | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"type": type, "value": value}
    if separately is not None:
        result["displaySeparately"] = separately
    return result


def ranges(*brackets: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"lowerLimit": lower, "upperLimit": upper, "cost": cost} for lower, upper, cost in brackets]


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


# --- zone precedence ---------------------------------------------------------------------------------


async def test_most_specific_zone_serves_each_address_zip_state_country_global(api):
    # Created least specific first, so the winner is never simply the lowest id.
    world = await api.zone("Worldwide", "GLOBAL")
    await api.method(world, "Standard", "PER_ORDER", rate="30.00")
    country = await api.zone("United States", "COUNTRY", [{"countryCode": "US"}])
    await api.method(country, "Standard", "PER_ORDER", rate="20.00")
    state = await api.zone("California", "STATE", [{"countryCode": "US", "stateCode": "CA"}])
    await api.method(state, "Standard", "PER_ORDER", rate="10.00")
    metro = await api.zone("Bay Area", "ZIP", [{"countryCode": "US", "zip": "941*"}])
    await api.method(metro, "Standard", "PER_ORDER", rate="5.00")

    cart = await api.cart(SHIRT=4)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("US", "CA", "90001"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("US", "NY", "10001"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=1)},
    )

    assert [(c["shippingZoneName"], offered(c)) for c in checkout["consignments"]] == [
        ("Bay Area", [("Standard", "5.00", "0.00")]),
        ("California", [("Standard", "10.00", "0.00")]),
        ("United States", [("Standard", "20.00", "0.00")]),
        ("Worldwide", [("Standard", "30.00", "0.00")]),
    ]
    assert problems_of(checkout) == ["NO_SHIPPING_OPTION_SELECTED"] * 4
    assert await cart.read() == checkout


async def test_equally_specific_zones_tie_to_the_lowest_id(api):
    first = await api.zone("Zeta", "COUNTRY", [{"countryCode": "US"}])
    await api.method(first, "Zeta rate", "PER_ORDER", rate="8.00")
    second = await api.zone("Alpha", "COUNTRY", [{"countryCode": "CA"}, {"countryCode": "US"}])
    await api.method(second, "Alpha rate", "PER_ORDER", rate="3.00")
    wide = await api.zone("Wide ZIP", "ZIP", [{"countryCode": "US", "zip": "9*"}])
    await api.method(wide, "Wide", "PER_ORDER", rate="6.00")
    narrow = await api.zone("Narrow ZIP", "ZIP", [{"countryCode": "US", "zip": "94105"}])
    await api.method(narrow, "Narrow", "PER_ORDER", rate="2.00")
    assert int(first) < int(second) < int(wide) < int(narrow)

    cart = await api.cart(SHIRT=3)
    checkout = await cart.added(
        {"address": ship_to("US", "NY", "10001"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("CA", "ON", "K1A 0B1"), "lineItems": cart.units(SHIRT=1)},
    )

    assert [(c["shippingZoneName"], costs(c)) for c in checkout["consignments"]] == [
        ("Zeta", {"Zeta rate": "8.00"}),
        ("Wide ZIP", {"Wide": "6.00"}),  # the lower id wins even though "94105" is a narrower pattern
        ("Alpha", {"Alpha rate": "3.00"}),
    ]


async def test_disabled_zones_never_match(api):
    await api.zone("Everywhere", "GLOBAL", enabled=False)
    state = await api.zone("California", "STATE", [{"countryCode": "US", "stateCode": "CA"}])
    await api.method(state, "State rate", "PER_ORDER", rate="10.00")
    metro = await api.zone("Bay Area", "ZIP", [{"countryCode": "US", "zip": "941*"}], enabled=False)
    await api.method(metro, "Metro rate", "PER_ORDER", rate="5.00")

    cart = await api.cart(SHIRT=2)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=1)},
    )
    bay, germany = checkout["consignments"]
    assert (bay["shippingZoneName"], costs(bay)) == ("California", {"State rate": "10.00"})
    assert (germany["shippingZoneName"], germany["availableShippingOptions"]) == (None, [])
    assert problems_of(checkout, germany["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "NO_SHIPPING_ZONE"]

    # Disabling the winning zone later hands the address to the next one once re-quoted.
    await api.update_zone(state, enabled=False)
    await api.update_zone(metro, enabled=True)
    checkout = await cart.refreshed()
    bay = cart.consignment(checkout, bay["id"])
    assert (bay["shippingZoneName"], costs(bay)) == ("Bay Area", {"Metro rate": "5.00"})


async def test_no_zone_means_no_options_and_a_no_shipping_zone_problem(api):
    canada = await api.zone("Canada", "COUNTRY", [{"countryCode": "CA"}])
    await api.method(canada, "Flat", "PER_ORDER", rate="12.00")

    cart = await api.cart(SHIRT=2)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("CA", "ON", "K1A 0B1"), "lineItems": cart.units(SHIRT=1)},
    )
    us, ca = checkout["consignments"]

    assert us["availableShippingOptions"] == []
    assert us["shippingZoneName"] is None
    assert problems_of(checkout, us["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "NO_SHIPPING_ZONE"]
    assert {"code": "NO_SHIPPING_ZONE", "consignmentId": us["id"], "lineItemId": None, "fields": []} in checkout[
        "problems"
    ]
    assert costs(ca) == {"Flat": "12.00"}
    assert problems_of(checkout, ca["id"]) == ["NO_SHIPPING_OPTION_SELECTED"]

    payload = await cart.select(us["id"], option(ca, "Flat")["id"])
    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_AVAILABLE", ["shippingOptionId"])]


async def test_a_store_without_any_zone_ships_nowhere(api):
    cart = await api.cart(MUG=1)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), MUG=1)
    checkout = await cart.read()
    assert consignment["availableShippingOptions"] == []
    assert problems_of(checkout, consignment["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "NO_SHIPPING_ZONE"]


# --- ZIP patterns ------------------------------------------------------------------------------------


ZIP_CASES = [
    # (country, postal code, served by the ZIP zone?)
    ("GB", "SW1A 1AA", True),
    ("GB", "sw1a 2bb", True),  # case-insensitive both ways: the pattern was given as "sw1a*"
    ("GB", "SW1A", True),  # `*` matches an empty run too
    ("GB", "SW1B 1AA", False),
    ("GB", "XSW1A 1AA", False),  # patterns are anchored at the start
    ("US", "66526", True),
    ("US", "665A6", True),  # `?` is any one character
    ("US", "6656", False),  # ... but exactly one
    ("US", "665226", False),
    ("DE", "66526", False),  # the pattern belongs to US
    ("CA", "k1a 0b7", True),
    ("GB", None, False),  # no postal code matches no pattern
]


async def test_zip_patterns_star_question_mark_and_case(api):
    metro = await api.zone(
        "Metro",
        "ZIP",
        [
            {"countryCode": "GB", "zip": "sw1a*"},
            {"countryCode": "US", "zip": "665?6"},
            {"countryCode": "CA", "zip": "K1A 0B?"},
        ],
    )
    await api.method(metro, "Courier", "PER_ORDER", rate="4.00")
    rest = await api.zone("Elsewhere", "GLOBAL")
    await api.method(rest, "Post", "PER_ORDER", rate="11.00")

    zones = await api.zones()
    assert zones[0]["locations"] == [
        {"countryCode": "GB", "stateCode": None, "zip": "SW1A*"},
        {"countryCode": "US", "stateCode": None, "zip": "665?6"},
        {"countryCode": "CA", "stateCode": None, "zip": "K1A 0B?"},
    ]

    cart = await api.cart(SOCKS=len(ZIP_CASES))
    checkout = await cart.added(
        *(
            {"address": ship_to(country, postal=postal), "lineItems": cart.units(SOCKS=1)}
            for country, postal, _ in ZIP_CASES
        )
    )
    got = [
        (c["address"]["countryCode"], c["address"]["postalCode"], c["shippingZoneName"])
        for c in checkout["consignments"]
    ]
    assert got == [(country, postal, "Metro" if hit else "Elsewhere") for country, postal, hit in ZIP_CASES]
    assert [costs(c) for c in checkout["consignments"]] == [
        {"Courier": "4.00"} if hit else {"Post": "11.00"} for _, _, hit in ZIP_CASES
    ]


# --- pricing -----------------------------------------------------------------------------------------


async def test_per_order_per_item_and_free_shipping_methods(api):
    zone = await api.zone("World", "GLOBAL")
    await api.method(zone, "Flat", "PER_ORDER", rate="7.95")
    await api.method(zone, "Per item", "PER_ITEM", rate="1.25")
    await api.method(zone, "Free", "FREE_SHIPPING")

    cart = await api.cart(SHIRT=3, MUG=2, LAMP=1, EBOOK=1)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=3, MUG=2)},
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(LAMP=1)},
    )
    big, small = checkout["consignments"]

    # PER_ITEM counts the units of this consignment only (5 here, 1 there), cheapest option first.
    assert offered(big) == [("Free", "0.00", "0.00"), ("Per item", "6.25", "0.00"), ("Flat", "7.95", "0.00")]
    assert offered(small) == [("Free", "0.00", "0.00"), ("Per item", "1.25", "0.00"), ("Flat", "7.95", "0.00")]
    assert [(o["description"], o["type"]) for o in big["availableShippingOptions"]] == [
        ("Free", "freeshipping"),
        ("Per item", "shipping_peritem"),
        ("Flat", "shipping_flatrate"),
    ]
    assert all(o["cost"]["currencyCode"] == "USD" for o in big["availableShippingOptions"])
    assert all(o["transitTime"] is None for o in big["availableShippingOptions"])


async def test_weight_ranges_are_inclusive_at_both_edges(api):
    zone = await api.zone("World", "GLOBAL")
    await api.method(
        zone,
        "By weight",
        "WEIGHT",
        ranges=ranges(("0", "1.00", "4.00"), ("1.05", "5.00", "9.00"), ("5.05", "10.00", "15.00")),
        defaultCost="25.00",
        defaultCostType="FIXED_AMOUNT",
    )
    await api.method(zone, "Light only", "WEIGHT", ranges=ranges(("0", "1.00", "3.00")))

    cart = await api.cart(SHIRT=8, SOCKS=4, LAMP=4, MUG=14, CHAIR=2)
    parcels = [
        ({"SHIRT": 4}, "1.00 kg"),
        ({"SHIRT": 4, "SOCKS": 1}, "1.05 kg"),
        ({"LAMP": 2, "MUG": 2}, "5.00 kg"),
        ({"LAMP": 2, "MUG": 2, "SOCKS": 1}, "5.05 kg"),
        ({"CHAIR": 1, "MUG": 5}, "10.00 kg"),
        ({"CHAIR": 1, "MUG": 5, "SOCKS": 1}, "10.05 kg"),
    ]
    checkout = await cart.added(
        *({"address": ship_to("DE", postal="10115"), "lineItems": cart.units(**items)} for items, _ in parcels)
    )

    got = {label: costs(c) for (_, label), c in zip(parcels, checkout["consignments"], strict=True)}
    assert got == {
        "1.00 kg": {"Light only": "3.00", "By weight": "4.00"},  # upper limit inclusive
        "1.05 kg": {"By weight": "9.00"},  # lower limit inclusive; "Light only" has no default: not offered
        "5.00 kg": {"By weight": "9.00"},
        "5.05 kg": {"By weight": "15.00"},  # just above an upper limit: the next bracket
        "10.00 kg": {"By weight": "15.00"},
        "10.05 kg": {"By weight": "25.00"},  # above every bracket: the fixed default
    }
    assert [o["description"] for o in checkout["consignments"][0]["availableShippingOptions"]] == [
        "Light only",
        "By weight",
    ]
    assert {o["type"] for c in checkout["consignments"] for o in c["availableShippingOptions"]} == {"shipping_byweight"}


async def test_total_ranges_edges_and_percentage_default(api):
    zone = await api.zone("World", "GLOBAL")
    await api.method(
        zone,
        "By total",
        "TOTAL",
        ranges=ranges(("0", "19.99", "5.00"), ("20.00", "49.99", "3.00")),
        defaultCost="12.5",
        defaultCostType="PERCENTAGE_OF_TOTAL",
    )
    await api.method(zone, "Percent", "TOTAL", ranges=[], defaultCost="2.5", defaultCostType="PERCENTAGE_OF_TOTAL")

    cart = await api.cart(SHIRT=2, SOCKS=1000, LAMP=1)
    parcels = [
        ({"SHIRT": 1}, "19.99"),
        ({"SOCKS": 200}, "20.00"),
        ({"SHIRT": 1, "SOCKS": 300}, "49.99"),
        ({"SOCKS": 500}, "50.00"),
        ({"LAMP": 1}, "45.00"),
    ]
    checkout = await cart.added(
        *({"address": ship_to("DE", postal="10115"), "lineItems": cart.units(**items)} for items, _ in parcels)
    )

    got = {label: costs(c) for (_, label), c in zip(parcels, checkout["consignments"], strict=True)}
    assert got == {
        "19.99": {"By total": "5.00", "Percent": "0.50"},  # 0.49975 rounds to 0.50
        "20.00": {"By total": "3.00", "Percent": "0.50"},
        "49.99": {"By total": "3.00", "Percent": "1.25"},  # 1.24975 rounds to 1.25
        "50.00": {"By total": "6.25", "Percent": "1.25"},  # 0.01 above the last bracket: 12.5 % of 50.00
        "45.00": {"By total": "3.00", "Percent": "1.12"},  # 1.125 rounds half-even to 1.12
    }
    assert {o["type"] for c in checkout["consignments"] for o in c["availableShippingOptions"]} == {"shipping_bytotal"}


async def test_overlapping_ranges_first_match_by_ascending_lower_limit(api):
    zone = await api.zone("World", "GLOBAL")
    await api.method(zone, "Overlap", "WEIGHT", ranges=ranges(("5", "20", "6.00"), ("0", "10", "8.00")))

    zones = await api.zones()
    assert zones[0]["methods"][0]["ranges"] == [
        {"lowerLimit": "0", "upperLimit": "10", "cost": "8.00"},
        {"lowerLimit": "5", "upperLimit": "20", "cost": "6.00"},
    ]

    cart = await api.cart(CHAIR=2, LAMP=2)
    checkout = await cart.added(
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(CHAIR=1)},  # 8.00 kg: in both
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(CHAIR=1, LAMP=1)},  # 10.10 kg
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(LAMP=1)},  # 2.10 kg
    )
    assert [costs(c) for c in checkout["consignments"]] == [
        {"Overlap": "8.00"},
        {"Overlap": "6.00"},
        {"Overlap": "8.00"},
    ]


async def test_range_without_match_and_without_default_is_not_offered(api):
    zone = await api.zone("World", "GLOBAL")
    await api.method(zone, "Small orders", "TOTAL", ranges=ranges(("0", "10.00", "2.00")))
    await api.method(zone, "Flat", "PER_ORDER", rate="6.00")

    cart = await api.cart(SHIRT=1, MUG=1)
    checkout = await cart.added(
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(MUG=1)},
    )
    assert [offered(c) for c in checkout["consignments"]] == [
        [("Flat", "6.00", "0.00")],
        [("Small orders", "2.00", "0.00"), ("Flat", "6.00", "0.00")],
    ]


async def test_zone_free_shipping_appears_exactly_at_the_minimum_subtotal(api):
    zone = await api.zone(
        "World",
        "GLOBAL",
        freeShipping={"enabled": True, "minimumSubtotal": "50.00"},
        handlingFee=fee("FIXED", "2.00"),
    )
    await api.method(zone, "Flat", "PER_ORDER", rate="9.00")

    cart = await api.cart(SHIRT=1, SOCKS=1299)
    checkout = await cart.added(
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SOCKS=500)},  # 50.00
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=1, SOCKS=300)},  # 49.99
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SOCKS=499)},  # 49.90
    )
    at, below, further_below = checkout["consignments"]
    # The free option carries no handling fee; the flat rate gets the zone's 2.00.
    assert offered(at) == [("Free Shipping", "0.00", "0.00"), ("Flat", "11.00", "0.00")]
    assert option(at, "Free Shipping")["type"] == "freeshipping"
    assert offered(below) == [("Flat", "11.00", "0.00")]
    assert offered(further_below) == [("Flat", "11.00", "0.00")]


async def test_zone_free_shipping_without_minimum_is_always_offered_and_disabled_never(api):
    always = await api.zone("Germany", "COUNTRY", [{"countryCode": "DE"}], freeShipping={"enabled": True})
    await api.method(always, "Flat", "PER_ORDER", rate="4.00")
    never = await api.zone(
        "France", "COUNTRY", [{"countryCode": "FR"}], freeShipping={"enabled": False, "minimumSubtotal": "1.00"}
    )
    await api.method(never, "Flat", "PER_ORDER", rate="4.00")

    cart = await api.cart(CHAIR=2)
    checkout = await cart.added(
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(CHAIR=1)},
        {"address": ship_to("FR", postal="75001"), "lineItems": cart.units(CHAIR=1)},
    )
    assert [offered(c) for c in checkout["consignments"]] == [
        [("Free Shipping", "0.00", "0.00"), ("Flat", "4.00", "0.00")],
        [("Flat", "4.00", "0.00")],
    ]


async def test_split_line_item_is_priced_from_each_consignments_own_units(api):
    zone = await api.zone("World", "GLOBAL", freeShipping={"enabled": True, "minimumSubtotal": "50.00"})
    await api.method(zone, "Per item", "PER_ITEM", rate="1.00")
    await api.method(zone, "By weight", "WEIGHT", ranges=ranges(("0", "0.50", "2.00"), ("0.55", "1.00", "3.00")))

    cart = await api.cart(SHIRT=5)
    checkout = await cart.added(
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=2)},  # 39.98, 0.50 kg
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(SHIRT=3)},  # 59.97, 0.75 kg
    )
    assert checkout["subtotal"]["value"] == "99.95"  # over the minimum, but only as a checkout
    two, three = checkout["consignments"]
    assert offered(two) == [("By weight", "2.00", "0.00"), ("Per item", "2.00", "0.00")]
    assert offered(three) == [
        ("Free Shipping", "0.00", "0.00"),
        ("By weight", "3.00", "0.00"),
        ("Per item", "3.00", "0.00"),
    ]


# --- handling fees -----------------------------------------------------------------------------------


async def test_fixed_zone_fee_and_method_fee_are_folded_into_the_cost(api):
    zone = await api.zone("World", "GLOBAL", handlingFee=fee("FIXED", "2.00"))
    await api.method(zone, "Flat", "PER_ORDER", rate="10.00")
    await api.method(zone, "Express", "PER_ORDER", rate="12.50", handlingFee=fee("PERCENTAGE", "20"))

    cart = await api.cart(MUG=1)
    consignment = await cart.ship(ship_to("DE", postal="10115"), MUG=1)
    # Express: 12.50 + zone 2.00 + 20 % of 12.50 (2.50) = 17.00
    assert offered(consignment) == [("Flat", "12.00", "0.00"), ("Express", "17.00", "0.00")]

    checkout = await cart.selected(consignment["id"], option(consignment, "Express")["id"])
    selected = cart.consignment(checkout, consignment["id"])
    assert (selected["shippingCost"]["value"], selected["handlingCost"]["value"]) == ("17.00", "0.00")
    assert totals(checkout) == ("7.50", "17.00", "0.00", "24.50")


async def test_percentage_zone_fee_is_a_share_of_the_shipping_cost(api):
    zone = await api.zone("World", "GLOBAL", handlingFee=fee("PERCENTAGE", "10"))
    await api.method(zone, "Flat", "PER_ORDER", rate="12.50")
    await api.method(zone, "Plus", "PER_ORDER", rate="12.50", handlingFee=fee("FIXED", "0.75"))
    await api.method(zone, "Odd", "PER_ORDER", rate="7.95")

    cart = await api.cart(MUG=1)
    consignment = await cart.ship(ship_to("DE", postal="10115"), MUG=1)
    # Flat 12.50 + 1.25; Plus 12.50 + 1.25 + 0.75; Odd 7.95 + 0.795 (rounded to 0.80).
    assert offered(consignment) == [("Odd", "8.75", "0.00"), ("Flat", "13.75", "0.00"), ("Plus", "14.50", "0.00")]


async def test_handling_shown_separately_as_option_and_consignment_handling_cost(api):
    zone = await api.zone("World", "GLOBAL", handlingFee=fee("FIXED", "1.50", separately=True))
    await api.method(zone, "Flat", "PER_ORDER", rate="10.00", handlingFee=fee("FIXED", "0.50"))
    await api.method(zone, "Share", "PER_ORDER", rate="20.00", handlingFee=fee("PERCENTAGE", "5"))

    cart = await api.cart(LAMP=1)
    consignment = await cart.ship(ship_to("DE", postal="10115"), LAMP=1)
    assert offered(consignment) == [("Flat", "10.00", "2.00"), ("Share", "20.00", "2.50")]

    checkout = await cart.selected(consignment["id"], option(consignment, "Share")["id"])
    selected = cart.consignment(checkout, consignment["id"])
    assert selected["selectedShippingOption"]["cost"] == {"value": "20.00"}
    assert selected["selectedShippingOption"]["handlingCost"] == {"value": "2.50"}
    assert selected["shippingCost"] == {"value": "20.00", "currencyCode": "USD"}
    assert selected["handlingCost"] == {"value": "2.50", "currencyCode": "USD"}
    assert totals(checkout) == ("45.00", "20.00", "2.50", "67.50")


async def test_a_free_shipping_method_costs_exactly_zero_whatever_the_handling_fees(api):
    folded = await api.zone("Europe", "COUNTRY", [{"countryCode": "DE"}], handlingFee=fee("FIXED", "0.99"))
    await api.method(folded, "Free", "FREE_SHIPPING", handlingFee=fee("PERCENTAGE", "10"))
    await api.method(folded, "Flat", "PER_ORDER", rate="4.00", handlingFee=fee("FIXED", "0.50"))
    shown = await api.zone("Home", "COUNTRY", [{"countryCode": "US"}], handlingFee=fee("FIXED", "1.50", True))
    await api.method(shown, "Free", "FREE_SHIPPING", handlingFee=fee("FIXED", "0.25"))

    cart = await api.cart(MUG=1, LAMP=1)
    abroad = await cart.ship(ship_to("DE", postal="10115"), MUG=1)
    home = await cart.ship(ship_to("US", "CA", "94105"), LAMP=1)
    # The other method still pays the fees, so the zone's fee is really there.
    assert offered(abroad) == [("Free", "0.00", "0.00"), ("Flat", "5.49", "0.00")]
    assert offered(home) == [("Free", "0.00", "0.00")]

    checkout = await cart.selected(home["id"], option(home, "Free")["id"])
    selected = cart.consignment(checkout, home["id"])
    assert (selected["shippingCost"]["value"], selected["handlingCost"]["value"]) == ("0.00", "0.00")


async def test_checkout_totals_add_up_over_several_consignments(api):
    domestic = await api.zone("Domestic", "COUNTRY", [{"countryCode": "US"}], handlingFee=fee("FIXED", "1.50", True))
    await api.method(domestic, "Flat", "PER_ORDER", rate="10.00", handlingFee=fee("FIXED", "0.50"))
    await api.method(domestic, "Per item", "PER_ITEM", rate="1.25")
    world = await api.zone("World", "GLOBAL", handlingFee=fee("PERCENTAGE", "10"))
    await api.method(world, "Flat", "PER_ORDER", rate="8.00")

    cart = await api.cart(SHIRT=3, MUG=2, LAMP=1, EBOOK=1)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=3)},
        {"address": ship_to("US", "NY", "10001"), "lineItems": cart.units(MUG=2)},
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(LAMP=1)},
    )
    c1, c2, c3 = checkout["consignments"]
    assert offered(c1) == [("Per item", "3.75", "1.50"), ("Flat", "10.00", "2.00")]
    assert offered(c2) == [("Per item", "2.50", "1.50"), ("Flat", "10.00", "2.00")]
    assert offered(c3) == [("Flat", "8.80", "0.00")]

    await cart.selected(c1["id"], option(c1, "Flat")["id"])
    await cart.selected(c2["id"], option(c2, "Per item")["id"])
    checkout = await cart.selected(c3["id"], option(c3, "Flat")["id"])

    assert [(c["shippingCost"]["value"], c["handlingCost"]["value"]) for c in checkout["consignments"]] == [
        ("10.00", "2.00"),
        ("2.50", "1.50"),
        ("8.80", "0.00"),
    ]
    # 59.97 + 15.00 + 45.00 + 9.99 (e-book) = 129.96
    assert totals(checkout) == ("129.96", "21.30", "3.50", "154.76")
    shipping = sum(Decimal(c["shippingCost"]["value"]) for c in checkout["consignments"])
    handling = sum(Decimal(c["handlingCost"]["value"]) for c in checkout["consignments"])
    assert Decimal(checkout["shippingCostTotal"]["value"]) == shipping
    assert Decimal(checkout["handlingCostTotal"]["value"]) == handling
    assert Decimal(checkout["grandTotal"]["value"]) == Decimal(checkout["subtotal"]["value"]) + shipping + handling
    assert problems_of(checkout) == []
    assert await cart.read() == checkout


# --- selection ---------------------------------------------------------------------------------------


async def selection_setup(api: ShippingApi) -> tuple[Cart, str, str]:
    """US: "Per item" 2.00/unit and "Small orders" 4.00 up to 30.00; Canada: "Flat" 15.00.
    A checkout with SHIRT x3 and MUG x2: consignment 1 holds SHIRT x1, consignment 2 MUG x2, both to the US."""
    us = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    await api.method(us, "Per item", "PER_ITEM", rate="2.00")
    await api.method(us, "Small orders", "TOTAL", ranges=ranges(("0", "30.00", "4.00")))
    canada = await api.zone("Canada", "COUNTRY", [{"countryCode": "CA"}])
    await api.method(canada, "Flat", "PER_ORDER", rate="15.00")
    cart = await api.cart(SHIRT=3, MUG=2)
    checkout = await cart.added(
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=1)},
        {"address": ship_to("US", "NY", "10001"), "lineItems": cart.units(MUG=2)},
    )
    c1, c2 = checkout["consignments"]
    assert offered(c1) == [("Per item", "2.00", "0.00"), ("Small orders", "4.00", "0.00")]
    assert offered(c2) == [("Per item", "4.00", "0.00"), ("Small orders", "4.00", "0.00")]
    return cart, c1["id"], c2["id"]


async def test_select_an_option_alone_and_costs_follow(api):
    cart, c1, c2 = await selection_setup(api)
    before = await cart.read()
    per_item = option(cart.consignment(before, c1), "Per item")

    payload = await cart.select(c1, per_item["id"])

    assert payload["errors"] == []
    checkout = payload["checkout"]
    first = cart.consignment(checkout, c1)
    assert first["selectedShippingOption"] == {
        "id": per_item["id"],
        "description": "Per item",
        "type": "shipping_peritem",
        "cost": {"value": "2.00"},
        "handlingCost": {"value": "0.00"},
    }
    assert first["shippingCost"]["value"] == "2.00"
    assert cart.consignment(checkout, c2)["selectedShippingOption"] is None
    assert totals(checkout) == ("74.97", "2.00", "0.00", "76.97")
    assert problems_of(checkout, c1) == []
    assert problems_of(checkout, c2) == ["NO_SHIPPING_OPTION_SELECTED"]
    assert checkout["version"] == before["version"] + 1
    assert await cart.read() == checkout


async def test_option_must_belong_to_the_consignment(api):
    cart, c1, c2 = await selection_setup(api)
    before = await cart.read()
    foreign = option(cart.consignment(before, c2), "Per item")["id"]
    assert foreign not in option_ids(cart.consignment(before, c1))

    for bad in (foreign, "no-such-option", ""):
        payload = await cart.select(c1, bad)
        assert errors_of(payload) == [("SHIPPING_OPTION_NOT_AVAILABLE", ["shippingOptionId"])], bad
    assert await cart.read() == before


async def test_option_must_be_selected_in_a_request_of_its_own(api):
    cart, c1, _ = await selection_setup(api)
    before = await cart.read()
    per_item = option(cart.consignment(before, c1), "Per item")["id"]

    payload = await cart.update(c1, shippingOptionId=per_item, address=ship_to("US", "CA", "94105"))
    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_ALONE", ["shippingOptionId"])]
    payload = await cart.update(c1, shippingOptionId=per_item, lineItems=cart.units(SHIRT=2))
    assert errors_of(payload) == [("SHIPPING_OPTION_NOT_ALONE", ["shippingOptionId"])]
    assert await cart.read() == before


async def test_items_change_keeps_the_selection_at_its_new_price(api):
    cart, c1, _ = await selection_setup(api)
    first = cart.consignment(await cart.read(), c1)
    await cart.selected(c1, option(first, "Per item")["id"])

    payload = await cart.update(c1, lineItems=cart.units(SHIRT=3))

    assert payload["errors"] == []
    checkout = payload["checkout"]
    first = cart.consignment(checkout, c1)
    # 59.97 is above "Small orders"' range, so only "Per item" is left, now 3 x 2.00.
    assert offered(first) == [("Per item", "6.00", "0.00")]
    assert first["selectedShippingOption"]["id"] == option(first, "Per item")["id"]
    assert first["selectedShippingOption"]["cost"] == {"value": "6.00"}
    assert first["shippingCost"]["value"] == "6.00"
    assert totals(checkout) == ("74.97", "6.00", "0.00", "80.97")
    assert problems_of(checkout, c1) == []


async def test_items_change_clears_a_selection_whose_method_is_no_longer_offered(api):
    cart, c1, _ = await selection_setup(api)
    first = cart.consignment(await cart.read(), c1)
    checkout = await cart.selected(c1, option(first, "Small orders")["id"])
    assert totals(checkout) == ("74.97", "4.00", "0.00", "78.97")

    payload = await cart.update(c1, lineItems=cart.units(SHIRT=2))  # 39.98: above "Small orders"

    assert payload["errors"] == []
    checkout = payload["checkout"]
    first = cart.consignment(checkout, c1)
    assert offered(first) == [("Per item", "4.00", "0.00")]
    assert first["selectedShippingOption"] is None
    assert (first["shippingCost"]["value"], first["handlingCost"]["value"]) == ("0.00", "0.00")
    assert totals(checkout) == ("74.97", "0.00", "0.00", "74.97")
    assert problems_of(checkout, c1) == ["NO_SHIPPING_OPTION_SELECTED"]


async def test_address_change_re_quotes_and_keeps_or_clears_the_selection(api):
    cart, c1, _ = await selection_setup(api)
    first = cart.consignment(await cart.read(), c1)
    await cart.selected(c1, option(first, "Per item")["id"])

    # Another US address: same zone, same method, same price; a new option id (the inputs changed).
    payload = await cart.update(c1, address=ship_to("US", "TX", "73301"))
    assert payload["errors"] == []
    moved = cart.consignment(payload["checkout"], c1)
    assert offered(moved) == offered(first)
    assert moved["selectedShippingOption"]["description"] == "Per item"
    assert moved["selectedShippingOption"]["id"] == option(moved, "Per item")["id"]
    assert moved["selectedShippingOption"]["id"] != option(first, "Per item")["id"]
    assert moved["shippingCost"]["value"] == "2.00"

    # Canada offers only "Flat": the selection goes.
    payload = await cart.update(c1, address=ship_to("CA", "ON", "K1A 0B1"))
    assert payload["errors"] == []
    checkout = payload["checkout"]
    moved = cart.consignment(checkout, c1)
    assert (moved["shippingZoneName"], offered(moved)) == ("Canada", [("Flat", "15.00", "0.00")])
    assert moved["selectedShippingOption"] is None
    assert moved["shippingCost"]["value"] == "0.00"
    assert totals(checkout) == ("74.97", "0.00", "0.00", "74.97")


async def test_option_ids_are_stable_for_the_same_inputs_and_change_with_them(api):
    cart, c1, c2 = await selection_setup(api)
    original = await cart.read()
    ids = option_ids(cart.consignment(original, c1))
    other_ids = option_ids(cart.consignment(original, c2))
    assert len(set(ids)) == len(ids) == 2
    await cart.selected(c1, ids[0])

    refreshed = await cart.refreshed()
    assert option_ids(cart.consignment(refreshed, c1)) == ids
    assert option_ids(cart.consignment(refreshed, c2)) == other_ids
    assert cart.consignment(refreshed, c1)["selectedShippingOption"]["id"] == ids[0]

    changed = (await cart.update(c1, lineItems=cart.units(SHIRT=2)))["checkout"]
    assert set(option_ids(cart.consignment(changed, c1))).isdisjoint(ids)

    back = (await cart.update(c1, lineItems=cart.units(SHIRT=1)))["checkout"]
    assert option_ids(cart.consignment(back, c1)) == ids


async def test_reading_a_checkout_twice_returns_the_same_options(api):
    cart, c1, _ = await selection_setup(api)
    assert await cart.read() == await cart.read()


# --- stale quotes ------------------------------------------------------------------------------------


async def stale_setup(api: ShippingApi) -> tuple[Cart, str, dict[str, str], str]:
    zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    methods = {
        "Flat": await api.method(zone, "Flat", "PER_ORDER", rate="5.00"),
        "Express": await api.method(zone, "Express", "PER_ORDER", rate="9.00"),
    }
    cart = await api.cart(SHIRT=1)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), SHIRT=1)
    await cart.selected(consignment["id"], option(consignment, "Flat")["id"])
    return cart, consignment["id"], methods, zone


async def test_config_change_makes_quotes_stale_until_refreshed(api):
    cart, cid, methods, _ = await stale_setup(api)
    before = cart.consignment(await cart.read(), cid)
    express_id = option(before, "Express")["id"]

    await api.update_method(methods["Flat"], rate="6.00")

    checkout = await cart.read()
    assert problems_of(checkout, cid) == ["SHIPPING_QUOTE_STALE"]
    assert cart.consignment(checkout, cid) == before  # a read never re-quotes
    payload = await cart.select(cid, express_id)
    assert errors_of(payload) == [("SHIPPING_OPTION_STALE", ["shippingOptionId"])]
    assert await cart.read() == checkout

    checkout = await cart.refreshed(cid)
    consignment = cart.consignment(checkout, cid)
    assert problems_of(checkout, cid) == []
    assert offered(consignment) == [("Flat", "6.00", "0.00"), ("Express", "9.00", "0.00")]
    assert consignment["selectedShippingOption"]["description"] == "Flat"
    assert consignment["selectedShippingOption"]["cost"] == {"value": "6.00"}
    assert consignment["shippingCost"]["value"] == "6.00"
    assert totals(checkout) == ("19.99", "6.00", "0.00", "25.99")

    # Fresh options can be selected again.
    checkout = await cart.selected(cid, option(consignment, "Express")["id"])
    assert totals(checkout) == ("19.99", "9.00", "0.00", "28.99")


async def test_zone_change_makes_quotes_stale_and_refresh_applies_the_new_fee(api):
    cart, cid, _, zone = await stale_setup(api)

    await api.update_zone(zone, handlingFee=fee("FIXED", "1.00", separately=True))

    checkout = await cart.read()
    assert problems_of(checkout, cid) == ["SHIPPING_QUOTE_STALE"]
    checkout = await cart.refreshed()
    consignment = cart.consignment(checkout, cid)
    assert problems_of(checkout, cid) == []
    assert offered(consignment) == [("Flat", "5.00", "1.00"), ("Express", "9.00", "1.00")]
    assert (consignment["shippingCost"]["value"], consignment["handlingCost"]["value"]) == ("5.00", "1.00")
    assert totals(checkout) == ("19.99", "5.00", "1.00", "25.99")


async def test_deleting_the_selected_method_clears_the_selection_and_refresh_keeps_the_reason(api):
    cart, cid, methods, _ = await stale_setup(api)
    payload = await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": methods["Flat"]})
    assert payload == {"deletedId": methods["Flat"], "errors": []}

    checkout = await cart.refreshed(cid)
    consignment = cart.consignment(checkout, cid)
    assert offered(consignment) == [("Express", "9.00", "0.00")]
    assert consignment["selectedShippingOption"] is None
    assert consignment["shippingCost"]["value"] == "0.00"
    assert problems_of(checkout, cid) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_OPTION_UNAVAILABLE"]
    assert totals(checkout) == ("19.99", "0.00", "0.00", "19.99")


async def test_zone_created_after_quoting_makes_an_unserved_consignment_stale(api):
    cart = await api.cart(MUG=1)
    consignment = await cart.ship(ship_to("US", "CA", "94105"), MUG=1)
    assert problems_of(await cart.read(), consignment["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "NO_SHIPPING_ZONE"]

    zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    await api.method(zone, "Flat", "PER_ORDER", rate="5.00")
    assert problems_of(await cart.read(), consignment["id"]) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_QUOTE_STALE"]

    checkout = await cart.refreshed(consignment["id"])
    refreshed = cart.consignment(checkout, consignment["id"])
    assert (refreshed["shippingZoneName"], offered(refreshed)) == ("US", [("Flat", "5.00", "0.00")])
    assert problems_of(checkout, consignment["id"]) == ["NO_SHIPPING_OPTION_SELECTED"]


async def test_refresh_of_unknown_consignment_or_checkout_is_not_found(api):
    cart, cid, _, _ = await stale_setup(api)
    payload = await cart.refresh("no-such-consignment")
    assert errors_of(payload) == [("NOT_FOUND", ["consignmentId"])]
    payload = await api.storefront(REFRESH, "refreshShippingOptions", {"checkoutId": "no-such-checkout"})
    assert errors_of(payload) == [("NOT_FOUND", ["checkoutId"])]
    assert payload["checkout"] is None
