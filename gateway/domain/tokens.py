"""API tokens: creation, listing, revocation, and turning a presented token into its principal.

A token reads `gwsf_<id>_<secret>` (storefront) or `gwsk_<id>_<secret>` (server): the id finds the row,
the 256-bit secret is checked against a salted SHA-256 digest in constant time. Neither the token nor
the secret is stored. Principals are cached per process for `ttl_s` (2 s by default), so a revoked token
is refused by every process within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any

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

#: `api_token.id` is a 32-bit INTEGER on PostgreSQL: a larger id names no token (and must not reach the query).
MAX_TOKEN_ID = 2**31 - 1
PREFIX = {TokenKind.STOREFRONT: "gwsf", TokenKind.SERVER: "gwsk"}
_KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIX.items()}


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

    def grants(self, scope: str) -> bool:
        """Whether this token holds `scope`; an area's write scope includes reading it (`orders:write`
        reads the order a mutation returns), as Shopify's access scopes do."""
        if scope in self.scopes:
            return True
        area, _, action = scope.partition(":")
        return action == "read" and f"{area}:write" in self.scopes


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}{secret}".encode()).hexdigest()


def parse(token: str) -> tuple[TokenKind, int, str] | None:
    """(kind, id, secret) of a well-formed token, else None.

    The id is ASCII digits only (`str.isdigit()` also accepts "²", which `int()` refuses, and `int()` reads
    other scripts' digits) and within the id column's range.
    """
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    kind = _KIND_BY_PREFIX.get(prefix)
    if kind is None or not secret or not (0 < len(token_id) <= 10 and token_id.isascii() and token_id.isdigit()):
        return None
    number = int(token_id)
    if not 0 < number <= MAX_TOKEN_ID:
        return None
    return kind, number, secret


async def create_token(
    conn: AsyncConnection,
    store_slug: str,
    kind: TokenKind,
    scopes: tuple[str, ...] | None = None,
    label: str | None = None,
) -> str:
    """Create a token and return it in clear text: the only time it is ever seen.

    Server tokens get every scope unless `scopes` narrows them; storefront tokens have none (they may
    call only the storefront fields).
    """
    store = await queries.store_by_slug(conn, store_slug)
    if store is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, f"no store with slug {store_slug!r}", ("store",))
    unknown = set(scopes or ()) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    secret, salt = secrets.token_urlsafe(32), secrets.token_hex(16)
    token_id = await queries.insert_token(
        conn,
        {
            "store_id": store.id,
            "kind": kind.value,
            "salt": salt,
            "token_hash": _digest(salt, secret),
            "scopes": list(scopes) if scopes is not None else list(SCOPES if kind is TokenKind.SERVER else ()),
            "label": label,
            "created_at": utcnow(),
        },
    )
    return f"{PREFIX[kind]}_{token_id}_{secret}"


async def authenticate(conn: AsyncConnection, token: str) -> Principal | None:
    """The principal for a presented token, or None when it is malformed, unknown or revoked."""
    parsed = parse(token)
    if parsed is None:
        return None
    kind, token_id, secret = parsed
    row = await queries.token_with_store(conn, token_id)
    if row is None or row.revoked_at is not None or row.kind != kind.value:
        return None
    if not hmac.compare_digest(row.token_hash, _digest(row.salt, secret)):
        return None
    return Principal(
        token_id=row.id,
        store_id=row.store_id,
        store_slug=row.store_slug,
        currency_code=row.currency_code,
        kind=kind,
        scopes=frozenset(row.scopes or ()),
    )


async def list_tokens(conn: AsyncConnection, store_slug: str | None = None) -> list[dict[str, Any]]:
    """Every token's metadata; never a secret or a digest."""
    store_id = None
    if store_slug is not None:
        store = await queries.store_by_slug(conn, store_slug)
        if store is None:
            raise NotFound.one(ErrorCode.NOT_FOUND, f"no store with slug {store_slug!r}", ("store",))
        store_id = store.id
    return [
        {
            "id": row.id,
            "store": row.store_slug,
            "kind": row.kind,
            "scopes": list(row.scopes or ()),
            "label": row.label,
            "created_at": row.created_at.isoformat(),
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }
        for row in await queries.tokens(conn, store_id)
    ]


async def revoke_token(conn: AsyncConnection, token_id: int) -> None:
    if await queries.revoke_token(conn, token_id, utcnow()) == 0:
        raise NotFound.one(ErrorCode.NOT_FOUND, f"no active token with id {token_id}", ("id",))


class PrincipalCache:
    """Recently authenticated tokens, per process, for at most `ttl_s` seconds (LRU-bounded).

    Keys are the presented tokens' SHA-256 digests, never the tokens themselves.
    """

    def __init__(self, ttl_s: float = 2.0, max_entries: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> Principal | None:
        if self.ttl_s <= 0:
            return None
        key = self.key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, principal = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        key = self.key(token)
        self._entries[key] = (time.monotonic() + self.ttl_s, principal)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
