"""Compiling an object plan into one Python function per selection level.

The generated function takes all source objects of the level and their (empty) result dicts, and for
each object reads or resolves every selected field in selection order and writes the completed
value: straight-line code per field, with the attribute names and response keys written into the
code and the resolvers, shapes and serializers bound as closure constants, so no per-field dispatch
is left. Coroutines of async resolvers are collected (with the dict and key to fill in) for
`run.drive`; lists and unusual values go through `run.complete`, which queues sub-objects for the
next level.

The code depends only on the selection's structure (keys, attribute names, kinds of fields and
shapes), so it is compiled once per distinct structure and process (`Money { value currencyCode }`
once for all documents), which keeps compiling a new document cheap.

Reading a column from a SQLAlchemy `Row` by attribute costs a failed class attribute lookup on every
access; the generated code reads `row._data[row._key_to_index[name]]` instead, which is what
`Row.__getattribute__` returns for a name that is not a `Row` attribute and does not start with `_`
(such names, names missing from the row and other objects get plain attribute access).
"""

from __future__ import annotations

import keyword
import types
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from inspect import isawaitable
from typing import Any

from graphql.pyutils import Undefined
from sqlalchemy.engine import Row

from gateway.api.fastpath.plan import (
    AMOUNT,
    ATTR,
    CALL,
    DEFAULT,
    LEAF,
    OBJECT,
    RELATION,
    TYPENAME,
    FieldPlan,
    ObjectPlan,
    Shape,
)
from gateway.storage.types import Record

#: Result types of plain resolvers already known not to be awaitable (graphql-core checks every result).
_PLAIN: set[type] = {type(None), list, tuple, str, int, bool, Decimal}
_NO_KEYS: dict[str, int] = {}


def maybe_awaitable(value: Any) -> bool:
    if isawaitable(value):
        return True
    kind = type(value)
    if kind is not types.GeneratorType:
        _PLAIN.add(kind)
    return False


async def awaited(awaitable: Any) -> Any:
    return await awaitable


def _row_readable(name: str) -> bool:
    return bool(name) and name[0] != "_" and not hasattr(Row, name)


def _attribute(name: str) -> str:
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__"):
        return f"src.{name}"
    return f"getattr(src, {name!r})"


def _read(attr: str) -> str:
    """`v = <the source's attribute>`: a Row's column by index, a Record's key, or plain attribute access."""
    if not _row_readable(attr):
        return f"v = {_attribute(attr)}"
    if hasattr(dict, attr):  # a Record (a dict) would answer its method: attribute access like graphql-core
        return f"i = k.get({attr!r})\nv = d[i] if i is not None else {_attribute(attr)}"
    by_index = f"i = k.get({attr!r})\n    v = d[i] if i is not None else {_attribute(attr)}"
    return f"if g is not None:\n    v = g({attr!r})\nelse:\n    {by_index}"


def _complete(target: str, shape: Shape, shape_name: str, child: str, leaf: str) -> str:
    """`target = <v completed>`, with the common cases inlined (as one line, or an if statement)."""
    fallback = f"complete({shape_name}, v, fl)"
    none_ok = "" if shape.non_null else " or v is None"
    if shape.kind == LEAF and shape.identity is str:
        # String and ID serialise an int (not a bool) as str(int).
        return f"{target} = v if type(v) is str{none_ok} else str(v) if type(v) is int else {fallback}"
    if shape.kind == LEAF and shape.identity is not None:
        return f"{target} = v if type(v) is {shape.identity.__name__}{none_ok} else {fallback}"
    if shape.kind == LEAF and shape.shortcut is None:
        # The type's own serializer (through `plan.leaf_completer`); null and undefined via `complete`.
        return f"{target} = {leaf}(v) if v is not None and v is not Undefined else {fallback}"
    if shape.kind == OBJECT:
        # A new dict for the object, queued with its source for the next level (see `run.complete`).
        return (
            f"if v is None or v is Undefined or isinstance(v, Exception):\n"
            f"    {target} = {fallback}\n"
            f"else:\n"
            f"    o = {{}}\n"
            f"    q = fl.get({child})\n"
            f"    if q is None:\n"
            f"        fl[{child}] = ([v], [o])\n"
            f"    else:\n"
            f"        q[0].append(v)\n"
            f"        q[1].append(o)\n"
            f"    {target} = o"
        )
    if shape.kind == LEAF and shape.shortcut == "int":
        return f"{target} = v if (type(v) is int and -2147483648 <= v <= 2147483647){none_ok} else {fallback}"
    if shape.kind == LEAF and shape.shortcut == "datetime":
        return f"{target} = v.isoformat() if type(v) is datetime else None if v is None else {fallback}"
    if shape.kind == LEAF and shape.shortcut == "decimal":
        if shape.non_null:
            return f"{target} = str(v) if type(v) is Decimal else {fallback}"
        return f"{target} = str(v) if type(v) is Decimal else None if v is None else {fallback}"
    return f"{target} = {fallback}"


