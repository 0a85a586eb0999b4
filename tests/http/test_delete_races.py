"""A merchant deletes a shipping method while shoppers select it and complete, on two real server processes.

The delete locks every open checkout quoting the method before clearing their selections; selecting and
completing lock the checkout too. Whatever the interleaving, no open checkout is left holding the deleted
method, and every order that was placed was placed from a checkout that still had it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gateway.storage.models import orders
from tests.factories import StoreFixture
from tests.http.test_races import ok
from tests.servers import GatewayServer, post_graphql, running_servers

pytestmark = pytest.mark.anyio

CHECKOUTS = 16
ERRORS = "errors { code message field }"
ADDRESS = {
    "email": "shopper@example.com",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "address1": "1 Main St",
    "city": "Springfield",
    "countryCode": "US",
    "stateOrProvinceCode": "CA",
    "postalCode": "94105",
}
CREATE_ZONE = (
    "mutation($input: CreateShippingZoneInput!) { createShippingZone(input: $input) { zone { id } " + ERRORS + " } }"
)
CREATE_METHOD = (
    "mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input) { method { id } "
    + ERRORS
    + " } }"
)
DELETE_METHOD = (
    "mutation($input: DeleteByIdInput!) { deleteShippingMethod(input: $input) { deletedId " + ERRORS + " } }"
)
CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id } } errors { code message field } }
}
"""
BILLING = (
    "mutation($input: SetCheckoutBillingAddressInput!) { setCheckoutBillingAddress(input: $input) { " + ERRORS + " } }"
)
STATE = """
fragment State on Checkout {
  id order { id }
  problems { code consignmentId }
  consignments { id availableShippingOptions { id description } selectedShippingOption { id description } }
}
"""
ADD = (
    "mutation($input: AddConsignmentsInput!) { addConsignments(input: $input) { checkout { ...State } "
    + ERRORS
    + " } }"
    + STATE
)
UPDATE = (
    "mutation($input: UpdateConsignmentInput!) { updateConsignment(input: $input) { checkout { ...State } "
    + ERRORS
    + " } }"
    + STATE
)
COMPLETE = (
    "mutation($input: CompleteCheckoutInput!) { completeCheckout(input: $input) { order { id } " + ERRORS + " } }"
)
READ = "query($id: ID!) { checkout(id: $id) { ...State } }" + STATE


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[GatewayServer]]:
    with running_servers(database_url, tmp_path / "server-logs", count=2) as started:
        yield started


async def call(client: Any, document: str, name: str, input: dict[str, Any], token: str, servers: Any) -> Any:
    status, body = await post_graphql(client, document, {"input": input}, token=token)
    return ok(status, body, servers)[name]


async def test_deleting_a_method_while_shoppers_select_and_complete_it(servers, store: StoreFixture, engine):
    first, second = servers
    shop, server = store.storefront_token, store.server_token
    async with first.client() as a, second.client() as b:
        zone = (
            await call(
                a,
                CREATE_ZONE,
                "createShippingZone",
                {"name": "US", "type": "COUNTRY", "locations": [{"countryCode": "US"}]},
                server,
                servers,
            )
        )["zone"]["id"]
        flat = (
            await call(
                a,
                CREATE_METHOD,
                "createShippingMethod",
                {"zoneId": zone, "name": "Flat", "type": "PER_ORDER", "rate": "5.00"},
                server,
                servers,
            )
        )["method"]["id"]
        await call(
            a,
            CREATE_METHOD,
            "createShippingMethod",
            {"zoneId": zone, "name": "Express", "type": "PER_ORDER", "rate": "9.00"},
            server,
            servers,
        )

        carts = []
        for _ in range(CHECKOUTS):
            created = (
                await call(
                    a,
                    CREATE_CHECKOUT,
                    "createCheckout",
                    {"email": "s@example.com", "lineItems": [{"sku": "MUG", "quantity": 1}]},
                    shop,
                    servers,
                )
            )["checkout"]
            await call(
                a,
                BILLING,
                "setCheckoutBillingAddress",
                {"checkoutId": created["id"], "address": ADDRESS},
                shop,
                servers,
            )
            checkout = (
                await call(
                    a,
                    ADD,
                    "addConsignments",
                    {
                        "checkoutId": created["id"],
                        "consignments": [
                            {
                                "address": ADDRESS,
                                "lineItems": [{"itemId": created["lineItems"][0]["id"], "quantity": 1}],
                            }
                        ],
                    },
                    shop,
                    servers,
                )
            )["checkout"]
            consignment = checkout["consignments"][0]
            option = next(o["id"] for o in consignment["availableShippingOptions"] if o["description"] == "Flat")
            carts.append((created["id"], consignment["id"], option))

        async def shopper(index: int) -> bool:
            client = (a, b)[index % 2]
            checkout_id, consignment_id, option = carts[index]
            await call(
                client,
                UPDATE,
                "updateConsignment",
                {"checkoutId": checkout_id, "consignmentId": consignment_id, "shippingOptionId": option},
                shop,
                servers,
            )
            payload = await call(client, COMPLETE, "completeCheckout", {"checkoutId": checkout_id}, shop, servers)
            return payload["order"] is not None

        async def merchant() -> None:
            await asyncio.sleep(0.02)
            payload = await call(b, DELETE_METHOD, "deleteShippingMethod", {"id": flat}, server, servers)
            assert payload["errors"] == []

        *placed, _ = await asyncio.gather(*(shopper(i) for i in range(CHECKOUTS)), merchant())

        for (checkout_id, _, _), was_placed in zip(carts, placed, strict=True):
            final = ok(*await post_graphql(a, READ, {"id": checkout_id}, token=shop), servers)["checkout"]
            selected = final["consignments"][0]["selectedShippingOption"]
            if final["order"] is not None:
                assert was_placed and selected["description"] == "Flat" and final["problems"] == []
                continue
            assert not was_placed
            # Open: the deleted method is neither selected nor offered.
            assert selected is None, final
            assert "Flat" not in [o["description"] for o in final["consignments"][0]["availableShippingOptions"]]
        async with engine.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(orders)) == sum(placed)
