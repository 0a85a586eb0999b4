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

from gateway.domain.checkout import record_edits
from gateway.storage import queries


async def withdraw_options(
    conn: AsyncConnection, store_id: int, method_ids: Sequence[int], option_keys: Sequence[str] = ()
) -> None:
    """Clear open checkouts' selections of these methods (and option keys, e.g. a zone's free shipping)."""
    locked = await queries.lock_checkouts_quoting(conn, store_id, method_ids, option_keys)
    # A checkout completed while we waited for its lock is frozen: withdraw_quotes skips it too.
    still_open = [checkout for checkout in locked if checkout.completed_at is None]
    if not still_open:
        return
    await queries.withdraw_quotes(conn, store_id, method_ids, option_keys)
    await record_edits(conn, store_id, still_open)
