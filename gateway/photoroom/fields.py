"""Value parsers for Photoroom parameters, and the errors they raise.

Reference: the API reference in ``../shared/seeds/004_*`` (types, ranges,
defaults) and https://docs.photoroom.com/image-editing-api-plus-plan.
"""

from __future__ import annotations

import re
import uuid

from PIL import ImageColor

from contract.limits import MAX_OUTPUT_SIDE
from gateway.errors import RequestError, invalid
from imgmesh.v1 import edit_pb2

MAX_SIDE = MAX_OUTPUT_SIDE  # px, largest output side accepted

_HEX = re.compile(r"^#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$")
# ASCII digits of bounded length: int() of a 5000-digit string raises.
_NUMBER = re.compile(r"^-?([0-9]{1,12}(\.[0-9]{0,12})?|\.[0-9]{1,12})$")
_OUTPUT_SIZE = re.compile(r"^(auto|[0-9]{1,6}x[0-9]{1,6}|originalImage|croppedSubject)$")


class ConflictError(RequestError):
    """Two parameters that cannot be given together (HTTP 400 naming both).

    Attributes:
        other: the second parameter.
    """

    def __init__(self, parameter: str, other: str, reason: str) -> None:
        super().__init__(
            "conflicting_parameters", f"{parameter!r} and {other!r}: {reason}", parameter
        )
        self.other = other

    def to_json(self) -> dict[str, str]:
        body = super().to_json()
        body["conflicts_with"] = self.other
        return body


class UnprocessableError(ValueError):
    """Valid parameters that cannot be honoured together (HTTP 422 impossible_edit)."""


def boolean(name: str, value: str) -> bool:
    """``true``/``false`` (any case) or ``1``/``0``."""
    v = value.strip().lower()
    if v in ("true", "1"):
        return True
    if v in ("false", "0"):
        return False
    raise invalid(name, value, "true or false")


def enum(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (case-sensitive, as Photoroom's OpenAPI enums)."""
    if value not in allowed:
        raise invalid(name, value, " | ".join(allowed))
    return value


def number(name: str, value: str, lo: float, hi: float) -> float:
    """A decimal number in ``lo..hi``."""
    if not _NUMBER.match(value.strip()) or not lo <= float(value) <= hi:
        raise invalid(name, value, f"a number {lo:g}..{hi:g}")
    return float(value)


def integer(name: str, value: str, lo: int, hi: int) -> int:
    """A whole number in ``lo..hi``."""
    v = value.strip()
    if not (v.isascii() and v.isdigit() and len(v) <= 12) or not lo <= int(v) <= hi:
        raise invalid(name, value, f"an integer {lo}..{hi}")
    return int(v)


def text(name: str, value: str) -> str:
    """A non-empty string (prompts), at most 2000 characters."""
    if not value.strip() or len(value) > 2000:
        raise invalid(name, value[:40], "a non-empty text of at most 2000 characters")
    return value


def uuid_text(name: str, value: str) -> str:
    """A UUID string."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise invalid(name, value, "a UUID") from None
    return value


def length(name: str, value: str) -> edit_pb2.Length:
    """Padding/margin: a ratio ``0..0.49``, a percentage ``0%..49%`` or px ``Npx``."""
    v = value.strip()
    allowed = "a ratio 0..0.49, a percentage 0%..49% or a pixel value such as 100px"
    try:
        if v.endswith("px") and _NUMBER.match(v[:-2]):
            px = float(v[:-2])
            if 0 <= px <= MAX_SIDE:
                return edit_pb2.Length(px=px)
        elif v.endswith("%") and _NUMBER.match(v[:-1]):
            pct = float(v[:-1])
            if 0 <= pct <= 49:
                return edit_pb2.Length(ratio=pct / 100)
        elif _NUMBER.match(v) and 0 <= float(v) <= 0.49:
            return edit_pb2.Length(ratio=float(v))
    except ValueError:
        pass
    raise invalid(name, value, allowed)


def color(name: str, value: str) -> edit_pb2.Color:
    """Hex without (or with) ``#``: ``RGB``, ``RRGGBB``, ``RRGGBBAA`` (AA hex
    alpha), or a CSS colour name (``red``, ``blue``), any case."""
    v = value.strip()
    m = _HEX.match(v)
    if m:
        h = m.group(1)
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
        a = int(h[6:8], 16) if len(h) == 8 else 255
        return edit_pb2.Color(r=r, g=g, b=b, a=a)
    name_lower = v.lower()
    if name_lower == "transparent":
        return edit_pb2.Color(r=0, g=0, b=0, a=0)
    if name_lower in ImageColor.colormap:
        r, g, b = ImageColor.getrgb(name_lower)[:3]
        return edit_pb2.Color(r=r, g=g, b=b, a=255)
    raise invalid(name, value, "hex RRGGBB / RRGGBBAA (no #) or a colour name such as red")


def output_size(name: str, value: str) -> tuple[str, int, int]:
    """``auto`` | ``WxH`` | ``originalImage`` | ``croppedSubject`` ->
    (kind, width, height); sides 1..16384 px."""
    if not _OUTPUT_SIZE.match(value):
        raise invalid(
            name, value, "auto, WIDTHxHEIGHT (e.g. 1000x1000), originalImage, croppedSubject"
        )
    if "x" in value and value[0].isdigit():
        w, h = (int(p) for p in value.split("x"))
        if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
            raise invalid(name, value, f"WIDTHxHEIGHT with sides 1..{MAX_SIDE} px")
        return "custom", w, h
    return value, 0, 0
