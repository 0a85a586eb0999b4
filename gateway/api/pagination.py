"""Relay-style connections: opaque cursors over ascending ids, page size capped at 100."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

MAX_PAGE_SIZE = 100
#: Integer ids are 32-bit INTEGER columns on PostgreSQL: a cursor naming a larger id was never issued.
MAX_ROW_ID = 2**31 - 1
K = TypeVar("K")
C = TypeVar("C")


@strawberry.type(
    description="Where a page sits in a connection (Relay cursor connections). Paging is forward only "
    "(`first` / `after`)."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows this one.")
    has_previous_page: bool = strawberry.field(
        description="True when items come before this page: `after` was given and at least one item of the list "
        "(with the same filter) sorts at or before it. False on the first page."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the page's first edge; null when it has none.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last edge, to pass as `after` for the next page; null when it has none."
    )


def encode_cursor(kind: str, key: int | str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def decode_cursor(kind: str, cursor: str | None, parse: Callable[[str], K]) -> K | None:
    """The key inside a cursor made by `encode_cursor(kind, ...)`; a foreign or mangled cursor is refused."""
    if cursor is None:
        return None
    try:
        found, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if encode_cursor(kind, key) != cursor:
            raise ValueError("not a canonical cursor")
        if found == kind and key:
            return parse(key)
    except (ValueError, OverflowError):
        pass
    raise GraphQLError("`after` is not a cursor of this list", extensions={"code": "BAD_USER_INPUT"})


# Parsers of the keys inside cursors. A cursor is opaque but anyone can forge one: each part is checked to be
# something `encode_cursor` could have written, so that nothing out of the database's ranges reaches a query.


def cursor_id(text: str) -> int:
    """A row id: ASCII digits, 1 to MAX_ROW_ID."""
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        raise ValueError("not an id")
    number = int(text)
    if not 0 < number <= MAX_ROW_ID:
        raise ValueError("id out of range")
    return number


def cursor_time(text: str) -> datetime:
    """A creation time as `time_cursor` writes it: ISO 8601 with an offset, representable in UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a cursor time carries its offset")
    return moment.astimezone(UTC)  # OverflowError past year 1 or 9999 in UTC


def cursor_text(text: str, max_length: int) -> str:
    """A string key (checkout ids): short printable ASCII, never a NUL the database would refuse."""
    if not (0 < len(text) <= max_length and text.isascii() and text.isprintable()):
        raise ValueError("not a key")
    return text


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(f"`first` must be between 0 and {MAX_PAGE_SIZE}", extensions={"code": "BAD_USER_INPUT"})


def build_connection(
    connection_type: type[C],
    rows: Sequence[object],
    first: int,
    cursor_for: Callable[[Any], str],
    *,
    has_previous_page: bool,
) -> C:
    """A connection from `first + 1` fetched rows: the extra row only tells that another page exists.
    `has_previous_page` comes from the same read (see `gateway.storage.queries.paging`). Edges, and so
    the cursor of every node, are made only when selected."""
    page = list(rows[:first])
    return connection_type(  # type: ignore[call-arg]
        nodes=page,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=has_previous_page,
            start_cursor=cursor_for(page[0]) if page else None,
            end_cursor=cursor_for(page[-1]) if page else None,
        ),
        cursor_for=cursor_for,
    )


def edges_of(edge_type: type) -> Callable[..., list[Any]]:
    """The `edges` resolver of a connection of `edge_type`: a cursor per node of the page, made only when
    a query selects edges (`build_connection` keeps `cursor_for` on the connection)."""

    def edges(root: Any) -> list[Any]:
        return [edge_type(cursor=root.cursor_for(row), node=row) for row in root.nodes]

    edges.__annotations__ = {"root": Any, "return": list[edge_type]}  # type: ignore[valid-type]
    return edges


def time_cursor(kind: str, row: object) -> str:
    """Cursor of a row in a newest-first list: its creation time and id."""
    return encode_cursor(kind, f"{row.created_at.isoformat()}|{row.id}")  # type: ignore[attr-defined]
