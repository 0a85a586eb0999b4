"""Custom scalars: `Decimal` travels as a string in both directions.

Strawberry's own `Decimal` accepts JSON numbers and GraphQL Int/Float literals; a JSON client has already
turned `4.50` into the binary float 4.5 (and `0.1 + 0.2` into 0.30000000000000004) before the request is
sent, so the gateway refuses numbers instead of silently accepting a value the client did not mean.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

from graphql import GraphQLError, StringValueNode, ValueNode
from graphql.language import print_ast
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

DECIMAL_DESCRIPTION = (
    'An exact decimal number, written as a string on the wire in both directions, e.g. "12.50"; never a JSON '
    "number. Number inputs (JSON numbers in variables, Int or Float literals in documents) are refused: JSON "
    "clients parse numbers into binary floats, which lose precision. Money amounts are returned with the "
    'currency\'s minor unit of decimal places (ISO 4217: 2 for USD, "12.50"; 0 for JPY, "1250"; 3 for KWD, '
    '"12.500"), and money inputs may not be finer than it; weights and percentages are plain decimals ("2.5"). '
    'Inputs may use exponent notation ("1e3"); NaN, Infinity, spaces and digit separators are refused.'
)


#: What a Decimal string may look like: digits with an optional point and a short exponent; no spaces, no
#: underscores, no NaN or Infinity (Python's `Decimal` accepts all of those), at most 100 characters.
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_MAX_DECIMAL_TEXT = 100


def _number_refused(number: str) -> str:
    return f'Decimal must be a string such as "4.50", not the number {number} (numbers lose precision in JSON clients)'


def _parse_text(text: str) -> decimal.Decimal:
    if len(text) > _MAX_DECIMAL_TEXT or not _DECIMAL_TEXT.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise StrawberryInputCoercionError(f'Value cannot represent a Decimal: "{shown}" (write it like "12.50").')
    return decimal.Decimal(text)


def parse_decimal_value(value: object) -> decimal.Decimal:
    """A variable's value: only a JSON string (a JSON number arrives as int or float and is refused).

    A `Decimal` is taken as it is: no JSON document decodes to one, only an in-process caller passes it.
    """
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise StrawberryInputCoercionError(_number_refused(repr(value)))
    raise StrawberryInputCoercionError(f'Decimal must be a string such as "4.50", not {type(value).__name__}')


def parse_decimal_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> decimal.Decimal:
    """A literal in the document: only a string (`"4.50"`); an Int or Float literal (`4.5`) is refused.

    Raised as a `GraphQLError` so validation reports this message as it stands.
    """
    if isinstance(node, StringValueNode):
        try:
            return _parse_text(node.value)
        except StrawberryInputCoercionError as error:
            raise GraphQLError(str(error), node) from None
    kind = node.kind
    if kind in ("int_value", "float_value"):
        raise GraphQLError(_number_refused(print_ast(node)), node)
    raise GraphQLError(f'Decimal must be a string such as "4.50", not {print_ast(node)}', node)


DecimalDefinition = ScalarDefinition(
    name="Decimal",
    description=DECIMAL_DESCRIPTION,
    specified_by_url=None,
    serialize=str,  # `str`, which the compiled read path recognises (gateway.api.fastpath.plan.leaf_completer)
    parse_value=parse_decimal_value,
    parse_literal=parse_decimal_literal,
    origin=decimal.Decimal,
)

#: Strawberry's `scalar_overrides`: the Python type and its scalar.
SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {decimal.Decimal: DecimalDefinition}
