"""API tokens: creation, and turning a presented token into the principal it stands for.

A token is 256 random bits; only its SHA-256 digest is stored, so a database leak does not leak tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, NotFound
from gateway.storage import queries


class TokenKind(str, Enum):
    STOREFRONT = "storefront"
    SERVER = "server"


SCOPES = (
    "checkouts:read",
    "checkouts:write",
    "orders:read",
    "orders:write",
    "shipping:read",
    "shipping:write",
)

_PREFIX = {TokenKind.STOREFRONT: "gwsf_", TokenKind.SERVER: "gwsk_"}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a token of one kind, in one store."""

    token_id: int
    store_id: int
    store_slug: str
    currency_code: str
    kind: TokenKind
    scopes: frozenset[str]

    @property
    def is_server(self) -> bool:
        return self.kind is TokenKind.SERVER


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    conn: AsyncConnection,
    store_slug: str,
    kind: TokenKind,
    scopes: tuple[str, ...] | None = None,
    label: str | None = None,
) -> str:
    """Create a token and return it in clear text: the only time it is ever seen."""
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, f"no store with slug {store_slug!r}", ("store",))
    unknown = set(scopes or ()) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    token = _PREFIX[kind] + secrets.token_urlsafe(32)
    await queries.insert_token(
        conn,
        {
            "store_id": store.id,
            "kind": kind.value,
            "token_hash": digest(token),
            "scopes": list(scopes) if scopes is not None else list(SCOPES if kind is TokenKind.SERVER else ()),
            "label": label,
            "created_at": utcnow(),
        },
    )
    return token


async def authenticate(conn: AsyncConnection, token: str) -> Principal | None:
    """The principal for a presented token, or None when it is unknown or revoked."""
    hashed = digest(token)
    row = await queries.token_with_store_by_hash(conn, hashed)
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, hashed):
        return None
    return Principal(
        token_id=row.id,
        store_id=row.store_id,
        store_slug=row.store_slug,
        currency_code=row.currency_code,
        kind=TokenKind(row.kind),
        scopes=frozenset(row.scopes or ()),
    )
