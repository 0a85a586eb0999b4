"""Column types that keep money exact and time zone-aware on every backend.

SQLite has no DECIMAL and no time zone support: SQLAlchemy's `Numeric` would store a float there and
`DateTime(timezone=True)` would hand back naive datetimes. These decorators make both backends behave
the same, so the domain only ever sees `Decimal` and aware UTC `datetime`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(18, 4) on PostgreSQL, canonical decimal text on SQLite; always `Decimal` in Python."""

    impl = sa.Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(40))
        return dialect.type_descriptor(sa.Numeric(18, 4, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal columns take Decimal, not {type(value).__name__}")
        if dialect.name == "sqlite":
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return canonical(value if isinstance(value, Decimal) else Decimal(value))


@lru_cache(maxsize=16384)  # equal Decimals share one canonical spelling, so the memo is exact
def canonical(value: Decimal) -> Decimal:
    """One spelling per number on every backend: no trailing zeros, no exponent (0.2500 -> 0.25, 1E+2 -> 100)."""
    if not value:
        return Decimal(0)  # -0 and 0E-4 alike: equal values must share the memo's one answer
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamp stored in UTC; always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Record(dict[str, Any]):
    """A JSON object whose keys read as attributes (missing keys read as None).

    Addresses are stored as one JSON document; wrapping them this way lets GraphQL types resolve their
    fields by plain attribute access without copying every field into a new object.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never pretend to have protocol attributes such as __await__
            raise AttributeError(name)
        return self.get(name)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        record = Record(value)  # one C-level copy; only nested objects and lists need more
        for key, item in value.items():
            if isinstance(item, dict | list):
                record[key] = _wrap(item)
        return record
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


class RecordJSON(TypeDecorator[Record]):
    """JSON column returning `Record` objects."""

    impl = sa.JSON
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else _wrap(value)
