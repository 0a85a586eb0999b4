"""The schema extension that answers validated queries from a compiled plan.

It sits after `AccessControl` in the extension list, so its `on_execute` runs after access was checked
and only when that left no result; parsing, the parser and validation caches, the query limits,
`ErrorShaping` and `OperationObserver` all stay as they are. When the fast path succeeds it sets
`execution_context.result`, and strawberry skips graphql-core's execution; when it cannot answer
(not a query, something the planner does not cover, any error, a null in a non-null position), it
leaves the result unset and graphql-core executes the operation as usual, producing the standard
response, errors included.

The hook is asynchronous: with the fast path on, the schema serves `execute` (what the ASGI view
uses), not `execute_sync`.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from graphql import DocumentNode, ExecutionResult
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from gateway.api.analysis import Analyses
from gateway.api.fastpath.admitted import Admitted, ExpressEntries
from gateway.api.fastpath.plan import OperationPlan, build_plan
from gateway.api.fastpath.run import compile_plan, execute_plan
from gateway.observability import safe_operation_name

log = logging.getLogger("gateway.fastpath")


def schema_supported(schema: Any) -> bool:
    """False when graphql-core's execution would do something per field the fast path cannot: field
    middleware (an extension implementing `resolve`), schema directives, exception handlers, incremental
    delivery, a custom execution context."""
    if schema.directives or getattr(schema.config, "enable_experimental_incremental_execution", False):
        return False
    if getattr(schema.schema_converter, "_exception_handler_specs", None):
        return False
    execution_context_class = getattr(schema, "execution_context_class", None)
    if execution_context_class is not None and execution_context_class.__module__ != "strawberry.schema.schema":
        return False
    for extension in schema.extensions:
        instance = extension if isinstance(extension, SchemaExtension) else extension()
        if instance._implements_resolve():
            return False
    return True


class PlanCache:
    """Compiled plans (or None: not covered) by (document text, operation name), least recently used
    dropped.

    A document is planned and compiled the `min_uses`-th time it is executed (by default the second):
    clients repeat their documents, and a stream of one-off documents then costs no compiling.
    """

    def __init__(self, maxsize: int = 512, min_uses: int = 2) -> None:
        self.maxsize = maxsize
        self.min_uses = min_uses
        self._plans: OrderedDict[tuple[str, str | None], OperationPlan | None] = OrderedDict()
        self._seen: OrderedDict[tuple[str, str | None], int] = OrderedDict()
        self._supported: bool | None = None
        #: Fast executions, and fallbacks to standard execution after a fast attempt (for tests and metrics).
        self.answered = 0
        self.fell_back = 0
        #: Documents the express lane may answer (`gateway.api.express`), admitted by `FastExecution`.
        self.express = ExpressEntries(maxsize)

    def get(self, schema: Any, query: str, operation_name: str | None, document: DocumentNode) -> OperationPlan | None:
        if self._supported is None:
            self._supported = schema_supported(schema)
        if not self._supported:
            return None
        key = (query, operation_name)
        plans = self._plans
        if key in plans:
            plans.move_to_end(key)
            return plans[key]
        uses = self._seen.pop(key, 0) + 1
        if uses < self.min_uses:
            self._seen[key] = uses
            if len(self._seen) > self.maxsize:
                self._seen.popitem(last=False)
            return None
        plan = build_plan(schema, document, operation_name)
        if plan is not None:
            compile_plan(plan)
        plans[key] = plan
        if len(plans) > self.maxsize:
            plans.popitem(last=False)
        return plan


class FastExecution(SchemaExtension):
    def __init__(self, *, plans: PlanCache, analyses: Analyses | None = None) -> None:
        super().__init__()
        self.plans = plans
        self.analyses = analyses

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.result is None and ctx.query is not None and ctx.graphql_document is not None:
            plan = self.plans.get(ctx.schema, ctx.query, ctx.operation_name, ctx.graphql_document)
            if plan is not None:
                try:
                    data = await execute_plan(ctx.schema, plan, ctx.context, ctx.root_value, ctx.variables)
                except Exception:  # noqa: BLE001 - standard execution reports it properly
                    self.plans.fell_back += 1
                    log.debug("fast path declined %s; standard execution takes over", ctx.operation_name, exc_info=True)
                else:
                    self.plans.answered += 1
                    ctx.result = ExecutionResult(data=data, errors=None)
                    self._admit(plan)
        yield

    def _admit(self, plan: OperationPlan) -> None:
        """A document answered here parsed, validated and passed every check: the express lane may take the
        same (query, operationName) from now on, checking per request only what depends on the request."""
        ctx = self.execution_context
        document = ctx.graphql_document
        if self.analyses is None or document is None or ctx.query is None:
            return
        operation = get_operation_ast(document, ctx.operation_name)
        if operation is None:
            return
        analysis = self.analyses.operation(ctx.schema._schema, document, operation)
        if analysis.exceeded is None:
            entry = Admitted(plan, analysis.needs, analysis.cost, safe_operation_name(operation))
            self.plans.express.admit(ctx.query, ctx._provided_operation_name, entry)


def fast_execution(maxsize: int = 512, min_uses: int = 2, analyses: Analyses | None = None) -> Any:
    """An extension factory for one schema, with its own plan cache; with `analyses` (the schema's), the
    documents it answers are admitted to the express lane."""
    plans = PlanCache(maxsize, min_uses)

    def factory() -> FastExecution:
        return FastExecution(plans=plans, analyses=analyses)

    factory.plans = plans  # type: ignore[attr-defined]
    return factory
