"""Documents the express lane may answer (`gateway.api.express`): what the standard path established about
each, admitted by `FastExecution` once its compiled plan answered."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.api.analysis import Need
    from gateway.api.fastpath.plan import OperationPlan


@dataclass(frozen=True, slots=True)
class Admitted:
    """What the standard path established about one (query, operationName)."""

    plan: OperationPlan
    needs: Sequence[Need]
    cost: int
    #: The operation's name for metrics and the request log.
    name: str


class ExpressEntries:
    """Admitted documents by (query text, operationName as sent), least recently used dropped."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[str, str | None], Admitted] = OrderedDict()
        #: Requests answered by the lane (for tests and metrics).
        self.answered = 0

    def admit(self, query: str, operation_name: str | None, entry: Admitted) -> None:
        key = (query, operation_name)
        if key not in self._entries:
            self._entries[key] = entry
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def get(self, query: str, operation_name: str | None) -> Admitted | None:
        return self._entries.get((query, operation_name))
