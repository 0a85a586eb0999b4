"""Safe schema evolution: `schema.graphql` may grow, never break the clients generated from it.

`tests/schema_baseline.graphql` is the contract clients were last promised. Any change graphql-core's
`find_breaking_changes` reports against it (a removed type, field, argument or enum value, a nullable result
made non-null... or the reverse for inputs, a new required argument or input field) fails the suite.
Accepting one is deliberate: copy schema.graphql over the baseline and add a line to the README's
"Changelog" section saying what changed, why, and what clients must do.

Retiring a field goes through `@deprecated(reason: "...")` first (strawberry: `deprecation_reason=`), kept
until clients have moved; removing it later is a breaking change like any other.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    BreakingChange,
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_ast_schema,
    build_schema,
    find_breaking_changes,
    parse,
)
from graphql.language import ObjectTypeDefinitionNode

REPO = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO / "schema.graphql"
BASELINE_FILE = REPO / "tests" / "schema_baseline.graphql"
README = REPO / "README.md"
DEFAULT_DEPRECATION_REASON = "No longer supported"  # what a bare `@deprecated` means in GraphQL
HOW_TO_ACCEPT = """\
If the break is intended, accept it deliberately:
  1. cp schema.graphql tests/schema_baseline.graphql
  2. add a line to the "Changelog" section of README.md: the date, what changed, why, and what clients must
     change (regenerate their types, stop sending X, read Y instead).
Otherwise keep the old shape: add instead of changing, deprecate with @deprecated(reason: "...") instead of
removing, make new arguments and input fields optional."""


def describe(changes: list[BreakingChange]) -> str:
    return "\n".join(f"  - {change.type.name}: {change.description}" for change in changes)


def breaking_changes(old: GraphQLSchema, new: GraphQLSchema) -> list[BreakingChange]:
    return list(find_breaking_changes(old, new))


def test_schema_file_has_no_breaking_change_against_the_baseline() -> None:
    assert BASELINE_FILE.exists(), f"{BASELINE_FILE} is missing: start it as a copy of schema.graphql"
    changes = breaking_changes(build_schema(BASELINE_FILE.read_text()), build_schema(SCHEMA_FILE.read_text()))
    assert not changes, (
        "schema.graphql breaks clients built against tests/schema_baseline.graphql:\n"
        + describe(changes)
        + "\n\n"
        + HOW_TO_ACCEPT
    )


def _without_field(sdl: str, type_name: str, field_name: str) -> GraphQLSchema:
    document = parse(sdl)
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == type_name:
            fields = tuple(f for f in definition.fields or () if f.name.value != field_name)
            assert len(fields) == len(definition.fields or ()) - 1, f"{type_name}.{field_name} not in the SDL"
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                description=definition.description,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=fields,
            )
        definitions.append(definition)
    return build_ast_schema(type(document)(definitions=tuple(definitions)))


def test_breaking_change_check_is_not_vacuous() -> None:
    """The same check catches the breaks it exists for, on the real baseline."""
    baseline_sdl = BASELINE_FILE.read_text()
    baseline = build_schema(baseline_sdl)

    removed = breaking_changes(baseline, _without_field(baseline_sdl, "Checkout", "grandTotal"))
    assert [c.type for c in removed] == [BreakingChangeType.FIELD_REMOVED]
    assert "Checkout.grandTotal was removed" in removed[0].description

    loosened = build_schema(baseline_sdl.replace("  grandTotal: Money!\n", "  grandTotal: Money\n", 1))
    assert [c.type for c in breaking_changes(baseline, loosened)] == [BreakingChangeType.FIELD_CHANGED_KIND]

    required = build_schema(baseline_sdl.replace("  checkout(\n", "  checkout(\n    locale: String!\n", 1))
    assert BreakingChangeType.REQUIRED_ARG_ADDED in {c.type for c in breaking_changes(baseline, required)}

    assert breaking_changes(baseline, baseline) == []


def test_readme_has_a_changelog_for_accepted_breaks() -> None:
    text = README.read_text()
    assert "\n## Changelog\n" in text, "README.md needs a '## Changelog' section (see tests/test_breaking_changes.py)"
    section = text.split("\n## Changelog\n", 1)[1].split("\n## ", 1)[0]
    assert any(line.startswith("- ") for line in section.splitlines()), "the README's changelog has no entries"


def deprecation_problems(schema: GraphQLSchema) -> list[str]:
    """Deprecations without a reason, and deprecations made only in prose (a description saying
    "deprecated" with no @deprecated, which generated clients never see)."""
    problems: list[str] = []

    def check(where: str, reason: str | None, description: str | None) -> None:
        if reason is not None and (not reason.strip() or reason.strip() == DEFAULT_DEPRECATION_REASON):
            problems.append(f"{where}: @deprecated needs a reason saying what to use instead")
        if reason is None and "deprecated" in (description or "").lower():
            problems.append(f"{where}: its description says deprecated, but it has no @deprecated")

    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                check(f"{name}.{field_name}", field.deprecation_reason, field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name}:)", arg.deprecation_reason, arg.description)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                check(f"{name}.{field_name}", input_field.deprecation_reason, input_field.description)
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                check(f"{name}.{value_name}", value.deprecation_reason, value.description)
    return problems


def test_every_deprecation_uses_deprecated_with_a_reason() -> None:
    problems = deprecation_problems(build_schema(SCHEMA_FILE.read_text()))
    assert not problems, "deprecations clients cannot act on:\n  " + "\n  ".join(problems)


def test_deprecation_check_is_not_vacuous() -> None:
    schema = build_schema(
        '''
        type Query {
          "Old name."
          total: Int @deprecated
          "Use `total` instead; deprecated."
          sum: Int
          amount: Int @deprecated(reason: "Use `value`.")
          value(currency: String @deprecated(reason: "")): Int
        }
        enum Kind { A B @deprecated }
        input Filter { status: String @deprecated(reason: "No longer supported") }
        '''
    )
    assert deprecation_problems(schema) == [
        "Filter.status: @deprecated needs a reason saying what to use instead",
        "Kind.B: @deprecated needs a reason saying what to use instead",
        "Query.total: @deprecated needs a reason saying what to use instead",
        "Query.sum: its description says deprecated, but it has no @deprecated",
        "Query.value(currency:): @deprecated needs a reason saying what to use instead",
    ]
