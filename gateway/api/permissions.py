"""Who may call which root field, checked for the whole operation before anything executes.

Each root field declares its `Access` in its strawberry metadata (`metadata=access(...)`). The
`AccessControl` extension reads the operation's root fields and refuses the whole request, executing
nothing, when the caller lacks a token (UNAUTHENTICATED) or the right (FORBIDDEN) for any of them.
A root field without an `Access` declaration is refused to everyone: access fails closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

INTROSPECTION_FIELDS = frozenset({"__schema", "__type", "__typename"})


@dataclass(frozen=True, slots=True)
class Access:
    """`storefront`: storefront tokens may call it. `scope`: what a server token needs."""

    scope: str
    storefront: bool = False


def access(scope: str, *, storefront: bool = False) -> dict[str, Any]:
    return {"access": Access(scope=scope, storefront=storefront)}


@lru_cache(maxsize=512)
def field_access(schema: Any, type_name: str, field_name: str) -> Access | None:
    field = schema.get_field_for_type(field_name=field_name, type_name=type_name)
    return field.metadata.get("access") if field is not None else None


def auth_error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _root_fields(selection_set: SelectionSetNode, fragments: dict[str, Any]) -> Iterator[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _root_fields(fragment.selection_set, fragments)


class AccessControl(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        errors = self._check()
        if errors:
            self.execution_context.result = ExecutionResult(data=None, errors=errors)
        yield

    def _check(self) -> list[GraphQLError]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is None:
            return []
        operation: OperationDefinitionNode | None = get_operation_ast(document, ctx.operation_name)
        if operation is None:
            return []
        context = ctx.context
        if getattr(context, "token_rejected", False):
            return [auth_error("UNAUTHENTICATED", "the token is unknown or revoked")]
        principal = getattr(context, "principal", None)
        type_name = operation.operation.value.capitalize()
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if definition.__class__.__name__ == "FragmentDefinitionNode"
        }
        errors: list[GraphQLError] = []
        schema = ctx.schema
        for node in _root_fields(operation.selection_set, fragments):
            name = node.name.value
            if name in INTROSPECTION_FIELDS:
                continue
            if principal is None:
                return [
                    auth_error(
                        "UNAUTHENTICATED",
                        "send a token in the X-Auth-Token header (or Authorization: Bearer <token>)",
                    )
                ]
            rule = field_access(schema, type_name, name)
            if rule is None:
                errors.append(auth_error("FORBIDDEN", f"{name} is not available"))
            elif principal.is_server:
                if rule.scope not in principal.scopes:
                    errors.append(
                        auth_error("FORBIDDEN", f"{name} needs the {rule.scope} scope, which this token lacks")
                    )
            elif not rule.storefront:
                errors.append(auth_error("FORBIDDEN", f"{name} needs a server token"))
        return errors
