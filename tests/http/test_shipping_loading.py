"""No N+1 for shipping reads: the SQL statements of a checkout list with options, selections, problems
and warnings are the same for 1 checkout as for 20; the zone list costs the same for 1 zone as for 10.

The app here checks the token on every request (`token_cache_ttl_s=0`): with the per-process principal
cache, whether a request pays for the token lookup would depend on how long the previous one took.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.factories import StoreFixture, data, gql
from tests.http.test_shipping_options import (
    CHECKOUT_FIELDS,
    Cart,
    ShippingApi,
    fee,
    option,
    ranges,
    ship_to,
)
from tests.http.test_shipping_pickup import pickup_id

pytestmark = pytest.mark.anyio


@pytest.fixture
async def uncached_client(database_url: str, engine: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=database_url, host="127.0.0.1", port=0, environment="test", token_cache_ttl_s=0)
    app = create_app(settings, engine=engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway.test") as client:
        yield client


@pytest.fixture
def api(uncached_client: httpx.AsyncClient, store: StoreFixture) -> ShippingApi:
    return ShippingApi(uncached_client, store)


# What the issue asks about: options, selection, problems and warnings.
CHECKOUT_LIST = "query { checkouts(first: 20) { nodes { ...ShippingCheckout } } }" + CHECKOUT_FIELDS

# The same plus the line items' unassigned quantities, which `problems` needs as well.
CHECKOUT_LIST_WITH_UNASSIGNED = (
    "query { checkouts(first: 20) { nodes { ...ShippingCheckout lineItems { id sku unassignedQuantity } } } }"
    + CHECKOUT_FIELDS
)
#: Each measurement is repeated: a count that depends on scheduling is no count to compare.
REPEATS = 8


async def configure(api: ShippingApi) -> int:
    us = await api.zone("US", "COUNTRY", [{"countryCode": "US"}], handlingFee=fee("FIXED", "1.00", True))
    await api.method(us, "Flat", "PER_ORDER", rate="5.00")
    await api.method(us, "Per item", "PER_ITEM", rate="1.50")
    await api.method(us, "By weight", "WEIGHT", ranges=ranges(("0", "5", "4.00")), defaultCost="12.00")
    world = await api.zone("World", "GLOBAL", freeShipping={"enabled": True, "minimumSubtotal": "20"})
    await api.method(world, "International", "TOTAL", ranges=ranges(("0", "100", "15.00")))
    return await pickup_id(api)


async def busy_checkout(api: ShippingApi, pickup: int, index: int) -> Cart:
    """Three consignments (one with a selected option, one unselected, one pickup) and an unserved one
    every other checkout, so problems and options have something to say."""
    cart = await api.cart(SHIRT=3, MUG=2, LAMP=1, EBOOK=1)
    consignments = [
        {"address": ship_to("US", "CA", "94105"), "lineItems": cart.units(SHIRT=2)},
        {"address": ship_to("DE", postal="10115"), "lineItems": cart.units(MUG=2)},
        {"pickupOption": {"pickupMethodId": pickup}, "lineItems": cart.units(SHIRT=1)},
    ]
    if index % 2:
        consignments.pop()
    checkout = await cart.added(*consignments)
    first = checkout["consignments"][0]
    await cart.selected(first["id"], option(first, "Per item")["id"])
    return cart


async def statements_for_list(
    api: ShippingApi, sql_counter, document: str = CHECKOUT_LIST, repeats: int = REPEATS
) -> tuple[set[int], list[dict]]:
    """The statement counts seen over `repeats` identical reads, and the last read's checkouts."""
    counts = set()
    for _ in range(repeats):
        sql_counter.reset()
        body = await gql(api.client, document, token=api.store.server_token)
        nodes = data(body)["checkouts"]["nodes"]
        counts.add(sql_counter.count)
    return counts, nodes


async def test_checkout_list_with_shipping_fields_costs_the_same_for_1_and_20_checkouts(api, sql_counter):
    pickup = await configure(api)
    await busy_checkout(api, pickup, 0)

    one, nodes = await statements_for_list(api, sql_counter)
    assert len(one) == 1, one
    assert len(nodes) == 1
    assert [len(c["availableShippingOptions"]) for c in nodes[0]["consignments"]] == [3, 1, 0]
    assert nodes[0]["consignments"][0]["selectedShippingOption"]["description"] == "Per item"

    for index in range(1, 20):
        await busy_checkout(api, pickup, index)
    twenty, nodes = await statements_for_list(api, sql_counter)

    assert len(nodes) == 20
    assert sum(len(c["availableShippingOptions"]) for n in nodes for c in n["consignments"]) == 20 * 4
    assert all(n["problems"] for n in nodes)
    assert twenty == one, sql_counter.statements


async def test_unassigned_quantities_next_to_problems_cost_the_same_every_time(api, sql_counter):
    """`Checkout.problems` and `LineItem.unassignedQuantity` both need assigned quantities: one batch,
    whatever order the database answers the other batches in, for 1 checkout as for 20."""
    pickup = await configure(api)
    await busy_checkout(api, pickup, 0)
    one, _ = await statements_for_list(api, sql_counter, CHECKOUT_LIST_WITH_UNASSIGNED, 3 * REPEATS)
    for index in range(1, 20):
        await busy_checkout(api, pickup, index)
    twenty, nodes = await statements_for_list(api, sql_counter, CHECKOUT_LIST_WITH_UNASSIGNED, 3 * REPEATS)

    assert len(nodes) == 20
    # Newest first: checkout 19 has no pickup consignment, so one shirt and the lamp are unassigned.
    assert {item["sku"]: item["unassignedQuantity"] for item in nodes[0]["lineItems"]} == {
        "SHIRT": 1,
        "MUG": 0,
        "LAMP": 1,
        "EBOOK": 0,
    }
    assert [p["code"] for p in nodes[0]["problems"] if p["code"] == "UNASSIGNED_ITEMS"] == ["UNASSIGNED_ITEMS"] * 2
    assert one | twenty == one, (one, twenty)
    assert len(one) == 1, one


async def test_single_checkout_read_is_as_cheap_with_many_consignments(api, sql_counter):
    pickup = await configure(api)
    small = await busy_checkout(api, pickup, 1)
    cart = await api.cart(SHIRT=21, MUG=20)
    await cart.added(
        *(
            {"address": ship_to("US", "NY", f"100{index:02d}"), "lineItems": cart.units(SHIRT=1, MUG=1)}
            for index in range(20)
        ),
        {"pickupOption": {"pickupMethodId": pickup}, "lineItems": cart.units(SHIRT=1)},
    )

    sql_counter.reset()
    assert len((await small.read())["consignments"]) == 2
    few = sql_counter.count
    sql_counter.reset()
    assert len((await cart.read())["consignments"]) == 21
    many = sql_counter.count
    assert many == few, sql_counter.statements


async def test_zone_list_costs_the_same_for_1_and_10_zones(api, sql_counter):
    zone = await api.zone("Zone 0", "GLOBAL")
    await api.method(zone, "Flat", "PER_ORDER", rate="1.00")

    sql_counter.reset()
    assert len(await api.zones()) == 1
    one = sql_counter.count

    for index in range(1, 10):
        zone = await api.zone(f"Zone {index}", "COUNTRY", [{"countryCode": "US"}])
        await api.method(zone, "Flat", "PER_ORDER", rate="1.00")
        await api.method(zone, "Free", "FREE_SHIPPING")
    sql_counter.reset()
    zones = await api.zones()
    assert len(zones) == 10
    assert sum(len(z["methods"]) for z in zones) == 19
    assert sql_counter.count == one, sql_counter.statements
