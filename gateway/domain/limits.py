"""Input bounds. One place, so the README, the GraphQL descriptions and the errors quote the same numbers.

Every string and list a mutation takes has a maximum here; `too_long` and `too_many` are how the domain's
validation reports a breach (TOO_LONG / TOO_MANY with the input's GraphQL path). A list over its maximum is
refused as a whole, without a problem per entry, so the answer stays small whatever was sent.
"""

from __future__ import annotations

from collections.abc import Sized

from gateway.domain.errors import ErrorCode, Problem

MAX_STRING_LENGTH = 255
MAX_CUSTOM_FIELDS_PER_ADDRESS = 50
MAX_LINE_ITEMS_PER_CHECKOUT = 250
MAX_LINE_ITEMS_PER_CONSIGNMENT = MAX_LINE_ITEMS_PER_CHECKOUT
MAX_QUANTITY_PER_LINE_ITEM = 10_000
MAX_CONSIGNMENTS_PER_CHECKOUT = 50
MAX_CONSIGNMENTS_PER_REQUEST = 50
MAX_SERVICES_PER_METHOD = 50
MAX_RANGES_PER_METHOD = 100
MAX_CREDENTIALS_PER_CARRIER = 20
MAX_PICKUP_INSTRUCTIONS = 1000


def too_long(value: str | None, path: tuple[str, ...], limit: int = MAX_STRING_LENGTH) -> Problem | None:
    """TOO_LONG at `path` when `value` has more than `limit` characters."""
    if value is not None and len(value) > limit:
        return Problem(ErrorCode.TOO_LONG, f"must be at most {limit} characters", path)
    return None


def too_many(items: Sized | None, path: tuple[str, ...], limit: int, what: str = "entries") -> Problem | None:
    """TOO_MANY at `path` when `items` has more than `limit` entries."""
    if items is not None and len(items) > limit:
        return Problem(ErrorCode.TOO_MANY, f"at most {limit} {what}", path)
    return None
