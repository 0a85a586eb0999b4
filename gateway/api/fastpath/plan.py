"""Plans: what a validated query document asks for, resolved once against the schema.

A plan mirrors graphql-core's field collection for one operation: per object position, the response
keys in order, each with how to get its value (the strawberry resolver, or the attribute the default
resolver reads), its argument nodes, and how to complete the value (non-null, list, leaf serializer,
or the object plan of its sub-selection, with fields of the same response key merged).

`build_plan` returns None for anything the fast path does not cover, so that standard execution
handles it: operations other than queries, any directive, fragments whose type condition is not the
concrete object type, abstract types, introspection other than `__typename`, field extensions
(permission classes), custom `is_type_of` checks, and resolvers asking for something other than
`self`, `root`, `parent` and `info`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from inspect import iscoroutinefunction
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableDefinitionNode,
)
from graphql.pyutils import Undefined
from graphql.utilities import get_operation_ast
from strawberry.schema.types.base_scalars import isoformat
from strawberry.types.field import StrawberryField

from gateway.api.relations import AMOUNT as AMOUNT_TAG
from gateway.api.relations import RELATION as RELATION_TAG
from gateway.api.relations import Amount, Relation

#: How a field's value is read.
ATTR = 0  # default resolver: getattr(source, python_name)
CALL = 1  # the strawberry resolver function
TYPENAME = 2  # `__typename`: the object type's name
DEFAULT = 3  # a configured default resolver other than getattr: default_resolver(source, python_name)
RELATION = 4  # `@related`: the rows a DataLoader holds for the source's key, loaded for the whole level
AMOUNT = 5  # `@amount`: a decimal column as Money, each distinct (value, currency) completed once

#: Shapes of a field's return type.
LEAF = 0
OBJECT = 1
LIST = 2

GRAPHQL_MIN_INT = -(2**31)
GRAPHQL_MAX_INT = 2**31 - 1
_RESERVED = frozenset({"self", "root", "parent", "info"})
STRAWBERRY_DEFINITION = "strawberry-definition"


class Unsupported(Exception):  # noqa: N818 - a signal, not an error
    """The document uses something the fast path leaves to standard execution."""


class Bail(Exception):  # noqa: N818 - a signal, not an error
    """Fast execution cannot produce the standard result (an error, a null in a non-null position)."""


def _output_coercer(type_: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    # graphql-core 3.3 calls it `coerce_output_value`, 3.2 `serialize`.
    coerce = getattr(type_, "coerce_output_value", None)
    return coerce if coerce is not None else type_.serialize  # type: ignore[return-value]


def _generic_leaf(coerce: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """graphql-core's `complete_leaf_value`: an exception value or a null serialisation is an error."""

    def complete(value: Any) -> Any:
        if isinstance(value, Exception):
            raise Bail
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Bail
        return coerced

    return complete


