"""Value parsers shared by the ImageKit parameters: numbers with ImageKit's
``N`` negative prefix, colours, booleans, ``_``-joined sub-parameters."""

from __future__ import annotations

import re

from PIL import ImageColor

from contract.limits import MAX_OUTPUT_SIDE
from gateway.errors import invalid
from imgmesh.v1 import edit_pb2

MAX_SIDE = MAX_OUTPUT_SIDE  # px, largest w/h accepted

_HEX6 = re.compile(r"^[0-9A-Fa-f]{6}$")
_HEX8 = re.compile(r"^[0-9A-Fa-f]{6}[0-9]{2}$")
_NUMBER = re.compile(r"^(N|-)?[0-9]{1,12}(\.[0-9]{1,12})?$")  # ASCII digits, bounded


def number(key: str, value: str, lo: float, hi: float, allowed: str | None = None) -> float:
    """A decimal in [lo, hi]; ``N`` (or ``-``) prefix = negative (ImageKit ``x-N10``)."""
    if _NUMBER.match(value):
        n = float(value.lstrip("N-")) * (-1 if value[0] in "N-" else 1)
        if lo <= n <= hi:
            return n
    raise invalid(key, value, allowed or f"a number {lo:g}..{hi:g} (N prefix = negative)")


def integer(key: str, value: str, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (``N`` prefix = negative)."""
    if re.fullmatch(r"(N|-)?[0-9]{1,12}", value):  # ASCII digits, bounded length
        n = int(value.lstrip("N-")) * (-1 if value[0] in "N-" else 1)
        if lo <= n <= hi:
            return n
    raise invalid(key, value, f"an integer {lo}..{hi}")


def boolean(key: str, value: str) -> bool:
    """``true`` / ``false``."""
    if value in ("true", "false"):
        return value == "true"
    raise invalid(key, value, "true|false")


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
    if _HEX6.match(value):
        r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
        return edit_pb2.Color(r=r, g=g, b=b, a=255)
    if _HEX8.match(value):
        r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
        return edit_pb2.Color(r=r, g=g, b=b, a=round(int(value[6:]) / 100 * 255))
    if value.islower() and value in ImageColor.colormap:
        r, g, b = ImageColor.getrgb(value)[:3]
        return edit_pb2.Color(r=r, g=g, b=b, a=255)
    raise invalid(key, value, "RRGGBB, RRGGBBAA (AA = opacity 00..99) or a colour name")


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
