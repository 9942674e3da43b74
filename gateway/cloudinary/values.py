"""Cloudinary's value spellings (https://cloudinary.com/documentation/transformation_reference):
numbers, px-or-relative sizes (``w_300``, ``w_0.5``, ``w_iw_div_2``),
offsets, colours (``rgb:RRGGBB[AA]``, ``rgb:RGB``, CSS names), each parsed
into the EditGraph's types with :mod:`gateway.value_parsers`' bounds and
errors (400 ``invalid_parameter`` naming the key and the allowed values)."""

from __future__ import annotations

import re

from gateway import expressions, value_parsers
from gateway.errors import invalid
from gateway.value_parsers import MAX_SIDE
from imgmesh.v1 import edit_pb2

E = edit_pb2.Expression
# Cloudinary's predefined variables usable in arithmetic
# (https://cloudinary.com/documentation/user_defined_variables#predefined_variables):
# w/h/ar are the image as the component receives it, iw/ih/iar the original.
OPERANDS = expressions.CONDITION_PROPERTIES
EXPRESSION_HELP = (
    "a number or an arithmetic expression of "
    + "|".join(OPERANDS)
    + " and numbers joined by _add_|_sub_|_mul_|_div_|_mod_|_pow_ (e.g. iw_div_2)"
)
_INTEGER = re.compile(r"-?[0-9]{1,9}")
_DECIMAL = re.compile(r"-?([0-9]{1,9}\.[0-9]{0,9}|\.[0-9]{1,9})")
_RGB = re.compile(r"rgb:([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")


def number(key: str, value: str, lo: float, hi: float) -> float:
    """A decimal in [lo, hi] (``-`` = negative).

    Raises:
        RequestError: invalid_parameter.
    """
    return value_parsers.decimal(key, value, lo, hi)


def integer(key: str, value: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi].

    Raises:
        RequestError: invalid_parameter.
    """
    return value_parsers.integer(key, value, lo, hi)


def expression(key: str, value: str) -> edit_pb2.Expression | None:
    """An arithmetic expression over Cloudinary's operands; None for a plain number.

    Raises:
        RequestError: invalid_parameter.
    """
    return expressions.postfix(key, value, OPERANDS, EXPRESSION_HELP)


def _times(operand: int, factor: float) -> edit_pb2.Expression:
    return E(terms=[E.Term(operand=operand), E.Term(number=factor), E.Term(operator=E.MULTIPLY)])


def dimension(key: str, value: str, operand: int) -> edit_pb2.Dimension:
    """``300`` -> 300 px; a decimal (``0.5``, ``1.5``) -> that fraction of
    the image's side ``operand`` (Cloudinary: "a decimal value is relative");
    an expression (``iw_div_2``) -> evaluated by transform_svc.

    Raises:
        RequestError: invalid_parameter.
    """
    allowed = f"px 1..{MAX_SIDE}, a decimal fraction (0.5 = half) or {EXPRESSION_HELP}"
    if _INTEGER.fullmatch(value):
        px = int(value)
        if 1 <= px <= MAX_SIDE:
            return edit_pb2.Dimension(px=px)
        raise invalid(key, value, allowed)
    if _DECIMAL.fullmatch(value):
        ratio = float(value)
        if 0 < ratio < 1:
            return edit_pb2.Dimension(ratio=ratio)
        if 1 <= ratio <= 100:
            return edit_pb2.Dimension(expression=_times(operand, ratio))
        raise invalid(key, value, allowed)
    parsed = expression(key, value)
    if parsed is None:
        raise invalid(key, value, allowed)
    return edit_pb2.Dimension(expression=parsed)


def offset(key: str, value: str, operand: int) -> edit_pb2.Offset:
    """``x_10`` / ``x_-10`` px; a decimal (``x_0.25``) -> that fraction of the
    image's side ``operand``; or an expression.

    Raises:
        RequestError: invalid_parameter.
    """
    if _INTEGER.fullmatch(value):
        return edit_pb2.Offset(px=integer(key, value, -MAX_SIDE, MAX_SIDE))
    if _DECIMAL.fullmatch(value):
        return edit_pb2.Offset(expression=_times(operand, number(key, value, -100, 100)))
    parsed = expression(key, value)
    if parsed is None:
        raise invalid(key, value, f"px, a decimal fraction or {EXPRESSION_HELP}")
    return edit_pb2.Offset(expression=parsed)


def color(key: str, value: str) -> edit_pb2.Color:
    """``rgb:RRGGBB``, ``rgb:RRGGBBAA`` (AA hex alpha), ``rgb:RGB``, ``#...``,
    ``transparent`` or a CSS colour name (``red``, ``blue``).

    Raises:
        RequestError: invalid_parameter.
    """
    m = _RGB.fullmatch(value)
    if m:
        return value_parsers.css_color(key, m.group(1))
    if value.startswith("#") or value.lower() == "transparent":
        return value_parsers.css_color(key, value)
    found = value_parsers.named_color(value.lower())
    if found is None:
        raise invalid(key, value, "rgb:RRGGBB, rgb:RRGGBBAA, rgb:RGB or a colour name such as red")
    return found
