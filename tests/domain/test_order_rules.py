"""Order and shipment rules alone, without GraphQL or a database: the status shipments imply, tracking
links and tracking field validation, the address fields each country needs, and completion problems."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pycountry
import pytest

from gateway.domain.address_requirements import (
    BASE_FIELDS,
    GRAPHQL_NAMES,
    POSTAL_CODE_AND_STATE,
    POSTAL_CODE_ONLY,
    missing_fields,
)
from gateway.domain.errors import ErrorCode
from gateway.domain.inputs import TrackingInput
from gateway.domain.orders import OrderStatus, status_for
from gateway.domain.problems import ProblemCode, checkout_problems
from gateway.domain.shipments import (
    MAX_TRACKING_LINK,
    MAX_TRACKING_NUMBER,
    TRACKING_URLS,
    ShippingProvider,
    generated_tracking_link,
    validate_tracking,
)

# --- status_for --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items_total", "items_shipped", "expected"),
    [
        (5, 0, OrderStatus.AWAITING_FULFILLMENT),
        (0, 0, OrderStatus.COMPLETED),  # digital only: nothing to ship, complete when placed
        (5, 1, OrderStatus.PARTIALLY_SHIPPED),
        (5, 4, OrderStatus.PARTIALLY_SHIPPED),
        (5, 5, OrderStatus.SHIPPED),
        (1, 1, OrderStatus.SHIPPED),
    ],
)
def test_status_for(items_total: int, items_shipped: int, expected: OrderStatus):
    assert status_for(items_total, items_shipped) is expected


@pytest.mark.parametrize(
    ("shipping", "pickups", "expected"),
    [
        ((0, 0), (1, 0), OrderStatus.AWAITING_PICKUP),  # pickup only, waiting at the store
        ((0, 0), (1, 1), OrderStatus.COMPLETED),  # pickup only, collected
        ((3, 0), (1, 0), OrderStatus.AWAITING_FULFILLMENT),
        ((3, 0), (1, 1), OrderStatus.AWAITING_FULFILLMENT),  # collected first: shipping still decides
        ((3, 2), (1, 0), OrderStatus.PARTIALLY_SHIPPED),
        ((3, 2), (1, 1), OrderStatus.PARTIALLY_SHIPPED),
        ((3, 3), (1, 0), OrderStatus.AWAITING_PICKUP),  # everything shipped, the pickup still waits
        ((3, 3), (1, 1), OrderStatus.SHIPPED),  # shipped and collected: receipt not confirmed
    ],
)
def test_status_for_pickups(shipping: tuple[int, int], pickups: tuple[int, int], expected: OrderStatus):
    assert status_for(*shipping, *pickups) is expected


def test_status_for_never_cancels():
    assert {status_for(total, shipped) for total in range(4) for shipped in range(total + 1)} <= {
        OrderStatus.AWAITING_FULFILLMENT,
        OrderStatus.PARTIALLY_SHIPPED,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
    }
    assert OrderStatus.CANCELLED not in {
        status_for(total, shipped, pickups, collected)
        for total in range(3)
        for shipped in range(total + 1)
        for pickups in range(2)
        for collected in range(pickups + 1)
    }


# --- generated_tracking_link -------------------------------------------------------------------------

HOSTS = {
    ShippingProvider.UPS: "www.ups.com",
    ShippingProvider.FEDEX: "www.fedex.com",
    ShippingProvider.USPS: "tools.usps.com",
    ShippingProvider.CANADA_POST: "www.canadapost-postescanada.ca",
    ShippingProvider.AUSTRALIA_POST: "auspost.com.au",
    ShippingProvider.ROYAL_MAIL: "www.royalmail.com",
    ShippingProvider.DHL: "www.dhl.com",
}


@pytest.mark.parametrize("provider", sorted(HOSTS, key=lambda p: p.value))
def test_generated_link_for_known_providers(provider: ShippingProvider):
    link = generated_tracking_link(provider.value, "1Z999AA10123456784")
    assert link is not None
    assert link.startswith(f"https://{HOSTS[provider]}/")
    assert "1Z999AA10123456784" in link


def test_every_provider_but_custom_has_a_tracking_page():
    assert set(TRACKING_URLS) == set(ShippingProvider) - {ShippingProvider.CUSTOM}
    assert {"UPS", "FEDEX", "USPS", "CANADA_POST", "AUSTRALIA_POST", "ROYAL_MAIL", "DHL", "CUSTOM"} <= {
        provider.value for provider in ShippingProvider
    }


def test_generated_link_encodes_the_number():
    link = generated_tracking_link("UPS", "AB 12/34?x=1&y")
    assert link == "https://www.ups.com/track?tracknum=" + quote("AB 12/34?x=1&y", safe="")
    assert " " not in link and "&y" not in link


@pytest.mark.parametrize(
    ("provider", "number"),
    [("CUSTOM", "123"), (None, "123"), ("UPS", None), ("UPS", ""), ("", "123"), (None, None)],
)
def test_no_generated_link(provider: str | None, number: str | None):
    assert generated_tracking_link(provider, number) is None


# --- validate_tracking -------------------------------------------------------------------------------


def codes(problems: list[Any]) -> list[tuple[str, tuple[str, ...] | None]]:
    return sorted((problem.code.value, problem.field) for problem in problems)


def test_nothing_given_is_nothing_to_write():
    assert validate_tracking(TrackingInput()) == ({}, [])


def test_values_are_trimmed_and_blank_means_none():
    values, problems = validate_tracking(
        TrackingInput(
            tracking_number="  1Z9  ",
            shipping_provider="UPS",
            tracking_carrier=" ups ",
            tracking_link=" https://t.example/1 ",
            shipping_method="   ",
            comments="fragile",
        )
    )
    assert problems == []
    assert values == {
        "tracking_number": "1Z9",
        "shipping_provider": "UPS",
        "tracking_carrier": "ups",
        "tracking_link": "https://t.example/1",
        "shipping_method": None,
        "comments": "fragile",
    }


def test_tracking_number_limit():
    assert MAX_TRACKING_NUMBER == 50
    assert validate_tracking(TrackingInput(tracking_number="9" * 50))[1] == []
    _, problems = validate_tracking(TrackingInput(tracking_number="9" * 51))
    assert codes(problems) == [(ErrorCode.TOO_LONG.value, ("trackingNumber",))]


@pytest.mark.parametrize("link", ["http://a.example/x", "https://a.example", "HTTPS://A.EXAMPLE/Q?x=1"])
def test_http_links_are_accepted(link: str):
    values, problems = validate_tracking(TrackingInput(tracking_link=link))
    assert problems == []
    assert values["tracking_link"] == link


@pytest.mark.parametrize(
    "link", ["ftp://a.example/x", "a.example/x", "https://", "mailto:x@a.example", "javascript:alert(1)", "//a.example"]
)
def test_other_links_are_invalid(link: str):
    _, problems = validate_tracking(TrackingInput(tracking_link=link))
    assert codes(problems) == [(ErrorCode.INVALID_URL.value, ("trackingLink",))]


def test_tracking_link_limit():
    assert MAX_TRACKING_LINK == 500
    base = "https://t.example/"
    assert validate_tracking(TrackingInput(tracking_link=base + "x" * (500 - len(base))))[1] == []
    _, problems = validate_tracking(TrackingInput(tracking_link=base + "x" * (501 - len(base))))
    assert codes(problems) == [(ErrorCode.TOO_LONG.value, ("trackingLink",))]


def test_all_problems_are_reported_together():
    _, problems = validate_tracking(
        TrackingInput(
            tracking_number="9" * 51,
            tracking_carrier="c" * 256,
            shipping_method="m" * 256,
            comments="x" * 65_536,
            tracking_link="nope",
        )
    )
    assert codes(problems) == sorted(
        [
            (ErrorCode.TOO_LONG.value, ("trackingNumber",)),
            (ErrorCode.TOO_LONG.value, ("trackingCarrier",)),
            (ErrorCode.TOO_LONG.value, ("shippingMethod",)),
            (ErrorCode.TOO_LONG.value, ("comments",)),
            (ErrorCode.INVALID_URL.value, ("trackingLink",)),
        ]
    )


# --- missing_fields ----------------------------------------------------------------------------------


def _a_subdivision(country: str) -> Any:
    """A real ISO 3166-2 subdivision of the country (or a stand-in for countries without any)."""
    found = sorted(pycountry.subdivisions.get(country_code=country.upper()) or (), key=lambda s: s.code)
    return found[0] if found else SimpleNamespace(name="Region", code="XX-R")


def full(country: str, **overrides: Any) -> dict[str, Any]:
    address: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address1": "1 Main St",
        "city": "Springfield",
        "country_code": country,
        "email": "ada@example.com",
        "postal_code": "12345",
        "state_or_province": _a_subdivision(country).name,
    }
    address.update(overrides)
    return {key: value for key, value in address.items() if value is not None}


def test_no_address_misses_every_base_field():
    assert missing_fields(None) == ["firstName", "lastName", "address1", "city", "countryCode", "email"]
    assert [GRAPHQL_NAMES[name] for name in BASE_FIELDS] == missing_fields(None)


def test_base_fields_empty_or_absent():
    address = full("AE", first_name="", last_name=None, city=None)
    assert missing_fields(address) == ["firstName", "lastName", "city"]


@pytest.mark.parametrize("country", ["US", "CA", "AU", "IN", "BR", "MX"])
def test_countries_needing_postal_code_and_state(country: str):
    assert country in POSTAL_CODE_AND_STATE
    assert missing_fields(full(country)) == []
    assert missing_fields(full(country, postal_code=None, state_or_province=None)) == ["postalCode", "stateOrProvince"]
    assert missing_fields(full(country, postal_code=None)) == ["postalCode"]
    assert missing_fields(full(country, state_or_province=None)) == ["stateOrProvince"]
    # A state code alone will do, but only a real one.
    code = _a_subdivision(country).code.split("-", 1)[1]
    assert missing_fields(full(country, state_or_province=None, state_or_province_code=code)) == []
    assert missing_fields(full(country, state_or_province=None, state_or_province_code="ZZ9")) == ["stateOrProvince"]


@pytest.mark.parametrize("country", ["GB", "DE", "FR", "NL", "JP"])
def test_countries_needing_a_postal_code_only(country: str):
    assert country in POSTAL_CODE_ONLY
    assert missing_fields(full(country, state_or_province=None)) == []
    assert missing_fields(full(country, postal_code=None, state_or_province=None)) == ["postalCode"]


@pytest.mark.parametrize("country", ["AE", "HK", "QA"])
def test_countries_needing_neither(country: str):
    assert country not in POSTAL_CODE_AND_STATE | POSTAL_CODE_ONLY
    assert missing_fields(full(country, postal_code=None, state_or_province=None)) == []


def test_country_code_case_does_not_matter():
    assert missing_fields(full("us", postal_code=None, state_or_province=None)) == ["postalCode", "stateOrProvince"]
    assert missing_fields(full("gb", postal_code=None)) == ["postalCode"]


def test_rule_tables_do_not_overlap():
    assert not POSTAL_CODE_AND_STATE & POSTAL_CODE_ONLY
    assert all(len(code) == 2 and code.isupper() for code in POSTAL_CODE_AND_STATE | POSTAL_CODE_ONLY)


# --- completion problems -----------------------------------------------------------------------------


def _consignment(**fields: Any) -> Any:
    values: dict[str, Any] = {
        "id": "c1",
        "pickup_method_id": None,
        "address": full("US"),
        "quote_fingerprint": "fp",
        "quote_config_version": 3,
        "shipping_zone_id": 1,
        "selected_shipping_option_id": "opt",
        "unavailable_option": None,
    }
    values.update(fields)
    return SimpleNamespace(**values)


def _line(id: str, quantity: int, requires_shipping: bool = True) -> Any:
    return SimpleNamespace(id=id, quantity=quantity, requires_shipping=requires_shipping, sku=id.upper())


def test_ready_checkout_has_no_problems():
    checkout = SimpleNamespace(completed_at=None, billing_address=full("GB"))
    assert (
        checkout_problems(checkout, [_line("a", 2), _line("e", 1, False)], {"a": 2}, [_consignment()], set(), set())
        == []
    )


def test_digital_only_checkout_needs_only_billing():
    lines = [_line("e", 1, False)]
    assert [
        p.code
        for p in checkout_problems(
            SimpleNamespace(completed_at=None, billing_address=None), lines, {}, [], set(), set()
        )
    ] == [ProblemCode.MISSING_BILLING_ADDRESS]
    assert (
        checkout_problems(SimpleNamespace(completed_at=None, billing_address=full("AE")), lines, {}, [], set(), set())
        == []
    )


def test_a_pickup_consignment_whose_location_is_gone_is_a_problem():
    pickup = _consignment(id="pickup", pickup_method_id=7, address=None, selected_shipping_option_id=None)
    checkout = SimpleNamespace(completed_at=None, billing_address=full("US"))
    problems = checkout_problems(checkout, [_line("a", 1)], {"a": 1}, [pickup], set(), {8})
    assert [(p.code.value, p.consignment_id) for p in problems] == [("PICKUP_METHOD_UNAVAILABLE", "pickup")]


def test_every_problem_is_listed():
    checkout = SimpleNamespace(completed_at=None, billing_address=full("AE", first_name=None))
    consignments = [
        _consignment(id="stale"),
        _consignment(id="withdrawn", selected_shipping_option_id=None, unavailable_option="Express"),
        _consignment(id="unselected", selected_shipping_option_id=None, address=full("US", postal_code=None)),
        _consignment(id="nowhere", shipping_zone_id=None),
        _consignment(
            id="pickup", pickup_method_id=7, address=None, selected_shipping_option_id=None, quote_fingerprint=None
        ),
    ]
    problems = checkout_problems(
        checkout, [_line("a", 3), _line("b", 1)], {"a": 2, "b": 1}, consignments, {"stale"}, {7}
    )
    assert sorted((p.code.value, p.consignment_id, p.line_item_id, p.fields) for p in problems) == sorted(
        [
            ("INCOMPLETE_BILLING_ADDRESS", None, None, ("firstName",)),
            ("UNASSIGNED_ITEMS", None, "a", ()),
            ("SHIPPING_QUOTE_STALE", "stale", None, ()),
            ("INCOMPLETE_SHIPPING_ADDRESS", "unselected", None, ("postalCode",)),
            ("NO_SHIPPING_OPTION_SELECTED", "unselected", None, ()),
            ("NO_SHIPPING_ZONE", "nowhere", None, ()),
            ("SHIPPING_OPTION_UNAVAILABLE", "withdrawn", None, ()),
            ("NO_SHIPPING_OPTION_SELECTED", "withdrawn", None, ()),
        ]
    )


def test_a_completed_checkout_has_no_problems_even_when_everything_else_would_block_it():
    completed = SimpleNamespace(completed_at=datetime(2026, 1, 1, tzinfo=UTC), billing_address=None)
    stale = SimpleNamespace(
        id="c1",
        pickup_method_id=None,
        address=None,
        quote_fingerprint=None,
        quote_config_version=None,
        shipping_zone_id=None,
        selected_shipping_option_id=None,
        unavailable_option=None,
    )
    lines = [_line("shirt", 2)]
    assert checkout_problems(completed, lines, {}, [stale], {"c1"}, set()) == []
    assert checkout_problems(
        SimpleNamespace(completed_at=None, billing_address=None), lines, {}, [stale], {"c1"}, set()
    )
