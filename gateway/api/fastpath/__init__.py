"""A compiled execution path for validated read documents.

Per distinct (document, operation name) a plan is built once (`plan.py`); each request then resolves
the plan level by level, driving the level's resolver coroutines together so DataLoader loads batch
exactly as under graphql-core, and writes plain dicts (`run.py`). The `FastExecution` extension
(`extension.py`) plugs it into strawberry's execution after access control; anything the plan does not
cover, and any request that errs, goes through graphql-core's standard execution unchanged.
"""

from __future__ import annotations

from gateway.api.fastpath.extension import FastExecution, PlanCache, fast_execution

__all__ = ["FastExecution", "PlanCache", "fast_execution"]
