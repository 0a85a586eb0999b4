"""One linear walk of each operation: its cost, depth and aliases, and the rights its fields need.

Both the query limits (`gateway.api.limits`) and access control (`gateway.api.permissions`) read this one
analysis, so a document is walked once, during validation, and the result is cached with the document.

Linear in the document: each named fragment is walked once (per type condition) and its summary (cost,
levels, aliases, needed rights with their paths relative to the spread) is reused at every further spread;
a fragment spread inside itself (a cycle, which validation reports) counts nothing. A fragment spread
twice still counts twice, as execution may run it twice (at different positions): the cost stays a bound
on the work execution does. The walk stops at the first limit it crosses; a fragment whose walk crossed a
limit is remembered as such, so later operations of the same document do not walk it again.

`OperationWalker.on_walked` (None by default) is called with every fresh analysis: tests count visits with
it, to prove the walk is linear.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from gateway.api.pagination import MAX_PAGE_SIZE
from gateway.api.permissions import NO_RULE_NEEDED, Access, FieldRules


@dataclass(frozen=True, slots=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 20_000
    max_tokens: int = 5_000


@dataclass(frozen=True, slots=True)
class Need:
    """A field the caller needs a right for: its rule (None: nobody may use it) and the first path to it."""

    rule: Access | None
    path: tuple[str, ...]

    @property
    def where(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True)
class LimitExceeded:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class OperationAnalysis:
    cost: int
    depth: int
    aliases: int
    #: One per field rule the operation meets, in the order the walk first met it.
    needs: tuple[Need, ...]
    exceeded: LimitExceeded | None
    #: Selections visited to produce this analysis (fields, inline fragments, fragment spreads).
    visits: int


@dataclass(slots=True)
class _Summary:
    cost: int = 0
    #: Selection levels, this one included (a selection set of leaves is 1 level).
    depth: int = 1
    aliases: int = 0
    needs: dict[tuple[str, str], Need] = field(default_factory=dict)


class _Exceeded(Exception):  # noqa: N818 - a signal, not an error
    def __init__(self, kind: str, value: int) -> None:
        super().__init__(kind, value)
        self.kind = kind
        self.value = value


_FragmentKey = tuple[str, str]


class OperationWalker:
    """Walks the operations of one document, sharing fragment summaries between them."""

    on_walked: ClassVar[Callable[[OperationAnalysis], None] | None] = None

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits, rules: FieldRules) -> None:
        self.schema = schema
        self.limits = limits
        self.rules = rules
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.summaries: dict[_FragmentKey, _Summary] = {}
        #: Fragments whose walk crossed a limit: (kind, entry depth, value reached).
        self.crossed: dict[_FragmentKey, tuple[str, int, int]] = {}
        self.walking: set[_FragmentKey] = set()
        self.visits = 0

    def operation(self, node: OperationDefinitionNode) -> OperationAnalysis:
        start = self.visits
        root = self.schema.get_root_type(node.operation)
        exceeded: LimitExceeded | None = None
        summary = _Summary()
        if root is not None:
            try:
                summary = self._selections(node.selection_set, root, 1)
            except _Exceeded as error:
                exceeded = self._describe(node, error)
        analysis = OperationAnalysis(
            cost=summary.cost,
            depth=summary.depth,
            aliases=summary.aliases,
            needs=tuple(summary.needs.values()),
            exceeded=exceeded,
            visits=self.visits - start,
        )
        hook = OperationWalker.on_walked
        if hook is not None:
            hook(analysis)
        return analysis

    def _describe(self, node: OperationDefinitionNode, error: _Exceeded) -> LimitExceeded:
        name = node.name.value if node.name else "anonymous operation"
        limits = self.limits
        if error.kind == "depth":
            message = f"{name} is at least {error.value} levels deep; the limit is {limits.max_depth}"
            return LimitExceeded("QUERY_TOO_DEEP", message)
        if error.kind == "aliases":
            message = f"{name} uses at least {error.value} aliases; the limit is {limits.max_aliases}"
            return LimitExceeded("TOO_MANY_ALIASES", message)
        return LimitExceeded(
            "QUERY_TOO_COMPLEX", f"{name} costs at least {error.value}; the limit is {limits.max_cost}"
        )

    def _selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType, depth: int) -> _Summary:
        limits = self.limits
        total = _Summary()
        fields: dict[str, Any] = getattr(parent, "fields", {})
        for selection in selection_set.selections:
            self.visits += 1
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    total.aliases += 1
                    if total.aliases > limits.max_aliases:
                        raise _Exceeded("aliases", total.aliases)
                total.cost += 1
                name = selection.name.value
                definition = fields.get(name)
                if definition is None:  # __typename, introspection roots, or unknown (validation reports it)
                    continue
                rule = self.rules.rule(parent, name, definition)
                if rule is not NO_RULE_NEEDED:
                    total.needs.setdefault((parent.name, name), Need(rule, (name,)))  # type: ignore[arg-type]
                if selection.selection_set is None:
                    continue
                if depth + 1 > limits.max_depth:
                    raise _Exceeded("depth", depth + 1)
                below = self._selections(selection.selection_set, get_named_type(definition.type), depth + 1)
                self._add(total, below, depth + 1, _page_size(selection, definition), name)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = (self.schema.get_type(condition.name.value) if condition else None) or parent
                self._add(total, self._selections(selection.selection_set, target, depth), depth, 1, None)
            elif isinstance(selection, FragmentSpreadNode):
                below = self._fragment(selection.name.value, parent, depth)
                if below is not None:
                    self._add(total, below, depth, 1, None)
        return total

    def _add(self, total: _Summary, below: _Summary, depth: int, multiplier: int, name: str | None) -> None:
        """Adds what a selection set at `depth` holds to the enclosing one, checking every limit."""
        limits = self.limits
        reached = depth + below.depth - 1
        if reached > limits.max_depth:
            raise _Exceeded("depth", reached)
        total.depth = max(total.depth, below.depth + (1 if name is not None else 0))
        total.cost += multiplier * below.cost
        if total.cost > limits.max_cost:
            raise _Exceeded("cost", total.cost)
        total.aliases += below.aliases
        if total.aliases > limits.max_aliases:
            raise _Exceeded("aliases", total.aliases)
        needs = total.needs
        for key, need in below.needs.items():
            if key not in needs:
                needs[key] = need if name is None else Need(need.rule, (name, *need.path))

    def _fragment(self, name: str, parent: GraphQLNamedType, depth: int) -> _Summary | None:
        fragment = self.fragments.get(name)
        if fragment is None:  # unknown: validation reports it
            return None
        target = self.schema.get_type(fragment.type_condition.name.value) or parent
        key = (name, target.name)
        summary = self.summaries.get(key)
        if summary is not None:
            return summary
        crossed = self.crossed.get(key)
        if crossed is not None:
            kind, entry, value = crossed
            if kind != "depth":
                raise _Exceeded(kind, value)
            if depth >= entry:
                raise _Exceeded(kind, value + depth - entry)
        if key in self.walking:  # a cycle: validation reports it
            return None
        self.walking.add(key)
        try:
            summary = self._selections(fragment.selection_set, target, depth)
        except _Exceeded as error:
            self.crossed[key] = (error.kind, depth, error.value)
            raise
        finally:
            self.walking.discard(key)
        self.summaries[key] = summary
        return summary


def _page_size(node: FieldNode, definition: Any) -> int:
    """A connection multiplies what it selects by its page size: the literal `first`, its default, or the
    largest page when `first` comes from a variable."""
    if "first" not in definition.args:
        return 1
    for argument in node.arguments or ():
        if argument.name.value == "first":
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return MAX_PAGE_SIZE
    default = definition.args["first"].default_value
    return int(default) if isinstance(default, int) else MAX_PAGE_SIZE


class Analyses:
    """The analyses of recently seen documents, by document identity (the parser cache hands out the same
    document object for the same text), least recently used dropped. Validation fills it; access control
    and the request budget read it, so a document already validated is not walked again."""

    def __init__(self, limits: QueryLimits, maxsize: int = 1024) -> None:
        self.limits = limits
        self.maxsize = maxsize
        self._documents: OrderedDict[int, tuple[DocumentNode, OperationWalker, dict[int, OperationAnalysis]]] = (
            OrderedDict()
        )
        self._rules: tuple[GraphQLSchema, FieldRules] | None = None

    def rules(self, schema: GraphQLSchema) -> FieldRules:
        if self._rules is None or self._rules[0] is not schema:
            self._rules = (schema, FieldRules(schema))
        return self._rules[1]

    def operation(
        self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
    ) -> OperationAnalysis:
        entry = self._documents.get(id(document))
        if entry is None or entry[0] is not document:
            entry = (document, OperationWalker(schema, document, self.limits, self.rules(schema)), {})
            self._documents[id(document)] = entry
            if len(self._documents) > self.maxsize:
                self._documents.popitem(last=False)
        else:
            self._documents.move_to_end(id(document))
        _, walker, analyses = entry
        analysis = analyses.get(id(operation))
        if analysis is None:
            analysis = analyses[id(operation)] = walker.operation(operation)
        return analysis
