"""Value parsers shared by the ImageKit parameters: numbers with ImageKit's
``N`` negative prefix, colours, booleans, ``_``-joined sub-parameters."""

from __future__ import annotations

import re

from gateway import values
from gateway.errors import invalid
from gateway.values import MAX_SIDE
from imgmesh.v1 import edit_pb2

_NEGATIVE = "N-"  # ImageKit writes -10 as N10 (x-N10)


def number(key: str, value: str, lo: float, hi: float, allowed: str | None = None) -> float:
    """A decimal in [lo, hi]; ``N`` (or ``-``) prefix = negative (ImageKit ``x-N10``)."""
    return values.decimal(
        key,
        value,
        lo,
        hi,
        negative=_NEGATIVE,
        allowed=allowed or f"a number {lo:g}..{hi:g} (N prefix = negative)",
    )


def integer(key: str, value: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (``N`` prefix = negative)."""
    return values.integer(key, value, lo, hi, negative=_NEGATIVE)


def boolean(key: str, value: str) -> bool:
    """``true`` / ``false``, lowercase."""
    return values.boolean(key, value)


def dimension(key: str, value: str) -> edit_pb2.Dimension:
    """``300`` -> px 300; ``0.5`` -> ratio 0.5 (0 < ratio < 1)."""
    allowed = f"an integer 1..{MAX_SIDE} (px) or a ratio 0 < r < 1"
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
        found = values.rgb_hex(value)
    elif len(value) == 8 and value[6:].isascii() and value[6:].isdigit():
        found = values.rgb_hex(value[:6], round(int(value[6:]) / 100 * 255))
    if found is None and value.islower():
        found = values.named_color(value)
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
