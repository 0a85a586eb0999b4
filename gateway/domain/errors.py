"""Domain errors: what went wrong, in the domain's words, with the input path that caused it.

The API maps these onto `UserError { code message field }` in mutation payloads. A domain function
collects every problem it can find cheaply and raises them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum


class ErrorCode(str, Enum):
    """Machine-readable reasons a mutation was refused."""

    INVALID_INPUT = "INVALID_INPUT"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_COUNTRY_CODE = "INVALID_COUNTRY_CODE"
    INVALID_STATE_OR_PROVINCE = "INVALID_STATE_OR_PROVINCE"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    UNKNOWN_LINE_ITEM = "UNKNOWN_LINE_ITEM"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    DUPLICATE_LINE_ITEM = "DUPLICATE_LINE_ITEM"
    OVER_ASSIGNED = "OVER_ASSIGNED"
    DIGITAL_ITEM = "DIGITAL_ITEM"
    NO_CHANGES = "NO_CHANGES"
    SHIPPING_OPTION_NOT_ALONE = "SHIPPING_OPTION_NOT_ALONE"
    SHIPPING_OPTION_NOT_AVAILABLE = "SHIPPING_OPTION_NOT_AVAILABLE"
    SHIPPING_OPTION_STALE = "SHIPPING_OPTION_STALE"
    PICKUP_METHOD_NOT_FOUND = "PICKUP_METHOD_NOT_FOUND"
    PICKUP_LIMIT = "PICKUP_LIMIT"
    CONFLICTING_FIELDS = "CONFLICTING_FIELDS"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_RANGE = "INVALID_RANGE"
    UNKNOWN_CARRIER = "UNKNOWN_CARRIER"
    CARRIER_NOT_CONNECTED = "CARRIER_NOT_CONNECTED"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    CHECKOUT_COMPLETED = "CHECKOUT_COMPLETED"
    MISSING_BILLING_ADDRESS = "MISSING_BILLING_ADDRESS"
    INCOMPLETE_BILLING_ADDRESS = "INCOMPLETE_BILLING_ADDRESS"
    UNASSIGNED_ITEMS = "UNASSIGNED_ITEMS"
    INCOMPLETE_SHIPPING_ADDRESS = "INCOMPLETE_SHIPPING_ADDRESS"
    NO_SHIPPING_ZONE = "NO_SHIPPING_ZONE"
    SHIPPING_QUOTE_STALE = "SHIPPING_QUOTE_STALE"
    NO_SHIPPING_OPTION_SELECTED = "NO_SHIPPING_OPTION_SELECTED"
    PICKUP_METHOD_UNAVAILABLE = "PICKUP_METHOD_UNAVAILABLE"
    SHIPPING_OPTION_UNAVAILABLE = "SHIPPING_OPTION_UNAVAILABLE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENT_RESULT_DELETED = "IDEMPOTENT_RESULT_DELETED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_HAS_SHIPMENTS = "ORDER_HAS_SHIPMENTS"
    WRONG_SHIPPING_ADDRESS = "WRONG_SHIPPING_ADDRESS"
    OVER_SHIPPED = "OVER_SHIPPED"
    DUPLICATE_ORDER_PRODUCT = "DUPLICATE_ORDER_PRODUCT"
    INVALID_URL = "INVALID_URL"
    PICKUP_NOT_SHIPPABLE = "PICKUP_NOT_SHIPPABLE"
    ALREADY_PICKED_UP = "ALREADY_PICKED_UP"


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class DomainError(Exception):
    """Base of every expected refusal; carries one or more problems."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(problem.message for problem in self.problems))

    @classmethod
    def one(cls, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> DomainError:
        return cls([Problem(code, message, tuple(field) if field is not None else None)])


class InvalidInput(DomainError):
    """The request's input breaks a rule; nothing was changed."""


class NotFound(DomainError):
    """The object does not exist in the caller's store (or never existed: we never say which)."""


class Conflict(DomainError):
    """The object changed under the caller (optimistic version check)."""


def raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)
