"""Executing a plan: level by level, into plain dicts, without graphql-core's per-field machinery.

For every object of one level, every field's value is read or its resolver called; the coroutines of
the level are then driven together (`drive`), so their DataLoader loads land in one batch per loader,
exactly as when graphql-core gathers them; finally each value is completed into the result dicts
and the objects of the next level are collected. Keys are written in selection order, so the result
serialises byte for byte like graphql-core's.

Anything unusual raises `Bail` (or the resolver's own exception): the caller then discards the fast
result and runs standard execution, which produces the errors, nulls and paths clients expect.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from decimal import Decimal
from functools import lru_cache
from typing import Any

from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Undefined
from strawberry.types.arguments import convert_arguments

from gateway.api.fastpath.compile import compile_object_plan
from gateway.api.fastpath.plan import CALL, LEAF, LIST, OBJECT, Bail, FieldPlan, ObjectPlan, OperationPlan, Shape
from gateway.api.money import money
from gateway.api.relations import Relation


class FastInfo:
    """What resolvers get as `info` on the fast path: the context (all our resolvers use), the root
    value and the coerced variables. Anything else raises AttributeError, and standard execution
    takes over."""

    __slots__ = ("context", "root_value", "variable_values")

    def __init__(self, context: Any, root_value: Any, variable_values: dict[str, Any]) -> None:
        self.context = context
        self.root_value = root_value
        self.variable_values = variable_values


# --- driving a level's coroutines -----------------------------------------------------------------------


@types.coroutine
def _adopt(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """Continue, inside a task, a coroutine `drive` started and left suspended on `waiting_on`."""
    while True:
        if waiting_on is not None:
            waiting_on._asyncio_future_blocking = True  # what the task checks; `drive` had reset it
        try:
            sent = yield waiting_on
        except BaseException as error:  # noqa: BLE001 - forwarded to the coroutine, as a task would
            try:
                waiting_on = coro.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                waiting_on = coro.send(sent)
            except StopIteration as stop:
                return stop.value


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def drive(coros: list[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run `coros` concurrently and return their results in order, like `asyncio.gather`, but stepping
    them in this task instead of creating a task per coroutine.

    Every coroutine is started before any is waited for; then the futures they wait on are awaited
    together and the coroutines resumed, round after round. If one raises, the others still run to
    completion (their connections are released normally) and `Bail` is raised. If this task is
    cancelled, the suspended coroutines are handed to tasks and cancelled with it.
    """
    results: list[Any] = [None] * len(coros)
    failed: BaseException | None = None
    todo = list(range(len(coros)))
    loop = asyncio.get_running_loop()
    while todo:
        blocked: list[tuple[int, Any]] = []
        futures: set[Any] = set()
        bare = False
        for index in todo:
            coro = coros[index]
            try:
                waiting_on = coro.send(None)
            except StopIteration as stop:
                results[index] = stop.value
                continue
            except (Exception, asyncio.CancelledError) as error:  # reported once all coroutines are done
                failed = failed or error
                continue
            if waiting_on is None:  # a bare `yield` (asyncio.sleep(0)): resume on the next loop turn
                bare = True
            elif getattr(waiting_on, "_asyncio_future_blocking", None) is not None:
                # As a task does, at once: another coroutine may await the same future next.
                waiting_on._asyncio_future_blocking = False
                futures.add(waiting_on)
            else:  # not something asyncio can wait for (a task would throw RuntimeError into it)
                failed = failed or RuntimeError(f"bad yield: {waiting_on!r}")
                coro.close()
                continue
            blocked.append((index, waiting_on))
        if not blocked:
            break
        try:
            await _all_done(loop, futures, bare)
        except BaseException:
            # Cancelled (or worse): hand each suspended coroutine to a task and cancel that task once
            # it waits on the coroutine's future, so the coroutine sees CancelledError and cleans up.
            for index, waiting_on in blocked:
                task = asyncio.ensure_future(_adopt(coros[index], waiting_on))
                task.add_done_callback(_retrieve)
                loop.call_soon(task.cancel)
            raise
        todo = [index for index, _ in blocked]
    if failed is not None:
        raise Bail from failed
    return results


