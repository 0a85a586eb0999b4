"""Domain enums exposed in GraphQL, each value with a description a client developer can rely on."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

import strawberry


def described_enum(cls: type[Enum], name: str, description: str, values: Mapping[str, str]) -> Any:
    """`strawberry.enum(cls)` with a description on every value; a value left undescribed is a bug."""
    missing = [member.name for member in cls if member.name not in values]
    if missing:
        raise ValueError(f"{name}: describe {', '.join(missing)}")
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:
        value.description = values[value.name]
    return wrapped


ERROR_CODES = {
    "INVALID_INPUT": "A value breaks a rule not covered by a more specific code; see the message.",
    "REQUIRED": "A required value is missing or empty.",
    "TOO_LONG": "A string is longer than allowed.",
    "TOO_MANY": "A list has more entries than allowed.",
    "INVALID_EMAIL": "Not an email address.",
    "INVALID_COUNTRY_CODE": "Not an ISO 3166-1 alpha-2 country code.",
    "INVALID_STATE_OR_PROVINCE": "Unknown ISO 3166-2 subdivision (code or name), or name and code differ.",
    "NOT_FOUND": "No such object in the caller's store.",
    "UNKNOWN_SKU": "No product with that SKU.",
    "UNKNOWN_LINE_ITEM": "No such line item in the checkout.",
    "INVALID_QUANTITY": "Quantity out of range (at least 1).",
    "DUPLICATE_LINE_ITEM": "The same line item listed twice in one consignment.",
    "OVER_ASSIGNED": "More units assigned to consignments than the line item has.",
    "DIGITAL_ITEM": "Digital items never go in a consignment.",
    "NO_CHANGES": "The update names nothing to change.",
    "SHIPPING_OPTION_NOT_ALONE": "A shipping option must be selected in a request of its own.",
    "SHIPPING_OPTION_NOT_AVAILABLE": "The option is not one of the consignment's current options.",
    "SHIPPING_OPTION_STALE": "The options were priced before a configuration change: refresh them.",
    "PICKUP_METHOD_NOT_FOUND": "No such enabled pickup method.",
    "PICKUP_LIMIT": "A checkout has at most one pickup consignment.",
    "CONFLICTING_FIELDS": "Two fields that exclude each other were both given.",
    "INVALID_AMOUNT": "An amount is negative, too large or too precise.",
    "INVALID_RANGE": "A range's lower limit is above its upper limit.",
    "UNKNOWN_CARRIER": "No carrier with that id is registered with the gateway.",
    "CARRIER_NOT_CONNECTED": "The store is not connected to that carrier.",
    "VERSION_CONFLICT": "The checkout changed since the version given: reload and retry.",
    "CHECKOUT_COMPLETED": "The checkout became an order and is read-only.",
    "MISSING_BILLING_ADDRESS": "Completing needs a billing address.",
    "INCOMPLETE_BILLING_ADDRESS": "The billing address lacks a field completing needs.",
    "UNASSIGNED_ITEMS": "Physical units are in no consignment.",
    "INCOMPLETE_SHIPPING_ADDRESS": "A consignment address lacks a field completing needs.",
    "NO_SHIPPING_ZONE": "The store does not ship to a consignment's address.",
    "SHIPPING_QUOTE_STALE": "A consignment's options were priced before a configuration change.",
    "NO_SHIPPING_OPTION_SELECTED": "A shipping consignment has no selected option.",
    "PICKUP_METHOD_UNAVAILABLE": "A pickup consignment's location was removed or disabled.",
    "SHIPPING_OPTION_UNAVAILABLE": "The merchant removed a consignment's selected option: choose another one.",
    "IDEMPOTENCY_KEY_REUSED": "The idempotency key was used before with a different input.",
    "IDEMPOTENT_RESULT_DELETED": "The idempotency key's first result was deleted since; nothing was created.",
    "ORDER_CANCELLED": "The order is cancelled.",
    "ORDER_HAS_SHIPMENTS": "Items of the order have shipped or been picked up.",
    "WRONG_SHIPPING_ADDRESS": "The product does not ship to that address.",
    "OVER_SHIPPED": "More units than are left to ship.",
    "DUPLICATE_ORDER_PRODUCT": "The same order product listed twice in one shipment.",
    "INVALID_URL": "Not an http(s) URL.",
    "PICKUP_NOT_SHIPPABLE": "The destination or item is a pickup: collected in store with `markPickedUp`, never "
    "shipped.",
    "ALREADY_PICKED_UP": "The pickup was collected already; nothing changed.",
}

PROBLEM_CODES = {
    "MISSING_BILLING_ADDRESS": "No billing address yet.",
    "INCOMPLETE_BILLING_ADDRESS": "The billing address lacks fields (see `fields`).",
    "UNASSIGNED_ITEMS": "Units of a physical line item are in no consignment (see `lineItemId`).",
    "INCOMPLETE_SHIPPING_ADDRESS": "A consignment's address lacks fields (see `fields`).",
    "NO_SHIPPING_ZONE": "The store does not ship to the consignment's address.",
    "SHIPPING_QUOTE_STALE": "Something the options were priced from changed (the matched zone, its fees or free "
    "shipping, its methods, their carrier connections): call refreshShippingOptions.",
    "NO_SHIPPING_OPTION_SELECTED": "The consignment needs a selected shipping option.",
    "PICKUP_METHOD_UNAVAILABLE": "The pickup location was removed or disabled: choose another one or ship.",
    "SHIPPING_OPTION_UNAVAILABLE": "The selected option's method or zone was removed or no longer applies, so the "
    "selection was cleared (the message names it): choose another option.",
}
