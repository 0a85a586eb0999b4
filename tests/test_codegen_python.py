"""Python clients: ariadne-codegen turns `schema.graphql` plus the operations in tests/operations into a typed
client, which then drives a whole checkout, from an empty cart to a shipped order, against a real gateway
process, as a storefront (storefront token) and a back office (server token) would.

Tool: tests/codegen/.venv (ariadne-codegen), installed by `bash tests/install-tools`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from graphql import build_schema, parse, validate

from tests.codegen.tools import OPERATIONS_DIR, SCHEMA_FILE, output, require_ariadne_codegen, run
from tests.factories import StoreFixture
from tests.servers import running_servers

PACKAGE = "gateway_client"
CONFIG = """\
[tool.ariadne-codegen]
schema_path = "{schema}"
queries_path = "{operations}"
target_package_name = "{package}"
target_package_path = "{target}"
client_name = "GatewayClient"
async_client = true
include_comments = "none"

[tool.ariadne-codegen.scalars.Decimal]
type = "decimal.Decimal"

[tool.ariadne-codegen.scalars.DateTime]
type = "datetime.datetime"
"""
#: What each side of the business sends; every document must stay valid against schema.graphql.
EXPECTED_OPERATIONS = {
    "CheckoutPage",
    "CreateCheckout",
    "AddConsignments",
    "UpdateConsignment",
    "SelectShippingOption",
    "DeleteConsignment",
    "SetBillingAddress",
    "CompleteCheckout",
    "OrderWithShipments",
    "CreateShipment",
    "CreateShippingZone",
    "CreateShippingMethod",
}


def operations_document() -> str:
    return "\n".join(path.read_text() for path in sorted(OPERATIONS_DIR.glob("*.graphql")))


def test_operation_documents_are_valid_against_the_schema_file() -> None:
    schema = build_schema(SCHEMA_FILE.read_text())
    document = parse(operations_document())
    errors = validate(schema, document)
    assert not errors, "tests/operations no longer validate against schema.graphql:\n" + "\n".join(map(str, errors))
    names = {definition.name.value for definition in document.definitions if hasattr(definition, "operation")}
    assert names == EXPECTED_OPERATIONS


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported from a temporary directory."""
    generator = require_ariadne_codegen()
    workdir = tmp_path_factory.mktemp("python-client")
    config = workdir / "codegen.toml"
    config.write_text(
        CONFIG.format(schema=SCHEMA_FILE, operations=OPERATIONS_DIR, package=PACKAGE, target=workdir)
    )
    result = run([generator, "--config", config, "client"], cwd=workdir)
    assert result.returncode == 0, "ariadne-codegen failed:\n" + output(result)
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_generated_client_is_typed(client_package: ModuleType) -> None:
    client = client_package.GatewayClient
    for method in (
        "checkout_page",
        "create_checkout",
        "add_consignments",
        "update_consignment",
        "select_shipping_option",
        "delete_consignment",
        "set_billing_address",
        "complete_checkout",
        "order_with_shipments",
        "create_shipment",
    ):
        assert callable(getattr(client, method, None)), method
    # Inputs are pydantic models with the schema's field names as aliases; enums are Python enums.
    line = client_package.CheckoutLineItemInput(sku="MUG", quantity=2)
    assert line.model_dump(by_alias=True) == {"sku": "MUG", "quantity": 2}
    with pytest.raises(ValueError):
        client_package.CheckoutLineItemInput(sku="MUG", quantity="two")
    assert client_package.OrderStatus("SHIPPED") is client_package.OrderStatus.SHIPPED


def address(city: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_1": "1 Main St",
        "city": city,
        "state_or_province_code": "CA",
        "postal_code": "94105",
        "country_code": "US",
        **extra,
    }


