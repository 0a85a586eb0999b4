"""Query limits: depth, aliases and cost, checked once per distinct document during validation, and the
cost budget of a whole (batched) request.

Cost: every field costs 1; a field with a `first` argument (a connection) multiplies what is selected
below it by `first` (its literal value, the default when left out, or the page-size maximum when it
comes from a variable). Nested plain lists are bounded by the input limits and count once. The defaults
let every documented operation through: order history with `first: 100` and everything nested costs
about 10,200; the limit is 20,000. The numbers come from the one linear walk of `gateway.api.analysis`,
which stops at the first limit crossed (the message then says "at least").

A JSON-array batch shares one budget: `RequestCostBudget` admits the batch's operations in order while
their summed cost stays within the limit and refuses each later one with QUERY_TOO_COMPLEX.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from graphql.utilities import get_operation_ast
from graphql.validation import OverlappingFieldsCanBeMergedRule
from strawberry.extensions import SchemaExtension

from gateway.api.analysis import Analyses, QueryLimits

__all__ = [
    "BudgetedValidation",
    "QueryLimits",
    "RejectNulCharacters",
    "RequestCostBudget",
    "operation_limits_rule",
]


def limit_error(code: str, message: str, node: Any) -> GraphQLError:
    return GraphQLError(message, nodes=[node], extensions={"code": code})


def operation_limits_rule(analyses: Analyses) -> type[ValidationRule]:
    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            context: ValidationContext = self.context
            analysis = analyses.operation(context.schema, context.document, node)
            if analysis.exceeded is not None:
                context.report_error(limit_error(analysis.exceeded.code, analysis.exceeded.message, node))

    return OperationLimits


#: OverlappingFieldsCanBeMerged work allowed per document, in graphql-core's budget units. Its default
#: (500,000) is about a second of CPU on one document of many same-named fields or fragments; 100,000 is
#: a tenth of that. Realistic documents use none or a few thousand (30 fragments selecting the same 8
#: fields at one level use 11,205; 60 of them 44,910); past the budget validation stops with
#: "Validation aborted." (GRAPHQL_VALIDATION_FAILED).
OVERLAP_BUDGET = 100_000


class BudgetedOverlappingFields(OverlappingFieldsCanBeMergedRule):
    """graphql-core's rule with a smaller complexity budget: the rule compares same-named fields pairwise
    (quadratic by nature), so its work is bounded by a budget rather than by the document's size."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.rule_context.remaining_complexity_budget = min(
            OVERLAP_BUDGET, self.rule_context.remaining_complexity_budget
        )


class BudgetedValidation(SchemaExtension):
    """Validates with `BudgetedOverlappingFields` in place of graphql-core's fixed-budget rule."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        ctx.validation_rules = tuple(
            BudgetedOverlappingFields if rule is OverlappingFieldsCanBeMergedRule else rule
            for rule in ctx.validation_rules
        )
        yield


class RequestCostBudget(SchemaExtension):
    """The cost limit holds for the whole HTTP request: the operations of a batch (which share one context)
    draw on one budget, in order; an operation that would take the sum over the limit is refused with
    QUERY_TOO_COMPLEX and executes nothing. Costs come from the cached analysis: nothing is walked again."""

    def __init__(self, *, analyses: Analyses) -> None:
        super().__init__()
        self.analyses = analyses

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        context = ctx.context
        document = ctx.graphql_document
        if ctx.result is None and document is not None and hasattr(context, "cost_spent"):
            operation = get_operation_ast(document, ctx.operation_name)
            if operation is not None:
                cost = self.analyses.operation(ctx.schema._schema, document, operation).cost
                total = context.cost_spent + cost
                limit = self.analyses.limits.max_cost
                if total > limit:
                    message = (
                        f"this request's operations cost {total} together; the limit is {limit} per request "
                        f"(this operation: {cost}, the ones before it: {context.cost_spent})"
                    )
                    error = GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})
                    ctx.result = ExecutionResult(data=None, errors=[error])
                else:
                    context.cost_spent = total
        yield


def contains_nul(value: Any) -> bool:
    """Whether any string in a JSON value holds U+0000; iterative, so deeply nested variables cannot
    exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class RejectNulCharacters(SchemaExtension):
    """U+0000 in any string argument or variable is refused before anything runs.

    PostgreSQL cannot store NUL in text and SQLite would store it silently; neither belongs in an address,
    a name or an id.
    """

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        query = ctx.query or ""
        if "\\u0000" in query or "\x00" in query or contains_nul(ctx.variables or {}):
            ctx.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "strings may not contain NUL (U+0000) characters", extensions={"code": "BAD_USER_INPUT"}
                    )
                ],
            )
        yield
