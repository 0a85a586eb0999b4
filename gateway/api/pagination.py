"""Relay-style connections: opaque cursors over ascending ids, page size capped at 100."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

MAX_PAGE_SIZE = 100
K = TypeVar("K")
C = TypeVar("C")


@strawberry.type(description="Where a page sits in a connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows this one.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to fetch the next page.")


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
    except ValueError:
        pass
    raise GraphQLError("`after` is not a cursor of this list", extensions={"code": "BAD_USER_INPUT"})


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(f"`first` must be between 0 and {MAX_PAGE_SIZE}", extensions={"code": "BAD_USER_INPUT"})


def build_connection(
    connection_type: type[C],
    edge_type: type,
    rows: list[object],
    first: int,
    cursor_for: Callable[[object], str],
) -> C:
    """A connection from `first + 1` fetched rows: the extra row only tells that another page exists."""
    page = rows[:first]
    edges = [edge_type(cursor=cursor_for(row), node=row) for row in page]
    return connection_type(  # type: ignore[call-arg]
        edges=edges,
        nodes=page,
        page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
    )


def time_cursor(kind: str, row: object) -> str:
    """Cursor of a row in a newest-first list: its creation time and id."""
    return encode_cursor(kind, f"{row.created_at.isoformat()}|{row.id}")  # type: ignore[attr-defined]