async def test_generated_client_drives_checkout_to_shipment(
    client_package: ModuleType, database_url: str, store: StoreFixture, tmp_path: Path
) -> None:
    gc = client_package
    with running_servers(database_url, tmp_path / "server-logs", count=1) as (server,):
        url = f"{server.base_url}/graphql"
        async with (
            gc.GatewayClient(url=url, headers={"X-Auth-Token": store.server_token}) as back_office,
            gc.GatewayClient(url=url, headers={"X-Auth-Token": store.storefront_token}) as storefront,
        ):
            # Back office: where the store ships, and for how much.
            zone = (
                await back_office.create_shipping_zone(
                    gc.CreateShippingZoneInput(
                        name="Everywhere",
                        type=gc.ShippingZoneType.GLOBAL,
                        handling_fee=gc.ZoneHandlingFeeInput(
                            type=gc.HandlingFeeType.FIXED, value=Decimal("2.00"), display_separately=True
                        ),
                    )
                )
            ).create_shipping_zone
            assert zone.errors == [] and zone.zone is not None
            method = (
                await back_office.create_shipping_method(
                    gc.CreateShippingMethodInput(
                        zone_id=zone.zone.id,
                        name="Flat Rate",
                        type=gc.ShippingMethodType.PER_ORDER,
                        rate=Decimal("5.00"),
                    )
                )
            ).create_shipping_method
            assert method.errors == [] and method.method is not None
            assert method.method.rate == Decimal("5.00")

            # Storefront: a cart with two shirts, a mug and an e-book.
            created = (
                await storefront.create_checkout(
                    gc.CreateCheckoutInput(
                        email="ada@example.com",
                        line_items=[
                            gc.CheckoutLineItemInput(sku="SHIRT", quantity=2),
                            gc.CheckoutLineItemInput(sku="MUG", quantity=1),
                            gc.CheckoutLineItemInput(sku="EBOOK", quantity=1),
                        ],
                    )
                )
            ).create_checkout
            assert created.errors == [] and created.checkout is not None
            checkout = created.checkout
            assert checkout.subtotal.value == Decimal("57.47")  # 2 x 19.99 + 7.50 + 9.99, exact
            items = {line.sku: line.id for line in checkout.line_items}

            # Shirts go home, the mug to the office.
            added = (
                await storefront.add_consignments(
                    gc.AddConsignmentsInput(
                        checkout_id=checkout.id,
                        consignments=[
                            gc.ConsignmentInput(
                                address=gc.AddressInput(**address("San Francisco")),
                                line_items=[gc.ConsignmentLineItemInput(item_id=items["SHIRT"], quantity=2)],
                            ),
                            gc.ConsignmentInput(
                                address=gc.AddressInput(**address("Oakland", company="Engines Inc")),
                                line_items=[gc.ConsignmentLineItemInput(item_id=items["MUG"], quantity=1)],
                            ),
                        ],
                    )
                )
            ).add_consignments
            assert added.errors == [] and added.checkout is not None
            home, office = (consignment.id for consignment in added.checkout.consignments)

            # The office moves; then the mug comes home after all.
            moved = (
                await storefront.update_consignment(
                    gc.UpdateConsignmentInput(
                        checkout_id=checkout.id,
                        consignment_id=office,
                        address=gc.AddressInput(**address("Berkeley", company="Engines Inc")),
                    )
                )
            ).update_consignment
            assert moved.errors == [] and moved.checkout is not None
            assert {c.address.city for c in moved.checkout.consignments if c.address} == {"San Francisco", "Berkeley"}
            deleted = (
                await storefront.delete_consignment(
                    gc.DeleteConsignmentInput(checkout_id=checkout.id, consignment_id=office)
                )
            ).delete_consignment
            assert deleted.errors == [] and deleted.checkout is not None
            assert [c.id for c in deleted.checkout.consignments] == [home]
            regrouped = (
                await storefront.update_consignment(
                    gc.UpdateConsignmentInput(
                        checkout_id=checkout.id,
                        consignment_id=home,
                        line_items=[
                            gc.ConsignmentLineItemInput(item_id=items["SHIRT"], quantity=2),
                            gc.ConsignmentLineItemInput(item_id=items["MUG"], quantity=1),
                        ],
                    )
                )
            ).update_consignment
            assert regrouped.errors == [] and regrouped.checkout is not None
            assert all(line.unassigned_quantity == 0 for line in regrouped.checkout.line_items)

            # The checkout page offers the flat rate; the shopper picks it and gives a billing address.
            page = (await storefront.checkout_page(checkout.id)).checkout
            assert page is not None
            (consignment,) = page.consignments
            (option,) = [o for o in consignment.available_shipping_options if o.description == "Flat Rate"]
            assert option.cost.value == Decimal("5.00") and option.handling_cost.value == Decimal("2.00")
            selected = (
                await storefront.select_shipping_option(
                    checkout_id=checkout.id, consignment_id=home, shipping_option_id=option.id, version=page.version
                )
            ).update_consignment
            assert selected.errors == [] and selected.checkout is not None
            billed = (
                await storefront.set_billing_address(
                    gc.SetCheckoutBillingAddressInput(
                        checkout_id=checkout.id, address=gc.AddressInput(**address("San Francisco"))
                    )
                )
            ).set_checkout_billing_address
            assert billed.errors == [] and billed.checkout is not None
            assert billed.checkout.problems == []
            assert billed.checkout.grand_total.value == Decimal("64.47")  # 57.47 + 5.00 + 2.00

            completed = (
                await storefront.complete_checkout(
                    gc.CompleteCheckoutInput(checkout_id=checkout.id, idempotency_key="codegen-flow-1")
                )
            ).complete_checkout
            assert completed.errors == [] and completed.order is not None
            assert completed.order.status is gc.OrderStatus.AWAITING_FULFILLMENT
            assert completed.order.grand_total.value == Decimal("64.47")
            order_id = completed.order.id

            # Back office: ship everything to the one address, then read the order back.
            order = (await back_office.order_with_shipments(order_id)).order
            assert order is not None and order.items_shipped == 0
            (destination,) = order.shipping_addresses
            shipment = (
                await back_office.create_shipment(
                    gc.CreateShipmentInput(
                        order_id=order_id,
                        shipping_address_id=destination.id,
                        items=[
                            gc.ShipmentItemInput(order_product_id=product.id, quantity=product.quantity)
                            for product in destination.products
                        ],
                        tracking_number="1Z999AA10123456784",
                        shipping_provider=gc.ShippingProvider.UPS,
                    )
                )
            ).create_shipment
            assert shipment.errors == [] and shipment.shipment is not None
            assert shipment.shipment.tracking_link  # generated for a known provider
            shipped = (await back_office.order_with_shipments(order_id)).order
            assert shipped is not None
            assert shipped.status is gc.OrderStatus.SHIPPED
            assert shipped.items_shipped == shipped.items_total == 3
            assert [s.id for s in shipped.shipments] == [shipment.shipment.id]
            assert shipped.date_shipped is not None and shipped.date_shipped.tzinfo is not None

            # A storefront token may not read orders: the client raises the GraphQL error.
            with pytest.raises(gc.GraphQLClientGraphQLMultiError) as refused:
                await storefront.order_with_shipments(order_id)
            assert refused.value.errors[0].extensions["code"] == "FORBIDDEN"
