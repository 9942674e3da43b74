"""Value parsers for Photoroom parameters, and the errors they raise.

Reference: the API reference in ``../shared/seeds/004_*`` (types, ranges,
defaults) and https://docs.photoroom.com/image-editing-api-plus-plan.
"""

from __future__ import annotations

import re
import uuid

from gateway import value_parsers
from gateway.errors import RequestError, invalid
from gateway.value_parsers import MAX_SIDE, enum
from imgmesh.v1 import edit_pb2

__all__ = ["MAX_SIDE", "enum"]  # re-exported: the Photoroom modules parse through this one

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
    return value_parsers.boolean(
        name, value, true=("true", "1"), false=("false", "0"), any_case=True
    )


def number(name: str, value: str, lo: float, hi: float) -> float:
    """A decimal number in ``lo..hi``."""
    return value_parsers.decimal(name, value, lo, hi)


def integer(name: str, value: str, lo: int, hi: int) -> int:
    """A whole number in ``lo..hi`` (no sign: Photoroom's integers are sizes and counts)."""
    return value_parsers.integer(name, value, lo, hi, negative="")


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
    if v.endswith("px"):
        return edit_pb2.Length(px=value_parsers.decimal(name, v[:-2], 0, MAX_SIDE, allowed=allowed))
    if v.endswith("%"):
        return edit_pb2.Length(
            ratio=value_parsers.decimal(name, v[:-1], 0, 49, allowed=allowed) / 100
        )
    return edit_pb2.Length(ratio=value_parsers.decimal(name, v, 0, 0.49, allowed=allowed))


def color(name: str, value: str) -> edit_pb2.Color:
    """Photoroom's colours: see :func:`gateway.value_parsers.css_color`."""
    return value_parsers.css_color(name, value)


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
