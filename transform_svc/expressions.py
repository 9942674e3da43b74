"""ImageKit arithmetic expressions and conditions, evaluated against the image.

The gateway parses ``iw_div_2`` into an :class:`edit_pb2.Expression` (postfix
terms); here each op's parameters are *resolved* just before the op runs: every
``Dimension`` / ``Offset`` holding an expression gets the px value it gives on
the image the op receives. Ops therefore only ever see px.

Operands (https://imagekit.io/docs/arithmetic-expressions-in-transformations):
``iw``/``ih``/``iar`` the source image (in a layer: the layer's source),
``cw``/``ch``/``car`` the image as this step receives it, ``bw``/``bh``/``bar``
the image a layer is placed on (outside layers: the current image).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from google.protobuf.message import Message

from imgmesh.v1 import edit_pb2
from transform_svc.errors import impossible, invalid

E = edit_pb2.Expression
# Bounds of a resolved value, px: sizes go on to the ops' own limits (MAX_OUTPUT_SIDE);
# offsets beyond a million px could only place a layer far outside any image.
MAX_SIZE_PX = 1 << 20
MAX_OFFSET_PX = 1 << 20


@dataclass(frozen=True)
class Scope:
    """The sizes an expression may read, (width, height) px each."""

    input: tuple[int, int]
    current: tuple[int, int]
    base: tuple[int, int]

    def operand(self, operand: int) -> float:
        """The value of one ``Expression.Operand``.

        Raises:
            TransformError: invalid_parameter for an unknown operand.
        """
        sizes = {
            E.INPUT_WIDTH: self.input,
            E.INPUT_HEIGHT: self.input,
            E.INPUT_ASPECT_RATIO: self.input,
            E.CURRENT_WIDTH: self.current,
            E.CURRENT_HEIGHT: self.current,
            E.CURRENT_ASPECT_RATIO: self.current,
            E.BASE_WIDTH: self.base,
            E.BASE_HEIGHT: self.base,
            E.BASE_ASPECT_RATIO: self.base,
        }
        if operand not in sizes:
            raise invalid(f"unknown expression operand {operand}")
        w, h = sizes[operand]
        kind = (operand - 1) % 3  # width, height, aspect ratio
        return float(w) if kind == 0 else float(h) if kind == 1 else w / h


def _apply(operator: int, a: float, b: float) -> float:
    """``a <operator> b``; every result must be a finite number.

    Raises:
        TransformError: impossible_edit (division by zero, overflow).
    """
    value = _operate(operator, a, b)
    if not math.isfinite(value):
        raise impossible("the expression's result is out of range")
    return value


def _operate(operator: int, a: float, b: float) -> float:
    if operator in (E.DIVIDE, E.MODULO) and b == 0:
        raise impossible("the expression divides by zero")
    if operator == E.ADD:
        return a + b
    if operator == E.SUBTRACT:
        return a - b
    if operator == E.MULTIPLY:
        return a * b
    if operator == E.DIVIDE:
        return a / b
    if operator == E.MODULO:
        return math.fmod(a, b)
    if operator == E.POWER:
        try:
            return math.pow(a, b)
        except (OverflowError, ValueError) as exc:
            raise impossible("the expression's power is out of range") from exc
    raise invalid(f"unknown expression operator {operator}")


def evaluate(expression: edit_pb2.Expression, scope: Scope) -> float:
    """The value of a postfix expression.

    Raises:
        TransformError: impossible_edit (422) on division by zero or a result
            that is not a finite number; invalid_parameter when malformed.
    """
    stack: list[float] = []
    for term in expression.terms:
        kind = term.WhichOneof("term")
        if kind == "number":
            stack.append(term.number)
        elif kind == "operand":
            stack.append(scope.operand(term.operand))
        elif kind == "operator" and len(stack) >= 2:
            b, a = stack.pop(), stack.pop()
            stack.append(_apply(term.operator, a, b))
        else:
            raise invalid("malformed expression")
    if len(stack) != 1:
        raise invalid("malformed expression")
    if not math.isfinite(stack[0]):
        raise impossible("the expression's result is not a finite number")
    return stack[0]


def _px(expression: edit_pb2.Expression, scope: Scope, lo: int, hi: int) -> int:
    value = math.floor(evaluate(expression, scope) + 0.5)  # half up, as resize rounds
    if not lo <= value <= hi:
        raise impossible(f"an expression gives {value} px, outside {lo}..{hi}")
    return value


# Nested graphs and branches are resolved when they run, against their own image.
_NOT_HERE = (edit_pb2.EditGraph.DESCRIPTOR, edit_pb2.Conditional.DESCRIPTOR)


def _has_expression(message: Message) -> bool:
    descriptor = message.DESCRIPTOR
    if descriptor in (edit_pb2.Dimension.DESCRIPTOR, edit_pb2.Offset.DESCRIPTOR):
        return message.WhichOneof("value") == "expression"  # type: ignore[no-any-return]
    if descriptor in _NOT_HERE or descriptor is edit_pb2.Step.DESCRIPTOR:
        return False
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        items = value if field.is_repeated else [value]
        if any(_has_expression(item) for item in items):
            return True
    return False


def _resolve_in_place(message: Message, scope: Scope) -> None:
    descriptor = message.DESCRIPTOR
    if descriptor is edit_pb2.Dimension.DESCRIPTOR:
        if message.WhichOneof("value") == "expression":
            message.px = _px(message.expression, scope, 1, MAX_SIZE_PX)  # type: ignore[attr-defined]
        return
    if descriptor is edit_pb2.Offset.DESCRIPTOR:
        if message.WhichOneof("value") == "expression":
            message.px = _px(  # type: ignore[attr-defined]
                message.expression, scope, -MAX_OFFSET_PX, MAX_OFFSET_PX
            )
        return
    if descriptor in _NOT_HERE or descriptor is edit_pb2.Step.DESCRIPTOR:
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        for item in value if field.is_repeated else [value]:
            _resolve_in_place(item, scope)


def resolve(params: Message, scope: Scope) -> Message:
    """``params`` with every expression replaced by its px value (a copy;
    ``params`` itself when it holds none). Nested layer graphs, conditional
    branches and text steps are left for when they run.

    Raises:
        TransformError: impossible_edit when a value is out of range.
    """
    if not _has_expression(params):
        return params
    copy = type(params)()
    copy.CopyFrom(params)
    _resolve_in_place(copy, scope)
    return copy


def holds(condition: edit_pb2.Condition, scope: Scope) -> bool:
    """Whether an ImageKit condition is true for the image in ``scope``.

    Raises:
        TransformError: invalid_parameter for an unknown comparison.
    """
    value = scope.operand(condition.property)
    c = edit_pb2.Condition
    # sizes are whole px; an aspect ratio equals a value given to 2 decimals
    # (if-ar_eq_1.33 for 4:3) when they agree to within half a hundredth
    same = abs(value - condition.value) < (0.005 if value % 1 else 1e-9)
    comparisons = {
        c.EQ: same,
        c.NE: not same,
        c.GT: value > condition.value,
        c.GTE: value >= condition.value,
        c.LT: value < condition.value,
        c.LTE: value <= condition.value,
    }
    if condition.comparison not in comparisons:
        raise invalid(f"unknown comparison {condition.comparison}")
    return comparisons[condition.comparison]
