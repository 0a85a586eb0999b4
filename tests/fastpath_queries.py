"""Read documents for the fast-path differential test: every documented query, and random valid ones.

`documented_queries()` collects the benchmark's operations, the queries of README.md, docs/*.md and
tests/operations/*.graphql (each with the fragments it uses), and the read documents of the test flows.
`QueryGenerator` walks the schema from `Query` with a seeded random generator: random subsets of
fields, aliases, repeated fields whose selections merge, inline fragments, named fragments, `__typename`,
literal and variable arguments (valid and invalid ones), and now and then a directive, which the fast
path leaves to standard execution.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    parse,
    visit,
)
from graphql.language import Visitor

from tests import order_flow

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from benchlib import operations as bench_operations  # noqa: E402

# --- documented operations --------------------------------------------------------------------------


def _used_fragments(document: str, fragments: dict[str, str]) -> str:
    """`document` followed by the fragments it uses, transitively."""
    needed: list[str] = []
    pending = [document]
    while pending:
        text = pending.pop()
        for name in re.findall(r"\.\.\.\s*([_A-Za-z][_0-9A-Za-z]*)", text):
            if name in fragments and name not in needed:
                needed.append(name)
                pending.append(fragments[name])
    return document + "\n" + "\n".join(fragments[name] for name in needed)


def operation_files() -> dict[str, str]:
    """tests/operations/*.graphql queries, each completed with the fragments it uses."""
    folder = REPO / "tests" / "operations"
    if not folder.is_dir():
        return {}
    fragments: dict[str, str] = {}
    for path in folder.glob("*.graphql"):
        source = path.read_text()
        for definition in parse(source).definitions:
            if isinstance(definition, FragmentDefinitionNode) and definition.loc is not None:
                fragments[definition.name.value] = source[definition.loc.start : definition.loc.end]
    documents = {}
    for path in sorted(folder.glob("*.graphql")):
        source = path.read_text()
        if re.search(r"^\s*query\b", source, re.MULTILINE):
            documents[f"operations/{path.name}"] = _used_fragments(source, fragments)
    return documents


def readme_queries() -> dict[str, str]:
    """The query examples of README.md and of the docs it links to (docs/*.md): the ```graphql blocks that are
    queries, and the inline ones. README.md's are named "README ...", the others after their file."""
    documents = {}
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = path.read_text()
        label = "README" if path.name == "README.md" else f"docs/{path.name}"
        for index, block in enumerate(re.findall(r"```graphql\n(.*?)```", text, re.DOTALL)):
            if re.match(r"\s*(query\b|\{)", block):
                documents[f"{label} block {index}"] = block
        for index, inline in enumerate(re.findall(r"`(\{ (?:products|checkouts)\(.*?\} \})`", text)):
            documents[f"{label} inline {index}"] = inline
        for index, inline in enumerate(re.findall(r'"query": "(\{ .*? \})"', text)):
            documents[f"{label} curl {index}"] = inline
    return documents


def documented_queries() -> dict[str, str]:
    documents = {
        "bench CHECKOUT_PAGE": bench_operations.CHECKOUT_PAGE,
        "bench ORDER_HISTORY": bench_operations.ORDER_HISTORY,
        "order_flow CHECKOUT": order_flow.CHECKOUT,
        "order_flow ORDER": order_flow.ORDER,
        "order_flow ORDERS": order_flow.ORDERS,
    }
    documents.update(readme_queries())
    documents.update(operation_files())
    return documents


def variable_names(document: str) -> list[str]:
    return re.findall(r"\$([_A-Za-z][_0-9A-Za-z]*)\s*:", document)


# --- random queries -----------------------------------------------------------------------------------


@dataclass
class World:
    """Ids and cursors of the data set, to put in arguments."""

    checkout_ids: list[str]
    order_ids: list[str]
    order_cursors: list[str] = field(default_factory=list)
    checkout_cursors: list[str] = field(default_factory=list)
    product_cursors: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


@dataclass
class _Operation:
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[str] = field(default_factory=list)  # "$name: Type"
    fragments: list[str] = field(default_factory=list)
    aliases: int = 0
    names: int = 0
    #: Whether this document gets one `@skip`/`@include` (left to standard execution).
    directive: bool = False

    def name(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"


class QueryGenerator:
    """Random valid read documents over the schema, deterministic for a seed."""

    MAX_DEPTH = 5

    def __init__(self, schema: GraphQLSchema, world: World, seed: int = 20240611) -> None:
        self.schema = schema
        self.world = world
        self.rng = Random(seed)

    def document(self) -> tuple[str, dict[str, Any]]:
        operation = _Operation(directive=self.rng.random() < 0.06)
        query_type = self.schema.query_type
        assert query_type is not None
        roots = [name for name in query_type.fields]
        chosen = self.rng.sample(roots, k=self.rng.choice([1, 1, 1, 2, 3]))
        if self.rng.random() < 0.1:
            chosen.append("__typename")
        selections = [self.root_selection(query_type, name, operation) for name in chosen]
        header = f"query Q{self.rng.randrange(1000)}"
        if operation.definitions:
            header += "(" + ", ".join(operation.definitions) + ")"
        text = header + " {\n  " + "\n  ".join(selections) + "\n}\n" + "\n".join(operation.fragments)
        return text, operation.variables

    # root fields and their arguments

    def root_selection(self, query_type: GraphQLObjectType, name: str, operation: _Operation) -> str:
        if name == "__typename":
            return "__typename"
        field_def = query_type.fields[name]
        arguments = self.arguments(name, operation)
        alias = self.alias(operation)
        inner = self.selection_set(self.named(field_def.type), operation, depth=1)
        return f"{alias}{name}{arguments} {inner}" if inner else f"{alias}{name}{arguments}"

    def arguments(self, field_name: str, operation: _Operation) -> str:
        rng = self.rng
        values: dict[str, str] = {}
        if field_name == "checkout":
            choice = rng.choice([*self.world.checkout_ids, "no-such-checkout"])
            values["id"] = self.value(operation, "ID!", choice, f'"{choice}"')
        elif field_name == "order":
            choice = rng.choice([*self.world.order_ids, "999999", "not-a-number"])
            values["id"] = self.value(operation, "ID!", choice, f'"{choice}"')
        elif field_name in ("orders", "checkouts", "products"):
            if rng.random() < 0.8:
                first = rng.choice([0, 1, 2, 3, 5, 50, 100, 1, 2, 3, 50, 101, -1])
                values["first"] = self.value(operation, "Int", first, str(first))
            if rng.random() < 0.2:
                cursors = {
                    "orders": self.world.order_cursors,
                    "checkouts": self.world.checkout_cursors,
                    "products": self.world.product_cursors,
                }[field_name]
                after = rng.choice([*cursors, "bm9wZQ==", "garbage"]) if cursors else "garbage"
                values["after"] = self.value(operation, "String", after, f'"{after}"')
            if field_name == "orders" and rng.random() < 0.4:
                condition: dict[str, Any] = {}
                if rng.random() < 0.5:
                    condition["status"] = rng.choice(
                        ["AWAITING_FULFILLMENT", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED"]
                    )
                if rng.random() < 0.3 and self.world.emails:
                    condition["email"] = rng.choice(self.world.emails).upper()
                if rng.random() < 0.3:
                    condition["createdAfter"] = rng.choice(
                        ["2000-01-01T00:00:00Z", "2100-01-01T00:00:00", "2020-05-05"]
                    )
                literal = (
                    "{"
                    + ", ".join(
                        f"{key}: {value}" if key == "status" else f'{key}: "{value}"'
                        for key, value in condition.items()
                    )
                    + "}"
                )
                values["filter"] = self.value(operation, "OrderFilter", condition, literal)
        if not values:
            return ""
        return "(" + ", ".join(f"{key}: {value}" for key, value in values.items()) + ")"

    def value(self, operation: _Operation, type_: str, python: Any, literal: str) -> str:
        """A literal, or (half the time) a variable carrying the same value."""
        if self.rng.random() < 0.5:
            return literal
        name = operation.name("v")
        operation.definitions.append(f"${name}: {type_}")
        operation.variables[name] = python
        return f"${name}"

    # selections

    @staticmethod
    def named(type_: Any) -> Any:
        while isinstance(type_, GraphQLNonNull | GraphQLList):
            type_ = type_.of_type
        return type_

    def alias(self, operation: _Operation) -> str:
        if operation.aliases < 8 and self.rng.random() < 0.15:
            operation.aliases += 1
            return f"{operation.name('a')}: "
        return ""

    def selection_set(self, type_: Any, operation: _Operation, depth: int) -> str:
        if not isinstance(type_, GraphQLObjectType):
            return ""
        rng = self.rng
        fields = list(type_.fields.items())
        leaves = [(name, f) for name, f in fields if not isinstance(self.named(f.type), GraphQLObjectType)]
        objects = [(name, f) for name, f in fields if isinstance(self.named(f.type), GraphQLObjectType)]
        pool = leaves + (objects if depth < self.MAX_DEPTH else [])
        if not pool:
            pool = fields
        count = rng.randint(1, min(len(pool), 6))
        picked = rng.sample(pool, k=count)
        parts: list[str] = []
        for name, field_def in picked:
            parts.append(self.field(name, field_def, operation, depth))
            if rng.random() < 0.08:  # the same response key again: graphql-core merges the selections
                parts.append(self.field(name, field_def, operation, depth, alias=""))
        if rng.random() < 0.1:
            parts.insert(rng.randrange(len(parts) + 1), "__typename")
        if rng.random() < 0.12:  # an inline fragment, with or without type condition
            condition = f"on {type_.name} " if rng.random() < 0.6 else ""
            inner = self.selection_set(type_, operation, depth)
            parts.insert(rng.randrange(len(parts) + 1), f"... {condition}{inner}")
        if rng.random() < 0.12:  # a named fragment
            name = operation.name("F")
            inner = self.selection_set(type_, operation, depth)
            operation.fragments.append(f"fragment {name} on {type_.name} {inner}")
            parts.insert(rng.randrange(len(parts) + 1), f"...{name}")
        if operation.directive and rng.random() < 0.5:  # a directive: standard execution handles it
            operation.directive = False
            directive = rng.choice(["skip", "include"])
            parts.append(f"__typename @{directive}(if: {rng.choice(['true', 'false'])})")
        return "{ " + " ".join(parts) + " }"

    def field(self, name: str, field_def: Any, operation: _Operation, depth: int, alias: str | None = None) -> str:
        key = self.alias(operation) if alias is None else alias
        named = self.named(field_def.type)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            return f"{key}{name}"
        return f"{key}{name} {self.selection_set(named, operation, depth + 1)}"


def fragment_names(document: str) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            names.add(node.name.value)

    visit(parse(document), Spreads())
    return names
