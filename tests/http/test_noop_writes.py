"""Only real changes move a checkout's `version` and `updatedAt`: a write that changes nothing answers success
with the unchanged checkout, so optimistic clients never see a conflict that nothing caused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.order_flow import BILLING, GB_LONDON, SET_BILLING, UPDATE_CONSIGNMENT, US_CA, OrderFlow, errors_of

pytestmark = pytest.mark.anyio


async def _update(flow: OrderFlow, checkout: dict[str, Any], **input: Any) -> dict[str, Any]:
    """updateConsignment of the first consignment at the checkout's current version; must succeed."""
    payload = await flow.storefront_mutation(
        UPDATE_CONSIGNMENT,
        "updateConsignment",
        {
            "checkoutId": checkout["id"],
            "consignmentId": checkout["consignments"][0]["id"],
            "version": checkout["version"],
            **input,
        },
    )
    assert errors_of(payload) == []
    return payload["checkout"]  # type: ignore[no-any-return]


async def test_writes_that_change_nothing_keep_version_and_updated_at(flow: OrderFlow):
    cart = await flow.cart(SHIRT=2, MUG=1)
    consignment = await flow.ship(cart, US_CA, SHIRT=2, MUG=1)
    await flow.select(cart, consignment)
    before = await flow.set_billing(cart, BILLING)

    # The same items (in another order), the same address, the option already selected, the same billing.
    same_items = list(reversed(cart.units(SHIRT=2, MUG=1)))
    option_id = before["consignments"][0]["selectedShippingOption"]["id"]
    for input in ({"lineItems": same_items}, {"address": US_CA}, {"shippingOptionId": option_id}):
        assert await _update(flow, before, **input) == before, input
    billing = await flow.storefront_mutation(
        SET_BILLING,
        "setCheckoutBillingAddress",
        {"checkoutId": cart.id, "address": BILLING, "version": before["version"]},
    )
    assert errors_of(billing) == [] and billing["checkout"] == before
    assert await flow.checkout(cart.id) == before

    # A real change still moves the version (and so does the next no-op not).
    changed = await _update(flow, before, lineItems=cart.units(SHIRT=1, MUG=1))
    assert changed["version"] == before["version"] + 1
    assert changed["updatedAt"] > before["updatedAt"]
    moved = await _update(flow, changed, address=GB_LONDON)
    assert moved["version"] == changed["version"] + 1
    assert await _update(flow, moved, address=GB_LONDON) == moved
