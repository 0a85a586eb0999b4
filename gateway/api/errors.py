"""Errors as clients see them.

- Refusals of a mutation's input: `UserError` entries in the payload's `errors`.
- Authentication, permission and malformed requests: top-level GraphQL errors with `extensions.code`. The list
  of codes with their HTTP status under each response media type is in gateway/api/graphql_http.py.
- Anything unexpected: masked to `INTERNAL_SERVER_ERROR` with a request id; the full error goes to the
  server log under the same id, never to the client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.api.enums import ERROR_CODES, described_enum
from gateway.domain.errors import DomainError, ErrorCode
from gateway.storage.health import is_unavailable

log = logging.getLogger("gateway.errors")
#: graphql-core's suggestions (" Did you mean 'SHIPPED'?", " Did you mean the enum value 'a', 'b', or 'c'?").
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")

ErrorCodeEnum = described_enum(
    ErrorCode,
    "ErrorCode",
    "Why a mutation refused its input. Stable: clients may switch on these values.",
    ERROR_CODES,
)


@strawberry.type(description="One problem with a mutation's input. Nothing was changed.")
class UserError:
    code: ErrorCodeEnum = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="Human-readable explanation, safe to show to a shopper.")
    field: list[str] | None = strawberry.field(
        description='Path to the offending input value below `input`, e.g. ["consignments", "1", '
        '"lineItems", "0", "quantity"]; null when the problem concerns the request as a whole.'
    )


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            code=problem.code,
            message=problem.message,
            field=list(problem.field) if problem.field is not None else None,
        )
        for problem in error.problems
    ]


def is_unexpected(error: GraphQLError) -> bool:
    """An exception escaped a resolver: a bug or an outage, never something to show the client."""
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, GraphQLError)


class ErrorShaping(SchemaExtension):
    """Mask unexpected errors and give every error an `extensions.code`."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        result.errors = shape_errors(result.errors, getattr(self.execution_context.context, "request_id", None))


def shape_errors(errors: list[GraphQLError], request_id: str | None, hide_schema: bool = False) -> list[GraphQLError]:
    """Every error with a code; with `hide_schema` (introspection off) no suggestion of the schema's names.

    graphql-core suggests near names in validation errors (fields, arguments, types, enum values, input
    fields) and in variable coercion errors alike; strawberry's `disable_field_suggestions` only covers
    fields, so the suggestions are cut from every message here, which sees every error of a response.
    """
    shaped = [_shape(error, request_id) for error in errors]
    if hide_schema:
        for error in shaped:
            error.message = _SUGGESTION.sub("", error.message)
    return shaped


def _shape(error: GraphQLError, request_id: str | None) -> GraphQLError:
    if is_unexpected(error) and is_unavailable(error.original_error):
        return GraphQLError(
            "The database is unavailable; retry shortly",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "SERVICE_UNAVAILABLE", "requestId": request_id},
        )
    if is_unexpected(error):
        return GraphQLError(
            "Internal server error",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
    extensions: dict[str, Any] = dict(error.extensions or {})
    if "code" not in extensions:
        if "Document contains more than" in error.message:
            extensions["code"] = "QUERY_TOO_LARGE"
        elif error.message.startswith("Batch requests"):
            extensions["code"] = "TOO_MANY_OPERATIONS"
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST"
        error.extensions = extensions
    return error


def log_errors(errors: list[GraphQLError], request_id: str | None) -> None:
    for error in errors:
        if is_unexpected(error) and is_unavailable(error.original_error):
            # An outage, not a bug: one line per error, no traceback (the client got SERVICE_UNAVAILABLE).
            log.warning(
                "database unavailable in %s (request %s): %s",
                ".".join(str(part) for part in error.path or ()),
                request_id,
                type(error.original_error).__name__,
            )
        elif is_unexpected(error):
            log.error(
                "unexpected error in %s (request %s)",
                ".".join(str(part) for part in error.path or ()),
                request_id,
                exc_info=error.original_error,
            )
