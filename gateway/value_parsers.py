"""Value parsers every dialect shares: bounded ASCII numbers, booleans,
enumerations, hex and named colours. Each raises ``gateway.errors.invalid``
(HTTP 400 ``invalid_parameter`` naming the parameter and the allowed values).

The dialects differ only in syntax and wrap these with their own spelling:
ImageKit writes negatives as ``N10`` and colour alpha as a decimal opacity
``RRGGBB80`` (``gateway/imagekit/urlgrammar/values.py``); Photoroom takes
``-10``, ``1``/``0`` booleans and ``#RRGGBBAA`` hex alpha
(``gateway/photoroom/fields.py``).
"""

from __future__ import annotations

import re

from PIL import ImageColor

from contract.limits import MAX_OUTPUT_SIDE
from gateway.errors import invalid
from imgmesh.v1 import edit_pb2

MAX_SIDE = MAX_OUTPUT_SIDE  # px, largest output width or height any dialect accepts

# ASCII digits of bounded length: float()/int() accept Unicode digits and
# int() of a 5000-digit string raises.
_UNSIGNED_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12}")
_UNSIGNED_INTEGER = re.compile(r"[0-9]{1,12}")
_HEX = re.compile(r"[0-9A-Fa-f]{6}")
_CSS_HEX = re.compile(r"^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")


def _signed(value: str, pattern: re.Pattern[str], negative: str) -> tuple[float, str] | None:
    """(sign, digits) when ``value`` is an optional sign from ``negative``
    followed by digits matching ``pattern``; None otherwise."""
    sign = 1.0
    if value[:1] and value[0] in negative:
        sign, value = -1.0, value[1:]
    return (sign, value) if pattern.fullmatch(value) else None


def decimal(
    name: str, value: str, lo: float, hi: float, *, negative: str = "-", allowed: str | None = None
) -> float:
    """A decimal in [lo, hi].

    Args:
        negative: characters accepted as a leading minus (ImageKit: ``"N-"``).
        allowed: the allowed values as the error states them.

    Raises:
        RequestError: invalid_parameter.
    """
    parsed = _signed(value.strip(), _UNSIGNED_DECIMAL, negative)
    if parsed is not None:
        n = parsed[0] * float(parsed[1])
        if lo <= n <= hi:
            return n
    raise invalid(name, value, allowed or f"a number {lo:g}..{hi:g}")


def integer(
    name: str, value: str, lo: int, hi: int, *, negative: str = "-", allowed: str | None = None
) -> int:
    """A whole number in [lo, hi] (``negative`` as for ``decimal``).

    Raises:
        RequestError: invalid_parameter.
    """
    parsed = _signed(value.strip(), _UNSIGNED_INTEGER, negative)
    if parsed is not None:
        n = int(parsed[0]) * int(parsed[1])
        if lo <= n <= hi:
            return n
    raise invalid(name, value, allowed or f"an integer {lo}..{hi}")


def boolean(
    name: str,
    value: str,
    *,
    true: tuple[str, ...] = ("true",),
    false: tuple[str, ...] = ("false",),
    any_case: bool = False,
) -> bool:
    """One of the ``true`` or ``false`` spellings.

    Raises:
        RequestError: invalid_parameter.
    """
    v = value.strip().lower() if any_case else value
    if v in true:
        return True
    if v in false:
        return False
    raise invalid(name, value, "true or false")


def enum(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``, case-sensitive.

    Raises:
        RequestError: invalid_parameter listing ``allowed``.
    """
    if value not in allowed:
        raise invalid(name, value, " | ".join(allowed))
    return value


def rgb_hex(digits: str, alpha: int = 255) -> edit_pb2.Color | None:
    """``RRGGBB`` (6 hex digits, any case) with ``alpha`` 0..255, or None."""
    if not _HEX.fullmatch(digits):
        return None
    r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return edit_pb2.Color(r=r, g=g, b=b, a=alpha)


def named_color(colour_name: str) -> edit_pb2.Color | None:
    """A lowercase CSS colour name (``red``, ``navy``; Pillow's table,
    https://www.w3.org/TR/css-color-4/#named-colors), opaque; or None."""
    if colour_name not in ImageColor.colormap:
        return None
    r, g, b = ImageColor.getrgb(colour_name)[:3]
    return edit_pb2.Color(r=r, g=g, b=b, a=255)


def css_color(name: str, value: str) -> edit_pb2.Color:
    """Hex without (or with) ``#``: ``RGB``, ``RRGGBB``, ``RRGGBBAA`` (AA hex
    alpha), ``transparent``, or a CSS colour name (``red``, ``blue``), any case
    (Photoroom's colours; remove.bg's ``bg_color`` in ImageKit's extension).

    Raises:
        RequestError: invalid_parameter.
    """
    v = value.strip()
    m = _CSS_HEX.match(v)
    if m:
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        found = rgb_hex(h[:6], int(h[6:8], 16) if len(h) == 8 else 255)
    elif v.lower() == "transparent":
        found = edit_pb2.Color(r=0, g=0, b=0, a=0)
    else:
        found = named_color(v.lower())
    if found is None:
        raise invalid(name, value, "hex RRGGBB / RRGGBBAA (no #) or a colour name such as red")
    return found
