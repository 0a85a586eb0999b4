"""Idempotency keys: the same key with the same input returns the first result; with a different input
it is refused. Keys are scoped to the store and the operation, and kept at least 24 hours."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput
from gateway.domain.limits import MAX_STRING_LENGTH
from gateway.storage import queries

RETENTION = timedelta(hours=48)


def request_hash(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


async def claim(conn: AsyncConnection, store_id: int, operation: str, key: str, document: Any) -> str | None:
    """Claim `key` for this request. Returns the earlier result id when this is a retry, else None.

    Runs inside the caller's transaction: if the caller fails, the claim is rolled back with it.
    """
    if not key or len(key) > MAX_STRING_LENGTH:
        raise InvalidInput.one(
            ErrorCode.INVALID_INPUT, "idempotencyKey must be 1 to 255 characters", ("idempotencyKey",)
        )
    now = utcnow()
    await queries.purge_idempotency_keys(conn, now - RETENTION)
    existing = await queries.claim_idempotency_key(conn, store_id, operation, key, request_hash(document), now)
    if existing is None:
        return None
    if existing.request_hash != request_hash(document) or existing.result_id is None:
        raise InvalidInput.one(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this idempotencyKey was already used with a different input",
            ("idempotencyKey",),
        )
    return str(existing.result_id)


async def record(conn: AsyncConnection, store_id: int, operation: str, key: str, result_id: str) -> None:
    await queries.set_idempotency_result(conn, store_id, operation, key, result_id)


def result_deleted(key: str) -> InvalidInput:
    """A replay whose first result no longer exists (or is no longer what it created): never re-create."""
    return InvalidInput.one(  # type: ignore[return-value]
        ErrorCode.IDEMPOTENT_RESULT_DELETED,
        f"the result of idempotencyKey {key!r} was deleted since; nothing was created",
        ("idempotencyKey",),
    )
