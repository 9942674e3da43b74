"""Value parsers shared by the ImageKit parameters: numbers with ImageKit's
``N`` negative prefix, colours, booleans, ``_``-joined sub-parameters."""

from __future__ import annotations

import base64
import re

from gateway import expressions, value_parsers
from gateway.errors import invalid
from gateway.value_parsers import MAX_SIDE
from imgmesh.v1 import edit_pb2

_NEGATIVE = "N-"  # ImageKit writes -10 as N10 (x-N10)


def number(key: str, value: str, lo: float, hi: float, allowed: str | None = None) -> float:
    """A decimal in [lo, hi]; ``N`` (or ``-``) prefix = negative (ImageKit ``x-N10``)."""
    return value_parsers.decimal(
        key,
        value,
        lo,
        hi,
        negative=_NEGATIVE,
        allowed=allowed or f"a number {lo:g}..{hi:g} (N prefix = negative)",
    )


def integer(key: str, value: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (``N`` prefix = negative)."""
    return value_parsers.integer(key, value, lo, hi, negative=_NEGATIVE)


def boolean(key: str, value: str) -> bool:
    """``true`` / ``false``, lowercase."""
    return value_parsers.boolean(key, value)


E = edit_pb2.Expression
OPERANDS = {
    "iw": E.INPUT_WIDTH,
    "ih": E.INPUT_HEIGHT,
    "iar": E.INPUT_ASPECT_RATIO,
    "cw": E.CURRENT_WIDTH,
    "ch": E.CURRENT_HEIGHT,
    "car": E.CURRENT_ASPECT_RATIO,
    "bw": E.BASE_WIDTH,
    "bh": E.BASE_HEIGHT,
    "bar": E.BASE_ASPECT_RATIO,
}
EXPRESSION_HELP = (
    "an arithmetic expression: operands "
    + "|".join(OPERANDS)
    + " or numbers, joined by _add_|_sub_|_mul_|_div_|_mod_|_pow_ (e.g. iw_div_2)"
)


def expression(key: str, value: str) -> edit_pb2.Expression | None:
    """``iw_div_2_add_10`` -> postfix terms (:func:`gateway.expressions.postfix`
    over ImageKit's operands); None for a plain number.
    https://imagekit.io/docs/arithmetic-expressions-in-transformations

    Raises:
        RequestError: invalid_parameter for a malformed expression.
    """
    return expressions.postfix(key, value, OPERANDS, EXPRESSION_HELP, negative=_NEGATIVE)


def offset(key: str, value: str) -> edit_pb2.Offset:
    """A signed px offset (``N`` prefix = negative, -65535..65535) or an expression.

    Raises:
        RequestError: invalid_parameter for anything else.
    """
    parsed = expression(key, value)
    if parsed is not None:
        return edit_pb2.Offset(expression=parsed)
    return edit_pb2.Offset(px=integer(key, value, -65_535, 65_535))


def dimension(key: str, value: str) -> edit_pb2.Dimension:
    """``300`` -> px 300; ``0.5`` -> ratio 0.5 (0 < ratio < 1); ``iw_div_2``
    -> an expression, evaluated by transform_svc."""
    parsed = expression(key, value)
    if parsed is not None:
        return edit_pb2.Dimension(expression=parsed)
    allowed = f"an integer 1..{MAX_SIDE} (px), a ratio 0 < r < 1 or {EXPRESSION_HELP}"
    if re.fullmatch(r"[0-9]{1,12}", value):
        px = int(value)
        if 1 <= px <= MAX_SIDE:
            return edit_pb2.Dimension(px=px)
    elif re.fullmatch(r"0?\.[0-9]{1,12}", value):
        ratio = float(value)
        if 0 < ratio < 1:
            return edit_pb2.Dimension(ratio=ratio)
    raise invalid(key, value, allowed)


def color(key: str, value: str) -> edit_pb2.Color:
    """ImageKit colour: ``RRGGBB``; ``RRGGBBAA`` where AA is a *decimal*
    opacity 00..99 (``80`` = 0.80); or a lowercase CSS colour name.
    https://imagekit.io/docs/effects-and-enhancements#background-color---bg"""
    found = None
    if len(value) == 6:
        found = value_parsers.rgb_hex(value)
    elif len(value) == 8 and value[6:].isascii() and value[6:].isdigit():
        found = value_parsers.rgb_hex(value[:6], round(int(value[6:]) / 100 * 255))
    if found is None and value.islower():
        found = value_parsers.named_color(value)
    if found is None:
        raise invalid(key, value, "RRGGBB, RRGGBBAA (AA = opacity 00..99) or a colour name")
    return found


def sub_params(key: str, value: str, allowed: dict[str, str]) -> dict[str, str]:
    """``bl-15_st-40_x-N5`` -> {"bl": "15", "st": "40", "x": "N5"}.

    Args:
        allowed: sub-key -> description, for the error message.
    """
    out: dict[str, str] = {}
    if not value:
        return out
    for part in value.split("_"):
        sub, sep, sub_value = part.partition("-")
        if not sep or sub not in allowed or sub in out:
            raise invalid(
                key, value, ", ".join(f"{k}-{v}" for k, v in allowed.items()) + " joined by _"
            )
        out[sub] = sub_value
    return out


def base64_text(key: str, value: str) -> str:
    """UTF-8 text from base64, standard (the SDKs' ``ie-``, percent-decoded
    already) or URL-safe alphabet, padding optional.

    Raises:
        RequestError: invalid_parameter when it is not base64 of UTF-8.
    """
    standard = value.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error, non-ASCII input
        raise invalid(key, value, "base64 of UTF-8 text") from exc