@lru_cache(maxsize=512)
def leaf_completer(type_: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    """A function serialising a non-null value of this leaf type exactly as graphql-core would.

    The built-in scalars, strawberry enums and `str`-serialised scalars (Decimal) get a shortcut for
    the Python type they are normally given; anything else goes through the type's own serializer.
    """
    coerce = _output_coercer(type_)
    generic = _generic_leaf(coerce)
    if coerce is _output_coercer(GraphQLString):

        def string(value: Any) -> Any:
            return value if type(value) is str else generic(value)

        return string
    if coerce is _output_coercer(GraphQLID):

        def id_(value: Any) -> Any:
            kind = type(value)
            if kind is str:
                return value
            if kind is int:
                return str(value)
            return generic(value)

        return id_
    if coerce is _output_coercer(GraphQLInt):

        def int_(value: Any) -> Any:
            if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
                return value
            return generic(value)

        return int_
    if coerce is _output_coercer(GraphQLBoolean):

        def boolean(value: Any) -> Any:
            return value if type(value) is bool else generic(value)

        return boolean
    if coerce is builtins.str:

        def decimal(value: Any) -> Any:
            return str(value) if type(value) is Decimal else generic(value)

        return decimal
    if coerce is isoformat:

        def moment(value: Any) -> Any:
            return value.isoformat() if type(value) is datetime else generic(value)

        return moment
    wrapped = getattr(type_, "wrapped_cls", None)
    if isinstance(type_, GraphQLEnumType) and isinstance(wrapped, type):
        # The names the serializer gives each member, and each member's plain value (rows hold the
        # plain string of a str-valued enum), computed with the serializer itself.
        names: dict[Any, str] = {}
        plain_names: dict[str, str] = {}
        for member in list(wrapped):  # type: ignore[call-overload]
            for value, table in ((member, names), (member.value, plain_names)):
                if table is plain_names and type(value) is not str:
                    continue
                try:
                    name = coerce(value)
                except Exception:  # noqa: BLE001,S112 - such a value goes the generic way (and fails there)
                    continue
                if isinstance(name, str):
                    table[value] = name

        def enum(value: Any) -> Any:
            kind = type(value)
            name = names.get(value) if kind is wrapped else plain_names.get(value) if kind is str else None
            return name if name is not None else generic(value)

        return enum
    return generic


@dataclass(slots=True, eq=False)
class Shape:
    """How to complete a value of one output type."""

    kind: int
    non_null: bool
    #: LEAF: serialises a non-null value.
    leaf: Callable[[Any], Any] | None = None
    #: LIST: the items' shape.
    item: Shape | None = None
    #: OBJECT: the sub-selection.
    object: ObjectPlan | None = None
    #: A Python type whose values complete to themselves (`str` for String and ID, `bool` for Boolean).
    identity: type | None = None
    #: LEAF shortcuts the compiled code inlines: "int" (Int), "decimal" (a `str`-serialised scalar),
    #: "datetime" (DateTime).
    shortcut: str | None = None


@dataclass(slots=True, eq=False)
class FieldPlan:
    key: str
    mode: int
    shape: Shape
    #: ATTR / DEFAULT: the attribute; CALL: the resolver; TYPENAME: the type name.
    attr: str = ""
    func: Callable[..., Any] | None = None
    pass_self: bool = False
    info_name: str | None = None
    source_names: tuple[str, ...] = ()
    #: Arguments: the graphql-core field and the first field node (as graphql-core uses), and the
    #: strawberry arguments to convert them to Python values with.
    field_def: GraphQLField | None = None
    node: FieldNode | None = None
    strawberry_field: StrawberryField | None = None
    has_args: bool = False
    default_resolver: Callable[[Any, str], Any] | None = None
    #: CALL: a plain function (its result is checked for awaitables, as graphql-core does).
    sync: bool = False
    #: RELATION: what is loaded, by which of the source's attributes (`attr`).
    relation: Relation | None = None
    #: AMOUNT: the decimal column (`attr`) and the currency column.
    currency: str = ""


@dataclass(slots=True, eq=False)
class ObjectPlan:
    type_name: str
    fields: list[FieldPlan] = field(default_factory=list)
    #: The compiled level function (see `compile.py`).
    run: Callable[..., None] | None = None
    #: Indexes of the RELATION fields, whose rows `run.execute_plan` loads for the whole level.
    relations: tuple[int, ...] = ()


@dataclass(slots=True, eq=False)
class OperationPlan:
    root: ObjectPlan
    variable_definitions: Sequence[VariableDefinitionNode]


def _plain_object(shape: Shape) -> bool:
    """An object whose selected fields are all read from attributes as leaves (Money's `value`, `currencyCode`)."""
    plan = shape.object
    return plan is not None and all(
        field.mode == TYPENAME or (field.mode == ATTR and field.shape.kind == LEAF) for field in plan.fields
    )


class _Planner:
    def __init__(self, schema: Any, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.fragments = fragments
        self.default_resolver = schema.config.default_resolver

    def object_plan(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> ObjectPlan:
        if type_.is_type_of is not None:
            raise Unsupported(f"{type_.name} has is_type_of")
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self.collect(type_, selection_set, grouped, visited)
        plan = ObjectPlan(type_.name)
        for key, nodes in grouped.items():
            plan.fields.append(self.field_plan(type_, key, nodes))
        return plan

    def collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        """graphql-core's `collect_fields` for a concrete object type without directives."""
        for selection in selection_set.selections:
            if selection.directives:
                raise Unsupported("directive")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != type_.name:
                    raise Unsupported("inline fragment on another type")
                self.collect(type_, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                if getattr(selection, "arguments", None):
                    raise Unsupported("fragment arguments")
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or fragment.type_condition.name.value != type_.name:
                    raise Unsupported("fragment on another type")
                if fragment.directives or getattr(fragment, "variable_definitions", None):
                    raise Unsupported("fragment directives or variables")
                self.collect(type_, fragment.selection_set, grouped, visited)
            else:  # pragma: no cover - no other selection kinds exist
                raise Unsupported(type(selection).__name__)

    def field_plan(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            string = Shape(LEAF, True, leaf=leaf_completer(GraphQLString), identity=str)
            return FieldPlan(key, TYPENAME, string, attr=parent.name)
        if name.startswith("__"):
            raise Unsupported("introspection")
        field_def = parent.fields.get(name)
        if field_def is None:
            raise Unsupported(f"unknown field {parent.name}.{name}")
        definition = (field_def.extensions or {}).get(STRAWBERRY_DEFINITION)
        if not isinstance(definition, StrawberryField):
            raise Unsupported(f"{parent.name}.{name} is not a strawberry field")
        if definition.extensions:
            raise Unsupported(f"{parent.name}.{name} has field extensions")
        if type(definition).get_result is not StrawberryField.get_result:
            raise Unsupported(f"{parent.name}.{name} resolves its own way")
        sub_selections = [node.selection_set for node in nodes if node.selection_set is not None]
        shape = self.shape(field_def.type, sub_selections)
        has_args = bool(field_def.args or nodes[0].arguments)
        plan = FieldPlan(key, ATTR, shape, field_def=field_def, node=nodes[0], has_args=has_args)
        resolver = definition.base_resolver
        if resolver is None:
            plan.attr = definition.python_name
            default = definition.default_resolver or self.default_resolver
            if default is not getattr:
                plan.mode = DEFAULT
                plan.default_resolver = default
            plan.has_args = False  # the default resolver takes no arguments
            return plan
        func = resolver.wrapped_func
        if not callable(func):
            raise Unsupported(f"{parent.name}.{name}: uncallable resolver")
        reserved = {spec: parameter for spec, parameter in resolver.reserved_parameters.items() if parameter}
        for parameter in reserved.values():
            if parameter.name not in _RESERVED:
                raise Unsupported(f"{parent.name}.{name}: resolver asks for {parameter.name}")
        relation: Relation | None = getattr(func, RELATION_TAG, None)
        if isinstance(relation, Relation) and not field_def.args:
            plan.mode, plan.attr, plan.relation = RELATION, relation.key, relation
            return plan
        declared: Amount | None = getattr(func, AMOUNT_TAG, None)
        if isinstance(declared, Amount) and not field_def.args and _plain_object(shape):
            plan.mode, plan.attr, plan.currency = AMOUNT, declared.column, declared.currency
            return plan
        plan.mode = CALL
        plan.func = func
        plan.sync = not iscoroutinefunction(func)
        plan.pass_self = resolver.self_parameter is not None
        plan.info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
        plan.source_names = tuple(
            parameter.name for parameter in (resolver.root_parameter, resolver.parent_parameter) if parameter
        )
        plan.strawberry_field = definition
        return plan

    def shape(self, type_: Any, selection_sets: list[SelectionSetNode]) -> Shape:
        non_null = isinstance(type_, GraphQLNonNull)
        if non_null:
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            return Shape(LIST, non_null, item=self.shape(type_.of_type, selection_sets))
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            leaf = leaf_completer(type_)
            identity: type | None = None
            shortcut: str | None = None
            coerce = _output_coercer(type_)
            if coerce is _output_coercer(GraphQLString) or coerce is _output_coercer(GraphQLID):
                identity = str
            elif coerce is _output_coercer(GraphQLBoolean):
                identity = bool
            elif coerce is _output_coercer(GraphQLInt):
                shortcut = "int"
            elif coerce is builtins.str:
                shortcut = "decimal"
            elif coerce is isoformat:
                shortcut = "datetime"
            return Shape(LEAF, non_null, leaf=leaf, identity=identity, shortcut=shortcut)
        if isinstance(type_, GraphQLObjectType):
            return Shape(OBJECT, non_null, object=self.object_plan(type_, selection_sets))
        raise Unsupported(f"abstract type {type_}")


def build_plan(schema: Any, document: DocumentNode, operation_name: str | None) -> OperationPlan | None:
    """The plan of `operation_name` in a validated `document`, or None to leave it to standard execution."""
    operation: OperationDefinitionNode | None = get_operation_ast(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY or operation.directives:
        return None
    if any(definition.directives for definition in operation.variable_definitions or ()):
        return None
    root = schema._schema.query_type
    if root is None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    try:
        plan = _Planner(schema, fragments).object_plan(root, [operation.selection_set])
    except (Unsupported, RecursionError):
        return None
    return OperationPlan(plan, tuple(operation.variable_definitions or ()))
