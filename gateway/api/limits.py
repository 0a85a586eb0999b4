"""Query limits: depth, aliases and cost, checked once per distinct document during validation.

Cost: every field costs 1; a field with a `first` argument (a connection) multiplies what is selected
below it by `first` (its literal value, the default when left out, or the page-size maximum when it
comes from a variable). Nested plain lists are bounded by the input limits and count once. The defaults
let every documented operation through: order history with `first: 100` and everything nested costs
about 10,200; the limit is 20,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from gateway.api.pagination import MAX_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 20_000
    max_tokens: int = 5_000


def limit_error(code: str, message: str, node: Any) -> GraphQLError:
    return GraphQLError(message, nodes=[node], extensions={"code": code})


def operation_limits_rule(limits: QueryLimits) -> type[ValidationRule]:
    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context: ValidationContext = self.context
            fragments = {
                definition.name.value: definition
                for definition in context.document.definitions
                if isinstance(definition, FragmentDefinitionNode)
            }
            root = context.schema.get_root_type(node.operation)
            if root is None:
                return
            walker = _Walker(context, fragments)
            cost = walker.cost(node.selection_set, root, depth=1)
            name = node.name.value if node.name else "anonymous operation"
            if walker.max_depth > limits.max_depth:
                context.report_error(
                    limit_error(
                        "QUERY_TOO_DEEP",
                        f"{name} is {walker.max_depth} levels deep; the limit is {limits.max_depth}",
                        node,
                    )
                )
            if walker.aliases > limits.max_aliases:
                context.report_error(
                    limit_error(
                        "TOO_MANY_ALIASES",
                        f"{name} uses {walker.aliases} aliases; the limit is {limits.max_aliases}",
                        node,
                    )
                )
            if cost > limits.max_cost:
                context.report_error(
                    limit_error("QUERY_TOO_COMPLEX", f"{name} costs {cost}; the limit is {limits.max_cost}", node)
                )

    return OperationLimits


class _Walker:
    def __init__(self, context: ValidationContext, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.context = context
        self.fragments = fragments
        self.max_depth = 0
        self.aliases = 0

    def cost(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        depth: int,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        self.max_depth = max(self.max_depth, depth)
        total = 0
        fields = getattr(parent, "fields", {})
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    self.aliases += 1
                definition = fields.get(selection.name.value)
                total += 1
                if definition is None or selection.selection_set is None:
                    continue
                below = self.cost(selection.selection_set, get_named_type(definition.type), depth + 1, seen)
                total += self._page_size(selection, definition) * below
            elif isinstance(selection, InlineFragmentNode):
                target = self._type(selection.type_condition.name.value) if selection.type_condition else parent
                total += self.cost(selection.selection_set, target or parent, depth, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # unknown or cyclic: other rules report it
                    continue
                target = self._type(fragment.type_condition.name.value) or parent
                total += self.cost(fragment.selection_set, target, depth, seen | {name})
        return total

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.context.schema.get_type(name)

    @staticmethod
    def _page_size(node: FieldNode, definition: Any) -> int:
        if "first" not in definition.args:
            return 1
        for argument in node.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, IntValueNode):
                    return max(1, int(argument.value.value))
                return MAX_PAGE_SIZE  # a variable: assume the largest page
        default = definition.args["first"].default_value
        return int(default) if isinstance(default, int) else MAX_PAGE_SIZE


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


class RejectNulCharacters(SchemaExtension):
    """U+0000 in any string argument or variable is refused before anything runs.

    PostgreSQL cannot store NUL in text and SQLite would store it silently; neither belongs in an address,
    a name or an id.
    """

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        query = ctx.query or ""
        if "\\u0000" in query or "\x00" in query or _contains_nul(ctx.variables or {}):
            ctx.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "strings may not contain NUL (U+0000) characters", extensions={"code": "BAD_USER_INPUT"}
                    )
                ],
            )
        yield