async def _all_done(loop: asyncio.AbstractEventLoop, futures: set[Any], bare: bool) -> None:
    pending = [future for future in futures if not future.done()]
    if not pending:
        if bare:
            await asyncio.sleep(0)
        return
    waiter = loop.create_future()
    remaining = len(pending)

    def one_done(_: Any) -> None:
        nonlocal remaining
        remaining -= 1
        if remaining == 0 and not waiter.done():
            waiter.set_result(None)

    for future in pending:
        future.add_done_callback(one_done)
    try:
        await waiter
    finally:
        if remaining:
            for future in pending:
                future.remove_done_callback(one_done)


# --- completing values ----------------------------------------------------------------------------------

Level = dict[ObjectPlan, tuple[list[Any], list[dict[str, Any]]]]


def complete(shape: Shape, value: Any, following: Level) -> Any:
    """graphql-core's `complete_value` for one value: leaves serialised, objects queued for the next level."""
    if value is None or value is Undefined:
        if shape.non_null:
            raise Bail
        return None
    kind = shape.kind
    if kind == LEAF:
        return shape.leaf(value)  # type: ignore[misc]
    if kind == OBJECT:
        if isinstance(value, Exception):
            raise Bail
        out: dict[str, Any] = {}
        entry = following.get(shape.object)  # type: ignore[arg-type]
        if entry is None:
            following[shape.object] = ([value], [out])  # type: ignore[index]
        else:
            entry[0].append(value)
            entry[1].append(out)
        return out
    if kind == LIST:
        if type(value) is not list and type(value) is not tuple:
            raise Bail  # other iterables: let graphql-core decide
        item: Shape = shape.item  # type: ignore[assignment]
        if item.kind == OBJECT and item.non_null:
            sources: list[Any]
            outs: list[dict[str, Any]]
            entry = following.get(item.object)  # type: ignore[arg-type]
            if entry is None:
                sources, outs = following[item.object] = ([], [])  # type: ignore[index]
            else:
                sources, outs = entry
            completed = []
            for element in value:
                if element is None or element is Undefined or isinstance(element, Exception):
                    raise Bail
                out = {}
                sources.append(element)
                outs.append(out)
                completed.append(out)
            return completed
        identity = item.identity
        return [element if type(element) is identity else complete(item, element, following) for element in value]
    raise Bail  # pragma: no cover


# --- the executor ---------------------------------------------------------------------------------------


class _Request:
    """Per request: the info object, and the converted arguments of each resolver, computed once."""

    def __init__(self, schema: Any, context: Any, root_value: Any, variables: Any) -> None:
        self.schema = schema
        self.variables = variables
        self.info = FastInfo(context, root_value, getattr(variables, "coerced", variables))

    def kwargs(self, plan: ObjectPlan) -> list[dict[str, Any] | None] | None:
        """Keyword arguments (converted arguments and info) by field index, for resolvers taking arguments."""
        if not any(field.has_args and field.mode == CALL for field in plan.fields):
            return None
        table: list[dict[str, Any] | None] = []
        for field in plan.fields:
            kwargs: dict[str, Any] | None = None
            if field.mode == CALL and field.has_args:
                kwargs = self.arguments(field)
                if field.info_name is not None:
                    kwargs[field.info_name] = self.info
            table.append(kwargs)
        return table

    def arguments(self, field: FieldPlan) -> dict[str, Any]:
        """graphql-core's argument coercion, then strawberry's conversion to Python values."""
        raw = get_argument_values(field.field_def, field.node, self.variables)  # type: ignore[arg-type]
        assert field.strawberry_field is not None
        return convert_arguments(
            raw,
            field.strawberry_field.arguments,
            scalar_registry=self.schema.schema_converter.scalar_registry,
            config=self.schema.config,
            info=self.info,  # type: ignore[arg-type]
        )


