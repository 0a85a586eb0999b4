"""Which quotes go stale, and what happens to a selection whose method or location is deleted.

A quote is stale only when something it was priced from changed: the zone the address matches (a new,
more specific zone counts), that zone's fees and free-shipping rule, its methods (rates, names, enabled,
added, removed) and their carrier connections. Edits elsewhere (other zones, names of zones, pickup
locations) leave every open checkout alone. A deleted method, zone or pickup location is never
inherited: its selection is cleared in the delete's transaction and the consignment says why.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import StoreFixture, data, gql
from tests.http.test_shipping_options import (
    DELETE_METHOD,
    DELETE_ZONE,
    Cart,
    ShippingApi,
    fee,
    option,
    problems_of,
    ship_to,
    totals,
)
from tests.http.test_shipping_pickup import DELETE_PICKUP, pickup_id

pytestmark = pytest.mark.anyio

COMPLETE = """
mutation($input: CompleteCheckoutInput!) {
  completeCheckout(input: $input) { order { id } errors { code message field } }
}
"""
VERSION = "query($id: ID!) { checkout(id: $id) { version problems { code message consignmentId } } }"
BILLING = """
mutation($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) { errors { code field } }
}
"""


class Store:
    """Two zones with open checkouts (US, GB) and one zone nobody ships to (FR)."""

    def __init__(self, api: ShippingApi) -> None:
        self.api = api
        self.zones: dict[str, str] = {}
        self.methods: dict[str, str] = {}
        self.carts: dict[str, tuple[Cart, str]] = {}

    async def build(self) -> Store:
        api = self.api
        self.zones["US"] = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
        self.zones["GB"] = await api.zone("GB", "COUNTRY", [{"countryCode": "GB"}])
        self.zones["FR"] = await api.zone("FR", "COUNTRY", [{"countryCode": "FR"}])
        self.methods["Flat"] = await api.method(self.zones["US"], "Flat", "PER_ORDER", rate="5.00")
        self.methods["Express"] = await api.method(self.zones["US"], "Express", "PER_ORDER", rate="9.00")
        self.methods["Royal"] = await api.method(self.zones["GB"], "Royal", "PER_ORDER", rate="4.00")
        self.methods["Poste"] = await api.method(self.zones["FR"], "Poste", "PER_ORDER", rate="3.00")
        for country, address, chosen in (
            ("US", ship_to("US", "CA", "94105"), "Flat"),
            ("GB", ship_to("GB", None, "SW1A 1AA"), "Royal"),
        ):
            cart = await api.cart(SHIRT=1)
            consignment = await cart.ship(address, SHIRT=1)
            await cart.selected(consignment["id"], option(consignment, chosen)["id"])
            self.carts[country] = (cart, consignment["id"])
        return self

    async def stale(self) -> set[str]:
        """The carts whose quotes are stale now."""
        found = set()
        for country, (cart, cid) in self.carts.items():
            if "SHIPPING_QUOTE_STALE" in problems_of(await cart.read(), cid):
                found.add(country)
        return found

    async def refresh_all(self) -> None:
        for cart, cid in self.carts.values():
            checkout = await cart.refreshed()
            assert problems_of(checkout, cid) == [], problems_of(checkout, cid)


@pytest.fixture
def api(client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(client, store)


@pytest.fixture
async def shop(api: ShippingApi) -> Store:
    return await Store(api).build()


async def test_each_pricing_input_makes_exactly_its_quotes_stale(shop: Store, api: ShippingApi):
    us, gb, fr = shop.zones["US"], shop.zones["GB"], shop.zones["FR"]
    changes: list[tuple[str, Any, set[str]]] = [
        # Unrelated edits: nobody has to refresh.
        ("rename the matched zone", lambda: api.update_zone(us, name="United States"), set()),
        ("fee on a zone nobody uses", lambda: api.update_zone(fr, handlingFee=fee("FIXED", "2.00")), set()),
        ("method added to a zone nobody uses", lambda: api.method(fr, "Colis", "PER_ORDER", rate="8.00"), set()),
        ("method of a zone nobody uses changed", lambda: api.update_method(shop.methods["Poste"], rate="3.50"), set()),
        ("a pickup location created", lambda: pickup_id(api, "Depot"), set()),
        # Inputs of the US quote.
        ("rate of an offered method", lambda: api.update_method(shop.methods["Flat"], rate="6.00"), {"US"}),
        ("name of an offered method", lambda: api.update_method(shop.methods["Express"], name="Express 24h"), {"US"}),
        ("method disabled", lambda: api.update_method(shop.methods["Express"], enabled=False), {"US"}),
        ("method enabled again", lambda: api.update_method(shop.methods["Express"], enabled=True), {"US"}),
        ("zone handling fee", lambda: api.update_zone(us, handlingFee=fee("FIXED", "1.00")), {"US"}),
        ("zone free shipping rule", lambda: api.update_zone(us, freeShipping={"enabled": True}), {"US"}),
        # Inputs of the GB quote.
        ("method added to the matched zone", lambda: api.method(gb, "Courier", "PER_ORDER", rate="12.00"), {"GB"}),
    ]
    for what, change, expected in changes:
        await change()
        assert await shop.stale() == expected, what
        await shop.refresh_all()

    # A more specific zone now serves the US address: stale; refreshed, its options replace the old ones and
    # the shopper is told the selected one is gone.
    california = await api.zone("CA", "STATE", [{"countryCode": "US", "stateCode": "CA"}])
    await api.method(california, "Local", "PER_ORDER", rate="3.00")
    assert await shop.stale() == {"US"}
    us_cart, us_cid = shop.carts["US"]
    checkout = await us_cart.refreshed()
    assert [o["description"] for o in us_cart.consignment(checkout, us_cid)["availableShippingOptions"]] == ["Local"]
    assert problems_of(checkout, us_cid) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_OPTION_UNAVAILABLE"]

    # The matched zone disabled: stale, and the refresh says the selection is gone and why.
    await api.update_zone(gb, enabled=False)
    assert await shop.stale() == {"GB"}
    gb_cart, gb_cid = shop.carts["GB"]
    checkout = await gb_cart.refreshed()
    assert problems_of(checkout, gb_cid) == [
        "NO_SHIPPING_OPTION_SELECTED",
        "NO_SHIPPING_ZONE",
        "SHIPPING_OPTION_UNAVAILABLE",
    ]


async def test_after_an_unrelated_change_reads_check_the_configuration_once_per_version(
    shop: Store, api: ShippingApi, sql_counter: Any
):
    cart, _ = shop.carts["US"]
    await api.update_zone(shop.zones["FR"], name="France")

    def zone_reads() -> int:
        return sum("FROM shipping_zone" in statement for statement in sql_counter.statements)

    sql_counter.reset()
    first = await cart.read()
    assert zone_reads() == 1  # the quote predates the change: its configuration is read and compared
    sql_counter.reset()
    assert await cart.read() == first
    assert zone_reads() == 0  # that version's configuration is known now

    # A new version is read afresh: a change that matters is never hidden by what was read before.
    await api.update_method(shop.methods["Flat"], rate="6.50")
    sql_counter.reset()
    assert "SHIPPING_QUOTE_STALE" in problems_of(await cart.read())
    assert zone_reads() == 1


async def test_an_unrelated_change_keeps_options_selectable_and_the_checkout_completable(shop: Store, api: ShippingApi):
    cart, cid = shop.carts["US"]
    before = await cart.read()
    await api.update_zone(shop.zones["FR"], name="France")
    await api.update_zone(shop.zones["US"], name="Everywhere in the US")

    after = await cart.read()
    assert after == before  # same options, same ids, same version, no problem
    checkout = await cart.selected(cid, option(cart.consignment(after, cid), "Express")["id"])
    assert totals(checkout) == ("19.99", "9.00", "0.00", "28.99")


async def test_deleting_the_selected_method_clears_the_selection_and_says_why(shop: Store, api: ShippingApi):
    cart, cid = shop.carts["US"]
    gb_cart, gb_cid = shop.carts["GB"]
    gb_before = await gb_cart.read()
    version = (await cart.read())["version"]

    payload = await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": shop.methods["Flat"]})
    assert payload["errors"] == []

    checkout = await cart.read()
    consignment = cart.consignment(checkout, cid)
    assert consignment["selectedShippingOption"] is None
    assert consignment["shippingCost"]["value"] == "0.00"
    assert totals(checkout) == ("19.99", "0.00", "0.00", "19.99")
    assert [o["description"] for o in consignment["availableShippingOptions"]] == ["Express"]
    assert checkout["version"] > version  # the merchant's change is visible to optimistic clients
    assert "SHIPPING_OPTION_UNAVAILABLE" in problems_of(checkout, cid)
    body = data(await gql(api.client, VERSION, {"id": cart.id}, token=api.store.storefront_token))
    message = next(p["message"] for p in body["checkout"]["problems"] if p["code"] == "SHIPPING_OPTION_UNAVAILABLE")
    assert "Flat" in message
    assert await gb_cart.read() == gb_before  # other checkouts are untouched

    # A method created next never inherits the selection, even after a refresh.
    freight = await api.method(shop.zones["US"], "Freight pallet", "PER_ORDER", rate="95.00")
    assert int(freight) > int(shop.methods["Flat"])
    checkout = await cart.refreshed()
    consignment = cart.consignment(checkout, cid)
    assert consignment["selectedShippingOption"] is None
    assert problems_of(checkout, cid) == ["NO_SHIPPING_OPTION_SELECTED", "SHIPPING_OPTION_UNAVAILABLE"]

    # Completion refuses while the shopper has not chosen again; choosing again clears the problem.
    await _complete_refused(api, cart, "SHIPPING_OPTION_UNAVAILABLE")
    checkout = await cart.selected(cid, option(consignment, "Express")["id"])
    assert problems_of(checkout, cid) == []


async def test_a_delete_clears_every_open_selection_in_statements_that_do_not_grow_with_them(
    api: ShippingApi, sql_counter: Any
):
    zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    await api.method(zone, "Express", "PER_ORDER", rate="9.00")

    async def delete_chosen_by(carts: int) -> int:
        flat = await api.method(zone, "Flat", "PER_ORDER", rate="5.00")
        opened = []
        for _ in range(carts):
            cart = await api.cart(MUG=1)
            consignment = await cart.ship(ship_to("US", "CA", "94105"), MUG=1)
            await cart.selected(consignment["id"], option(consignment, "Flat")["id"])
            opened.append(cart)
        sql_counter.reset()
        assert (await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": flat}))["errors"] == []
        count = sql_counter.count
        for cart in opened:
            checkout = await cart.read()
            assert totals(checkout) == ("7.50", "0.00", "0.00", "7.50")
            assert checkout["consignments"][0]["selectedShippingOption"] is None
        return count

    # Lock, clear, delete the quotes, read the consignments, one executemany: the same for 2 and 6 checkouts.
    assert await delete_chosen_by(2) == await delete_chosen_by(6)


async def test_deleting_the_zone_clears_selections_of_its_methods_and_its_free_shipping(api: ShippingApi):
    zone = await api.zone("US", "COUNTRY", [{"countryCode": "US"}], freeShipping={"enabled": True})
    await api.method(zone, "Flat", "PER_ORDER", rate="5.00")
    carts = []
    for chosen in ("Flat", "Free Shipping"):
        cart = await api.cart(MUG=1)
        consignment = await cart.ship(ship_to("US", "CA", "94105"), MUG=1)
        await cart.selected(consignment["id"], option(consignment, chosen)["id"])
        carts.append((cart, consignment["id"]))

    payload = await api.server(DELETE_ZONE, "deleteShippingZone", {"id": zone})
    assert payload["errors"] == []
    for cart, cid in carts:
        checkout = await cart.read()
        consignment = cart.consignment(checkout, cid)
        assert consignment["selectedShippingOption"] is None
        assert consignment["availableShippingOptions"] == []
        assert "SHIPPING_OPTION_UNAVAILABLE" in problems_of(checkout, cid)
        checkout = await cart.refreshed()
        assert problems_of(checkout, cid) == [
            "NO_SHIPPING_OPTION_SELECTED",
            "NO_SHIPPING_ZONE",
            "SHIPPING_OPTION_UNAVAILABLE",
        ]


async def test_a_deleted_pickup_location_is_never_inherited_by_a_new_one(api: ShippingApi):
    await api.zone("US", "COUNTRY", [{"countryCode": "US"}])
    first = await pickup_id(api, "Downtown store")
    cart = await api.cart(MUG=1)
    checkout = await cart.added({"pickupOption": {"pickupMethodId": first}, "lineItems": cart.units(MUG=1)})
    cid = checkout["consignments"][0]["id"]

    payload = await api.server(DELETE_PICKUP, "deletePickupMethod", {"id": first})
    assert payload["errors"] == []
    second = await pickup_id(api, "Staff-only depot")
    assert int(second) > int(first)

    checkout = await cart.read()
    assert problems_of(checkout, cid) == ["PICKUP_METHOD_UNAVAILABLE"]
    assert cart.consignment(checkout, cid)["selectedPickupOption"] is None
    await _complete_refused(api, cart, "PICKUP_METHOD_UNAVAILABLE")


async def test_a_completed_checkout_keeps_its_selection_when_the_method_is_deleted(shop: Store, api: ShippingApi):
    cart, cid = shop.carts["US"]
    await _billing(api, cart)
    body = await gql(api.client, COMPLETE, {"input": {"checkoutId": cart.id}}, token=api.store.storefront_token)
    assert data(body)["completeCheckout"]["errors"] == []
    before = await cart.read()

    await api.server(DELETE_METHOD, "deleteShippingMethod", {"id": shop.methods["Flat"]})
    after = await cart.read()
    assert after == before
    assert after["problems"] == []
    assert cart.consignment(after, cid)["selectedShippingOption"]["description"] == "Flat"


async def _billing(api: ShippingApi, cart: Cart) -> None:
    address = ship_to("US", "CA", "94105")
    body = await gql(
        api.client, BILLING, {"input": {"checkoutId": cart.id, "address": address}}, token=api.store.storefront_token
    )
    assert data(body)["setCheckoutBillingAddress"]["errors"] == []


async def _complete_refused(api: ShippingApi, cart: Cart, code: str) -> None:
    await _billing(api, cart)
    body = await gql(api.client, COMPLETE, {"input": {"checkoutId": cart.id}}, token=api.store.storefront_token)
    payload = data(body)["completeCheckout"]
    assert payload["order"] is None
    assert code in [error["code"] for error in payload["errors"]], payload["errors"]


async def test_an_address_change_prices_from_the_cached_configuration_until_it_changes(
    client: httpx.AsyncClient, store: StoreFixture, sql_counter: Any
) -> None:
    """A re-quote reads the zones, methods and carrier connections once per configuration version (the
    process caches them by version); a configuration change is priced from at once."""
    from tests.order_flow import UPDATE_CONSIGNMENT, US_CA, OrderFlow

    flow = OrderFlow(client, store)
    setup = await flow.shipping(flat_rate="5.00", per_item=None, handling=None)
    cart = await flow.cart(SHIRT=1)
    await flow.add(cart, {"address": US_CA, "lineItems": cart.units(SHIRT=1)})
    consignment_id = cart.consignment_ids[0]

    async def move(city: str) -> list[str]:
        sql_counter.reset()
        payload = await flow.storefront_mutation(
            UPDATE_CONSIGNMENT,
            "updateConsignment",
            {"checkoutId": cart.id, "consignmentId": consignment_id, "address": {**US_CA, "city": city}},
        )
        assert payload["errors"] == []
        options = payload["checkout"]["consignments"][0]["availableShippingOptions"]
        return [f"{option['description']} {option['cost']['value']}" for option in options]

    def configuration_reads() -> int:
        return sum(1 for statement in sql_counter.statements if "FROM shipping_zone" in statement)

    assert await move("Fresno") == ["Flat Rate 5.00"]
    assert await move("Oakland") == ["Flat Rate 5.00"]
    assert configuration_reads() == 0  # the configuration at this version was read already
    await flow.update_method(setup.methods["Flat Rate"], rate="7.25")
    assert await move("Sacramento") == ["Flat Rate 7.25"]
    assert configuration_reads() == 1
    assert await move("San Jose") == ["Flat Rate 7.25"]
    assert configuration_reads() == 0
