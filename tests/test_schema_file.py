"""`schema.graphql` is the contract clients generate code from: it must equal the running schema, and every
part of the schema a client sees must say what it does."""

from __future__ import annotations

import difflib
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    specified_directives,
    specified_scalar_types,
)

from gateway.api.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "run `scripts/export-schema` or `gateway export-schema` to rewrite it, and commit the result"


def test_schema_file_matches_running_schema() -> None:
    assert SCHEMA_FILE.exists(), f"{SCHEMA_FILE.name} is missing: {REGENERATE}"
    expected = str(schema) + "\n"
    actual = SCHEMA_FILE.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                actual.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile="schema.graphql",
                tofile="running schema",
            )
        )
        raise AssertionError(f"schema.graphql is out of date: {REGENERATE}.\n{diff}")


def _blank(description: str | None) -> bool:
    return description is None or not description.strip()


def undocumented() -> list[str]:
    """Every type, field, argument, input field, enum value and directive without a description."""
    graphql_schema = schema._schema
    builtin_scalars = set(specified_scalar_types)
    missing: list[str] = []
    for name, graphql_type in sorted(graphql_schema.type_map.items()):
        if name.startswith("__") or name in builtin_scalars:
            continue
        if _blank(graphql_type.description):
            missing.append(f"type {name}")
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                if _blank(field.description):
                    missing.append(f"field {name}.{field_name}")
                for arg_name, arg in field.args.items():
                    if _blank(arg.description):
                        missing.append(f"argument {name}.{field_name}({arg_name}:)")
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                if _blank(input_field.description):
                    missing.append(f"input field {name}.{field_name}")
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                if _blank(value.description):
                    missing.append(f"enum value {name}.{value_name}")
        elif not isinstance(graphql_type, GraphQLScalarType | GraphQLUnionType):
            raise AssertionError(f"unexpected kind of type {name}: {type(graphql_type).__name__}")
    builtin_directives = {directive.name for directive in specified_directives}
    for directive in graphql_schema.directives:
        if directive.name in builtin_directives:
            continue
        if _blank(directive.description):
            missing.append(f"directive @{directive.name}")
        for arg_name, arg in directive.args.items():
            if _blank(arg.description):
                missing.append(f"argument @{directive.name}({arg_name}:)")
    return missing


def test_every_part_of_the_schema_is_described() -> None:
    # Not vacuous: the walk sees the contract's types.
    type_map = schema._schema.type_map
    for name in ("Checkout", "Consignment", "AddressInput", "ErrorCode", "Decimal", "DateTime", "Mutation"):
        assert name in type_map, name
    missing = undocumented()
    assert not missing, "schema elements without a description:\n  " + "\n  ".join(missing)
