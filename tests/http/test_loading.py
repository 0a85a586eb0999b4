"""No N+1: the SQL statements a checkout read sends do not grow with the number of checkouts.

Every relation loads through per-request DataLoaders, one batched query per relation and level, so the
full checkout page costs the same number of statements for 1 checkout as for 20 checkouts' worth of
consignments.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import sqlalchemy as sa
from sqlalchemy import event

from gateway.api.loaders import Loaders
from gateway.storage.db import write_transaction
from gateway.storage.models import line_item
from tests.factories import StoreFixture, data, gql, make_store


def checkout_fields(checkout_extra: str = "", consignment_extra: str = "") -> str:
    return """
fragment FullCheckout on Checkout {
  id email currencyCode version createdAt updatedAt
  billingAddress { countryCode email }
  lineItems {
    id sku name quantity requiresShipping unassignedQuantity
    listPrice { value currencyCode } extendedListPrice { value currencyCode }
  }
  consignments {
    id
    address { firstName email countryCode city customFields { fieldId fieldValue } }
    lineItems { lineItem { id sku } quantity }
    lineItemIds
    availableShippingOptions { id cost { value } }
    selectedShippingOption { id }
    selectedPickupOption { pickupMethodId }
    shippingCost { value currencyCode }
    handlingCost { value currencyCode }
    CONSIGNMENT_EXTRA
  }
  subtotal { value currencyCode }
  shippingCostTotal { value currencyCode }
  handlingCostTotal { value currencyCode }
  grandTotal { value currencyCode }
  CHECKOUT_EXTRA
}
""".replace("CONSIGNMENT_EXTRA", consignment_extra).replace("CHECKOUT_EXTRA", checkout_extra)


ONE_CHECKOUT = """
query($id: ID!) { checkout(id: $id) { ...FullCheckout } }
"""

CHECKOUT_LIST = """
query { checkouts(first: 20) { nodes { ...FullCheckout } } }
"""

#: The issue's page: line items, consignments with address and items, ids, costs and totals.
CHECKOUT_PAGE = checkout_fields()
#: The same page with what the shipping issue added: problems, warnings and each consignment's zone.
CHECKOUT_PAGE_WITH_SHIPPING = checkout_fields(
    checkout_extra="problems { code message consignmentId lineItemId fields } warnings { __typename }",
    consignment_extra="shippingZoneName",
)

CREATE_CHECKOUT = """
mutation($input: CreateCheckoutInput!) {
  createCheckout(input: $input) { checkout { id lineItems { id sku } } errors { code message field } }
}
"""

ADD_CONSIGNMENTS = """
mutation($input: AddConsignmentsInput!) {
  addConsignments(input: $input) { checkout { id consignments { id } } errors { code message field } }
}
"""

SET_BILLING = """
mutation($input: SetCheckoutBillingAddressInput!) {
  setCheckoutBillingAddress(input: $input) { checkout { id } errors { code message field } }
}
"""

# Five physical line items and one digital one; each consignment takes one unit of every physical item.
LINES = [
    {"sku": "SHIRT", "quantity": 4},
    {"sku": "MUG", "quantity": 4},
    {"sku": "LAMP", "quantity": 4},
    {"sku": "CHAIR", "quantity": 4},
    {"sku": "SOCKS", "quantity": 4},
    {"sku": "EBOOK", "quantity": 1},
]
PHYSICAL = {"SHIRT", "MUG", "LAMP", "CHAIR", "SOCKS"}


async def make_checkout(client: httpx.AsyncClient, token: str, *, consignments: int) -> str:
    """A checkout with the line items above and `consignments` consignments, made over the API."""
    body = await gql(
        client, CREATE_CHECKOUT, {"input": {"email": "shopper@example.com", "lineItems": LINES}}, token=token
    )
    payload = data(body)["createCheckout"]
    assert payload["errors"] == []
    checkout = payload["checkout"]
    items = [item["id"] for item in checkout["lineItems"] if item["sku"] in PHYSICAL]
    new = [
        {
            "address": {
                "email": f"recipient{index}@example.com",
                "countryCode": "us" if index % 2 else "DE",
                "firstName": f"Recipient {index}",
                "city": "Springfield",
                "customFields": [{"fieldId": "door", "fieldValue": str(index)}],
            },
            "lineItems": [{"itemId": item, "quantity": 1} for item in items],
        }
        for index in range(consignments)
    ]
    body = await gql(
        client, ADD_CONSIGNMENTS, {"input": {"checkoutId": checkout["id"], "consignments": new}}, token=token
    )
    payload = data(body)["addConsignments"]
    assert payload["errors"] == []
    assert len(payload["checkout"]["consignments"]) == consignments
    body = await gql(
        client,
        SET_BILLING,
        {
            "input": {
                "checkoutId": checkout["id"],
                "address": {"email": "bill@example.com", "countryCode": "US"},
            }
        },
        token=token,
    )
    assert data(body)["setCheckoutBillingAddress"]["errors"] == []
    return checkout["id"]  # type: ignore[no-any-return]


def check_full_checkout(checkout: dict[str, Any], consignments: int) -> None:
    """The response really holds what the statement count claims to have loaded."""
    assert len(checkout["lineItems"]) == len(LINES)
    for item in checkout["lineItems"]:
        expected = 4 - consignments if item["requiresShipping"] else 0
        assert item["unassignedQuantity"] == expected, item
    assert len(checkout["consignments"]) == consignments
    physical_ids = {item["id"] for item in checkout["lineItems"] if item["requiresShipping"]}
    for consignment in checkout["consignments"]:
        assert consignment["address"]["countryCode"] in ("US", "DE")
        assert consignment["address"]["customFields"][0]["fieldId"] == "door"
        assert {entry["lineItem"]["sku"] for entry in consignment["lineItems"]} == PHYSICAL
        assert {entry["quantity"] for entry in consignment["lineItems"]} == {1}
        assert set(consignment["lineItemIds"]) == physical_ids
    assert checkout["billingAddress"] == {"countryCode": "US", "email": "bill@example.com"}
    assert checkout["subtotal"]["value"] == "780.35"  # 4 * (19.99 + 7.50 + 45.00 + 120.00 + 0.10) + 9.99


async def count_statements(
    client: httpx.AsyncClient, sql_counter: Any, query: str, variables: dict[str, Any], token: str
):
    # Warm the token: a process checks a token once and trusts it for a couple of seconds, and that
    # one lookup is not part of the query's cost.
    await gql(client, "{ __typename }", {}, token=token)
    sql_counter.reset()
    body = await gql(client, query, variables, token=token)
    count = sql_counter.count
    statements = list(sql_counter.statements)
    return data(body), count, statements


async def measure(client: httpx.AsyncClient, engine: Any, sql_counter: Any, fields: str) -> None:
    # One checkout, alone in its store, read by id and through the list.
    solo: StoreFixture = await make_store(engine, slug="solo")
    solo_id = await make_checkout(client, solo.storefront_token, consignments=2)

    one, one_count, one_statements = await count_statements(
        client, sql_counter, ONE_CHECKOUT + fields, {"id": solo_id}, solo.server_token
    )
    check_full_checkout(one["checkout"], 2)

    listed_one, listed_one_count, _ = await count_statements(
        client, sql_counter, CHECKOUT_LIST + fields, {}, solo.server_token
    )
    assert [node["id"] for node in listed_one["checkouts"]["nodes"]] == [solo_id]
    check_full_checkout(listed_one["checkouts"]["nodes"][0], 2)

    # Twenty checkouts with three consignments each in another store.
    store = await make_store(engine, slug="default")
    created = [await make_checkout(client, store.storefront_token, consignments=3) for _ in range(20)]

    many, many_count, many_statements = await count_statements(
        client, sql_counter, CHECKOUT_LIST + fields, {}, store.server_token
    )
    nodes = many["checkouts"]["nodes"]
    assert sorted(node["id"] for node in nodes) == sorted(created)
    for node in nodes:
        check_full_checkout(node, 3)
    assert sum(len(node["consignments"]) for node in nodes) == 60

    print(
        f"\nSQL statements: 1 checkout by id = {one_count}, list of 1 = {listed_one_count}, "
        f"list of 20 (60 consignments) = {many_count}"
    )
    assert one_count == listed_one_count == many_count, (
        f"1 checkout: {one_count} statements, list of 1: {listed_one_count}, list of 20: {many_count}\n"
        "1 checkout:\n  " + "\n  ".join(one_statements) + "\n20 checkouts:\n  " + "\n  ".join(many_statements)
    )


async def test_statement_count_does_not_grow_with_checkouts(client, engine, sql_counter):
    await measure(client, engine, sql_counter, CHECKOUT_PAGE)


async def test_statement_count_with_shipping_fields_does_not_grow_with_checkouts(client, engine, sql_counter):
    await measure(client, engine, sql_counter, CHECKOUT_PAGE_WITH_SHIPPING)


async def test_a_read_takes_one_database_connection_for_the_token_and_every_batch(client, engine, store, sql_counter):
    """The token lookup (the token cache is off in tests) and the seven relation batches of a checkout
    page share one pooled connection and one transaction: one pool checkout and one BEGIN per request,
    not one per batch, and every level reads the same snapshot."""
    checkout_id = await make_checkout(client, store.storefront_token, consignments=3)
    checkouts: list[int] = []

    def on_checkout(*_: Any) -> None:
        checkouts.append(1)

    event.listen(engine.sync_engine, "checkout", on_checkout)
    try:
        body, count, statements = await count_statements(
            client, sql_counter, ONE_CHECKOUT + CHECKOUT_PAGE_WITH_SHIPPING, {"id": checkout_id}, store.server_token
        )
    finally:
        event.remove(engine.sync_engine, "checkout", on_checkout)
    check_full_checkout(body["checkout"], 3)
    # count_statements warmed the token with one request first: two requests, two checkouts.
    assert len(checkouts) == 2, checkouts
    begins = [statement for statement in statements if statement.upper().startswith("BEGIN")]
    assert len(begins) <= 1, statements  # SQLite says BEGIN; asyncpg's BEGIN is not a cursor statement
    assert count >= 7, statements  # the token and the relations really were read on that connection


async def test_connections_go_back_to_the_pool_after_reads_errors_and_refusals(client, engine, store):
    """Whatever a request ends with (data, a GraphQL error, a refused body, an unknown token), its
    connection is back in the pool afterwards."""
    checkout_id = await make_checkout(client, store.storefront_token, consignments=1)
    pool = engine.sync_engine.pool
    requests = [
        (ONE_CHECKOUT + CHECKOUT_PAGE, {"id": checkout_id}, store.server_token),
        ("{ checkout(id: 1) { nope } }", {}, store.server_token),
        ('{ checkout(id: "missing") { id } }', {}, store.server_token),
        ("{ __typename }", {}, "sf_unknown_token"),
    ]
    for query, variables, token in requests:
        await gql(client, query, variables, token=token)
        assert pool.checkedout() == 0, (query, pool.status())
    headers = {"X-Auth-Token": store.server_token, "Content-Type": "application/json"}
    response = await client.post("/graphql", content=b"{not json", headers=headers)
    assert response.status_code == 400
    assert pool.checkedout() == 0, pool.status()


async def test_root_fields_reading_side_by_side_share_the_connection_without_stalling(client, engine, store):
    """Three root lists that each read directly (not through a DataLoader) take turns on the request's one
    connection; the fast path steps them together, so a wait for the connection must never stall it."""
    checkout_id = await make_checkout(client, store.storefront_token, consignments=1)
    query = """
    { orders(first: 2) { nodes { id } }
      checkouts(first: 2) { nodes { id lineItems { sku } } }
      products(first: 3) { nodes { sku } }
      again: checkouts(first: 1) { nodes { id } } }
    """
    for _ in range(3):  # the fast path compiles a document once it comes back
        with anyio.fail_after(20):
            body = await gql(client, query, {}, token=store.server_token)
        result = data(body)
        assert result["orders"]["nodes"] == []
        assert [node["id"] for node in result["checkouts"]["nodes"]] == [checkout_id]
        assert len(result["checkouts"]["nodes"][0]["lineItems"]) == len(LINES)
        assert len(result["products"]["nodes"]) == 3
        assert result["again"]["nodes"] == [{"id": checkout_id}]
    assert engine.sync_engine.pool.checkedout() == 0


async def test_a_response_reads_one_snapshot_even_when_a_write_lands_between_levels(client, engine, store, monkeypatch):
    """A write committed by someone else while a read is between levels does not show up half-way: the
    checkout (level 1) and its line items (level 2) come from the same state of the database."""
    checkout_id = await make_checkout(client, store.storefront_token, consignments=1)
    query = "query($id: ID!) { checkout(id: $id) { version subtotal { value } lineItems { sku quantity } } }"
    before = data(await gql(client, query, {"id": checkout_id}, token=store.server_token))["checkout"]
    original = Loaders._line_items_by_checkout
    wrote: list[int] = []

    async def write_then_read(conn: Any, store_id: int, keys: list[str]) -> list[Any]:
        if not wrote:  # another process changes the quantities after the checkout row was read
            async with write_transaction(engine) as other:
                result = await other.execute(
                    sa.update(line_item).where(line_item.c.checkout_id == checkout_id).values(quantity=9)
                )
                wrote.append(result.rowcount)
        return await original(conn, store_id, keys)

    monkeypatch.setattr(Loaders, "_line_items_by_checkout", staticmethod(write_then_read))
    during = data(await gql(client, query, {"id": checkout_id}, token=store.server_token))["checkout"]
    assert wrote == [len(LINES)]
    assert during == before  # the quantities of the snapshot the checkout row came from

    monkeypatch.undo()
    after = data(await gql(client, query, {"id": checkout_id}, token=store.server_token))["checkout"]
    assert {item["quantity"] for item in after["lineItems"]} == {9}  # the write did land
