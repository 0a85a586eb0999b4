"""What blocks completing a checkout, computed from what a read already loaded.

The same list backs `Checkout.problems` (storefronts render it) and completing the checkout (which
refuses while it is not empty), so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from gateway.domain.address_requirements import missing_fields


class ProblemCode(str, Enum):
    MISSING_BILLING_ADDRESS = "MISSING_BILLING_ADDRESS"
    INCOMPLETE_BILLING_ADDRESS = "INCOMPLETE_BILLING_ADDRESS"
    UNASSIGNED_ITEMS = "UNASSIGNED_ITEMS"
    INCOMPLETE_SHIPPING_ADDRESS = "INCOMPLETE_SHIPPING_ADDRESS"
    NO_SHIPPING_ZONE = "NO_SHIPPING_ZONE"
    SHIPPING_QUOTE_STALE = "SHIPPING_QUOTE_STALE"
    NO_SHIPPING_OPTION_SELECTED = "NO_SHIPPING_OPTION_SELECTED"
    PICKUP_METHOD_UNAVAILABLE = "PICKUP_METHOD_UNAVAILABLE"
    SHIPPING_OPTION_UNAVAILABLE = "SHIPPING_OPTION_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class CheckoutProblem:
    code: ProblemCode
    message: str
    consignment_id: str | None = None
    line_item_id: str | None = None
    fields: tuple[str, ...] = ()


def is_frozen(checkout: Any) -> bool:
    """A completed checkout is frozen: it became an order, nothing about it can change or block anything, so
    it has no problems whatever the shipping configuration does later (and reads never compute staleness)."""
    return checkout.completed_at is not None


def checkout_problems(
    checkout: Any,
    line_items: Sequence[Any],
    assigned: Mapping[str, int],
    consignments: Sequence[Any],
    stale: Collection[str],
    pickup_method_ids: Collection[int],
) -> list[CheckoutProblem]:
    """`stale`: ids of the consignments whose quotes are stale (gateway.domain.staleness);
    `pickup_method_ids`: the store's enabled pickup methods."""
    if is_frozen(checkout):
        return []
    problems: list[CheckoutProblem] = []
    if checkout.billing_address is None:
        problems.append(CheckoutProblem(ProblemCode.MISSING_BILLING_ADDRESS, "add a billing address"))
    else:
        missing = missing_fields(checkout.billing_address, shipping=False)
        if missing:
            problems.append(
                CheckoutProblem(
                    ProblemCode.INCOMPLETE_BILLING_ADDRESS,
                    f"billing address needs {', '.join(missing)}",
                    fields=tuple(missing),
                )
            )
    for line in line_items:
        if not line.requires_shipping:
            continue
        left = line.quantity - assigned.get(line.id, 0)
        if left > 0:
            problems.append(
                CheckoutProblem(
                    ProblemCode.UNASSIGNED_ITEMS,
                    f"{left} of {line.quantity} x {line.sku} are not in any consignment",
                    line_item_id=line.id,
                )
            )
    for consignment in consignments:
        if consignment.pickup_method_id is not None:
            if consignment.pickup_method_id not in pickup_method_ids:
                problems.append(
                    CheckoutProblem(
                        ProblemCode.PICKUP_METHOD_UNAVAILABLE,
                        "the pickup location was removed or disabled: choose another one or ship instead",
                        consignment_id=consignment.id,
                    )
                )
            continue
        missing = missing_fields(consignment.address)
        if missing:
            problems.append(
                CheckoutProblem(
                    ProblemCode.INCOMPLETE_SHIPPING_ADDRESS,
                    f"shipping address needs {', '.join(missing)}",
                    consignment_id=consignment.id,
                    fields=tuple(missing),
                )
            )
        if consignment.id in stale:
            problems.append(
                CheckoutProblem(
                    ProblemCode.SHIPPING_QUOTE_STALE,
                    "shipping options are out of date: call refreshShippingOptions",
                    consignment_id=consignment.id,
                )
            )
        elif consignment.shipping_zone_id is None:
            problems.append(
                CheckoutProblem(
                    ProblemCode.NO_SHIPPING_ZONE,
                    "the store does not ship to this address",
                    consignment_id=consignment.id,
                )
            )
        if consignment.unavailable_option is not None:
            problems.append(
                CheckoutProblem(
                    ProblemCode.SHIPPING_OPTION_UNAVAILABLE,
                    f"{consignment.unavailable_option} is no longer offered: choose another shipping option",
                    consignment_id=consignment.id,
                )
            )
        if consignment.selected_shipping_option_id is None:
            problems.append(
                CheckoutProblem(
                    ProblemCode.NO_SHIPPING_OPTION_SELECTED,
                    "select a shipping option",
                    consignment_id=consignment.id,
                )
            )
    return problems
