"""What a shopper's selection becomes when the merchant deletes the method or zone it came from.

The selection is cleared in the delete's own transaction (never left pointing at an id a later method
could take), the withdrawn options disappear from the consignment, the checkout's totals drop the cost,
its `version` moves, and the consignment shows SHIPPING_OPTION_UNAVAILABLE naming the option until the
shopper chooses again. Completed checkouts are frozen and never touched. (A deleted pickup location needs
nothing here: its consignment shows PICKUP_METHOD_UNAVAILABLE, and ids are never reused.)
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.checkout import record_edit
from gateway.storage import queries


async def withdraw_options(
    conn: AsyncConnection, store_id: int, method_ids: Sequence[int], option_keys: Sequence[str] = ()
) -> None:
    """Clear open checkouts' selections of these methods (and option keys, e.g. a zone's free shipping)."""
    checkout_ids = await queries.checkouts_quoting(conn, store_id, method_ids, option_keys)
    if not checkout_ids:
        return
    locked = [await queries.lock_checkout(conn, store_id, checkout_id) for checkout_id in checkout_ids]
    await queries.withdraw_quotes(conn, store_id, method_ids, option_keys)
    for checkout in locked:
        # A checkout completed while we waited for its lock is frozen: withdraw_quotes skipped it too.
        if checkout is not None and checkout.completed_at is None:
            await record_edit(conn, store_id, checkout)
