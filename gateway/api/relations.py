"""Fields declared rather than written: related rows through a DataLoader, and amounts as `Money`.

Most object fields below the roots do one of two things: load the rows related to the parent through a
per-request DataLoader (`Order.products` is `order_products_by_order_id.load(order.id)`), or show one of
the parent's decimal columns as `Money` in the parent's currency. Declaring them says so in one place:

    @strawberry.field(description="...")
    @related("order_products_by_order_id", key="id")
    async def products(self, info: strawberry.Info) -> list[OrderProduct]: ...

    @strawberry.field(description="...")
    @amount("grand_total")
    def grand_total(self) -> Money: ...

The decorator writes the resolver standard execution runs (the decorated body is never called), and tags it
with what it does (`Relation`, `Amount`), so the compiled read path (`gateway.api.fastpath`) can do the same
for a whole level at once: one load per key instead of one resolver coroutine per object, and each amount
formatted once per distinct value.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.api.money import money

RELATION = "__gateway_relation__"
AMOUNT = "__gateway_amount__"


@dataclass(frozen=True, slots=True)
class Relation:
    """`loader`: the attribute of `Loaders`; `key`: the parent's attribute it is loaded by (None: no rows);
    `many`: the loader answers a list per key; `keep(row, parent)`: which of the listed rows are the parent's."""

    loader: str
    key: str
    many: bool
    keep: Callable[[Any, Any], bool] | None = None


@dataclass(frozen=True, slots=True)
class Amount:
    """The parent's decimal column `column`, as Money in the parent's `currency` column."""

    column: str
    currency: str = "currency_code"


def related(
    loader: str, *, key: str = "id", many: bool = True, keep: Callable[[Any, Any], bool] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The resolver loading the parent's related rows: a list (`many`, filtered by `keep`) or one row or None."""
    relation = Relation(loader, key, many, keep)

    def decorate(declared: Callable[..., Any]) -> Callable[..., Any]:
        if many:

            async def resolve(self: Any, info: Any) -> Any:
                value = getattr(self, key)
                if value is None:
                    return []
                rows = await getattr(info.context.loaders, loader).load(value)
                return rows if keep is None else [row for row in rows if keep(row, self)]

        else:

            async def resolve(self: Any, info: Any) -> Any:
                value = getattr(self, key)
                if value is None:
                    return None
                return await getattr(info.context.loaders, loader).load(value)

        functools.update_wrapper(resolve, declared)  # name, annotations and signature for strawberry
        setattr(resolve, RELATION, relation)
        return resolve

    return decorate


def amount(column: str, *, currency: str = "currency_code") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The resolver showing the parent's `column` as Money; null when the column is null."""
    declaration = Amount(column, currency)

    def decorate(declared: Callable[..., Any]) -> Callable[..., Any]:
        def resolve(self: Any) -> Any:
            value = getattr(self, column)
            return None if value is None else money(value, getattr(self, currency))

        functools.update_wrapper(resolve, declared)
        setattr(resolve, AMOUNT, declaration)
        return resolve

    return decorate