class _Generator:
    """The source of one object plan's function and the constants it closes over."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"c{len(self.constants) - 1}"

    def emit(self, indent: str, code: str) -> None:
        self.lines.extend(indent + line for line in code.split("\n"))

    def field(self, indent: str, index: int, field: FieldPlan) -> None:
        key = repr(field.key)
        shape = self.constant(field.shape)
        child = self.constant(field.shape.object) if field.shape.object is not None else ""
        leaf = self.constant(field.shape.leaf) if field.shape.leaf is not None else ""
        if field.mode == TYPENAME:
            self.emit(indent, f"out[{key}] = {field.attr!r}")
            return
        if field.mode == ATTR:
            self.emit(indent, _read(field.attr))
            self.emit(indent, _complete(f"out[{key}]", field.shape, shape, child, leaf))
            return
        if field.mode == RELATION:
            # The key now; the rows once the level's loads are in (`run.Relations`).
            self.emit(indent, _read(field.attr))
            self.emit(indent, f"out[{key}] = None\nR[{index}].append((v, src, out))")  # the key's place in order
            return
        if field.mode == AMOUNT:
            money_plan = self.constant(field.shape.object)
            self.emit(indent, _read(field.attr))
            self.emit(indent, f"if v is None:\n    out[{key}] = complete({shape}, v, fl)\nelse:")
            self.emit(indent + "    ", "a = v\n" + _read(field.currency))
            self.emit(indent + "    ", f"out[{key}] = money_json(a, v, {money_plan})")
            return
        if field.mode == DEFAULT:
            resolver = self.constant(field.default_resolver)
            self.emit(indent, f"v = {resolver}(src, {field.attr!r})")
            self.emit(indent, _complete(f"out[{key}]", field.shape, shape, child, leaf))
            return
        assert field.mode == CALL
        arguments = ["src"] if field.pass_self else []
        if field.has_args:
            arguments.append(f"**K[{index}]")
        elif field.info_name is not None:
            arguments.append(f"{field.info_name}=info")
        arguments.extend(f"{name}=src" for name in field.source_names)
        self.emit(indent, f"v = {self.constant(field.func)}({', '.join(arguments)})")
        if field.sync:  # graphql-core awaits whatever a resolver returns that is awaitable
            self.emit(indent, "if type(v) not in PLAIN and maybe_awaitable(v):\n    coros.append(awaited(v))")
        else:
            self.emit(indent, "if type(v) is CO:\n    coros.append(v)")
        self.emit(indent, f"    out[{key}] = None\n    sinks.append((out, {key}, {shape}))\nelse:")
        self.emit(indent + "    ", _complete(f"out[{key}]", field.shape, shape, child, leaf))

    def source(self, plan: ObjectPlan) -> str:
        self.emit("", "def run(sources, outs, info, fl, coros, sinks, K, R):\n    for src, out in zip(sources, outs):")
        reading = (ATTR, RELATION, AMOUNT)
        if any(field.mode in reading and _row_readable(field.attr) for field in plan.fields):
            self.emit(
                "        ",
                "g = None\nif type(src) is Row:\n    k = src._key_to_index\n    d = src._data\nelse:\n    k = NO_KEYS\n"
                "    if type(src) is Record:\n        g = src.get",
            )
        for index, field in enumerate(plan.fields):
            self.field("        ", index, field)
        names = ", ".join(f"c{n}" for n in range(len(self.constants)))
        return f"def make({names}):\n" + "\n".join("    " + line for line in self.lines) + "\n    return run\n"


_HELPERS: dict[str, Any] = {
    "CO": types.CoroutineType,
    "PLAIN": _PLAIN,
    "NO_KEYS": _NO_KEYS,
    "maybe_awaitable": maybe_awaitable,
    "awaited": awaited,
    "Row": Row,
    "Decimal": Decimal,
    "Undefined": Undefined,
    "Record": Record,
    "datetime": datetime,
}


@lru_cache(maxsize=2048)
def _compiled(source: str, complete: Callable[..., Any], money_json: Callable[..., Any]) -> Callable[..., Any]:
    namespace = {**_HELPERS, "complete": complete, "money_json": money_json}
    exec(compile(source, "<fastpath>", "exec"), namespace)  # noqa: S102 - generated from checked names
    return namespace["make"]  # type: ignore[no-any-return]


def compile_object_plan(plan: ObjectPlan, complete: Callable[..., Any], money_json: Callable[..., Any]) -> None:
    """Set `plan.run(sources, outs, info, fl, coros, sinks, K, R)` for this plan and those below it; K
    holds each resolver's keyword arguments for the request (arguments and info), by field index; R a
    list per field index that RELATION fields append (key, source, result dict) to."""
    generator = _Generator()
    source = generator.source(plan)
    plan.run = _compiled(source, complete, money_json)(*generator.constants)
    plan.relations = tuple(index for index, field in enumerate(plan.fields) if field.mode == RELATION)
    for field in plan.fields:
        compile_shape(field.shape, complete, money_json)


def compile_shape(shape: Shape, complete: Callable[..., Any], money_json: Callable[..., Any]) -> None:
    if shape.object is not None and shape.object.run is None:
        compile_object_plan(shape.object, complete, money_json)
    if shape.item is not None:
        compile_shape(shape.item, complete, money_json)