@lru_cache(maxsize=16384)
def money_json(value: Decimal, currency_code: str, plan: ObjectPlan) -> dict[str, Any]:
    """An `@amount` field's completed Money object, once per distinct amount, currency and selection (equal
    decimals round to the same minor-unit amount, so the cache is exact). The dicts are shared: nothing
    changes a completed leaf object."""
    out: dict[str, Any] = {}
    plan.run([money(value, currency_code)], [out], None, {}, [], [], None, None)  # type: ignore[misc]
    return out


#: The RELATION fields of one level: per field, its (key, source, result dict) entries and each one's load.
Pending = list[tuple[FieldPlan, list[tuple[Any, Any, dict[str, Any]]], list[Any]]]


def _request_loads(level_relations: list[tuple[ObjectPlan, list[Any]]], loaders: Any) -> Pending:
    """One DataLoader `load` per entry (the loader's cache answers repeated keys): they join the batch the
    level's resolvers load into, one query per loader."""
    pending: Pending = []
    for object_plan, lists in level_relations:
        for index in object_plan.relations:
            field = object_plan.fields[index]
            relation: Relation = field.relation  # type: ignore[assignment]
            entries = lists[index]
            futures = getattr(loaders, relation.loader).load_all([key for key, _, _ in entries])
            pending.append((field, entries, futures))
    return pending


async def _loaded(pending: Pending) -> None:
    """Wait for every load; a failed one raises once all are in (each failure retrieved, none left unheard)."""
    failed: BaseException | None = None
    for _, _, futures in pending:
        for future in futures:
            if future is not None:
                try:
                    await future
                except Exception as error:  # noqa: BLE001 - raised below, after the others
                    failed = failed or error
    if failed is not None:
        raise failed


def _complete_relations(pending: Pending, following: Level) -> None:
    for field, entries, futures in pending:
        relation: Relation = field.relation  # type: ignore[assignment]
        keep, shape, key = relation.keep, field.shape, field.key
        for (_, source, out), future in zip(entries, futures, strict=True):
            if future is None:
                value = [] if relation.many else None
            else:
                value = future.result()
                if keep is not None:
                    value = [row for row in value if keep(row, source)]
            out[key] = complete(shape, value, following)


def compile_plan(plan: OperationPlan) -> OperationPlan:
    compile_object_plan(plan.root, complete, money_json)
    return plan


async def execute_plan(
    schema: Any, plan: OperationPlan, context: Any, root_value: Any, raw_variables: dict[str, Any] | None
) -> dict[str, Any]:
    """The `data` of the operation; raises (`Bail` or anything a resolver raised) when standard
    execution must produce the response instead."""
    variables = get_variable_values(schema._schema, plan.variable_definitions, raw_variables or {})
    if isinstance(variables, list):
        raise Bail  # variable errors: graphql-core reports them
    request = _Request(schema, context, root_value, variables)
    info = request.info
    data: dict[str, Any] = {}
    level: Level = {plan.root: ([root_value], [data])}
    while level:
        following: Level = {}
        coros: list[Coroutine[Any, Any, Any]] = []
        sinks: list[tuple[dict[str, Any], str, Shape]] = []
        level_relations: list[tuple[ObjectPlan, list[Any]]] = []
        try:
            for object_plan, (sources, outs) in level.items():
                lists: list[Any] | None = None
                if object_plan.relations:
                    lists = [[] if index in object_plan.relations else None for index in range(len(object_plan.fields))]
                    level_relations.append((object_plan, lists))
                object_plan.run(sources, outs, info, following, coros, sinks, request.kwargs(object_plan), lists)  # type: ignore[misc]
        except BaseException:
            for coro in coros:
                coro.close()
            raise
        pending = _request_loads(level_relations, context.loaders) if level_relations else None
        if pending:
            coros.append(_loaded(pending))
        if coros:
            values = await drive(coros)
            for (out, key, shape), value in zip(sinks, values, strict=False):
                out[key] = value if type(value) is shape.identity else complete(shape, value, following)
        if pending:
            _complete_relations(pending, following)
        level = {plan: entry for plan, entry in following.items() if entry[0]}
    return data
