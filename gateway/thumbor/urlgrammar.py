"""thumbor's URL grammar: libthumbor's regex, segment for segment and in its
order (``thumbor/url.py`` ``Url.regex``; thumbor's ``tests/test_url.py``
pins the exact pattern):

    /(unsafe|<hash>)/(debug/)(meta/)(trim[:top-left|bottom-right][:N]/)
    (AxB:CxD/)((adaptive-)(full-)fit-in/)(-Wx-H/)(left|right|center/)
    (top|bottom|middle/)(smart/)(filters:name(args):.../)<image>

thumbor is lenient: a segment that does not match its pattern is read as
the start of the image path, never as an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

# thumbor 7.8 thumbor/url.py, Url.regex(has_unsafe_or_hash=True)
PATTERN = re.compile(
    r"/?(?:(?:(?P<unsafe>unsafe)|(?P<hash>.+?))/)?"
    r"(?:(?P<debug>debug)/)?"
    r"(?:(?P<meta>meta)/)?"
    r"(?:(?P<trim>trim(?::(?:top-left|bottom-right))?(?::\d+)?)/)?"
    r"(?:(?P<crop_left>\d+)x(?P<crop_top>\d+):(?P<crop_right>\d+)x(?P<crop_bottom>\d+)/)?"
    r"(?:(?P<adaptive>adaptive-)?(?P<full>full-)?(?P<fit_in>fit-in)/)?"
    r"(?:(?P<horizontal_flip>-)?(?P<width>(?:\d+|orig))?x(?P<vertical_flip>-)?(?P<height>(?:\d+|orig))?/)?"
    r"(?:(?P<halign>left|right|center)/)?"
    r"(?:(?P<valign>top|bottom|middle)/)?"
    r"(?:(?P<smart>smart)/)?"
    r"(?:filters:(?P<filters>.+?\))/)?"
    r"(?P<image>.+)"
)
# One filter call: name(args). thumbor splits ``filters:`` at every ``):``
# and matches each piece from its start (thumbor/filters/__init__.py,
# FiltersFactory.create_instances), so arguments may hold ``(`` and ``:``
# (curve's points, a watermark's URL) and text after the ``)`` is ignored.
FILTER = re.compile(r"(?P<name>[a-z_]\w*)\((?P<args>.*)\)", re.DOTALL)
ORIG = "orig"
SIGNATURE_LENGTH = 28  # urlsafe base64 of a 20-byte HMAC-SHA1, with padding


@dataclass(frozen=True)
class Crop:
    """A manual crop ``AxB:CxD``: left, top, right, bottom in source px."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class ThumborRequest:
    """One parsed thumbor URL.

    Attributes:
        signature: the hash segment (None for ``unsafe/`` or none at all).
        signed_part: the raw path after the hash/unsafe segment, as it was
            sent (still percent-encoded): what libthumbor signs.
        width / height: target px; 0 = proportional; None = ``orig``.
        horizontal_flip / vertical_flip: a leading ``-`` on the dimension.
        halign: ``left``/``center``/``right``; valign ``top``/``middle``/``bottom``.
        trim: ``(corner, tolerance)`` of ``trim[:corner][:N]``, or None.
        filters: ``(name, args)`` in URL order, args unsplit.
        image: the source, percent-decoded (a path under the origin root or
            an ``http(s)://`` URL).
    """

    signature: str | None
    unsafe: bool
    signed_part: str
    debug: bool = False
    meta: bool = False
    trim: tuple[str, int] | None = None
    crop: Crop | None = None
    fit_in: bool = False
    full_fit_in: bool = False
    adaptive: bool = False
    width: int | None = 0
    height: int | None = 0
    horizontal_flip: bool = False
    vertical_flip: bool = False
    halign: str = "center"
    valign: str = "middle"
    smart: bool = False
    filters: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    image: str = ""


class ThumborURLError(ValueError):
    """The path holds no image (thumbor answers 400)."""


def _dimension(value: str | None) -> int | None:
    if value is None or value == "":
        return 0
    if value == ORIG:
        return None
    return int(value)


def _trim(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    corner, tolerance = "top-left", 0
    for part in value.split(":")[1:]:
        if part.isdigit():
            tolerance = int(part)
        else:
            corner = part
    return corner, tolerance


def parse_filters(text: str | None) -> tuple[tuple[str, str], ...]:
    """``fill(white):format(webp)`` -> ``(("fill", "white"), ("format", "webp"))``.
    A piece that is not a call is skipped, as thumbor skips it."""
    if not text:
        return ()
    pieces = text.split("):")
    calls = []
    for i, piece in enumerate(pieces):
        found = FILTER.match(piece if i == len(pieces) - 1 else piece + ")")
        if found is not None:
            calls.append((found["name"], found["args"]))
    return tuple(calls)


def parse(raw_path: str) -> ThumborRequest:
    """Parse the path after the dialect's prefix, e.g.
    ``/unsafe/fit-in/300x200/filters:fill(white)/photos/coffee.png``.

    The hash segment is any first segment that is not an option (thumbor's
    ``.+?``): a URL that is neither signed nor ``unsafe/`` parses with
    ``signature=None`` and ``unsafe=False``, and the handler refuses it.

    Raises:
        ThumborURLError: no image path.
    """
    path = raw_path.lstrip("/")
    first, _, rest = path.partition("/")
    if first == "unsafe":
        signature, unsafe, signed_part = None, True, rest
    elif rest and _looks_like_signature(first):
        signature, unsafe, signed_part = unquote(first), False, rest
    else:
        signature, unsafe, signed_part = None, False, path
    match = PATTERN.fullmatch("unsafe/" + signed_part) if signed_part else None
    if match is None or not match["unsafe"] or not match["image"]:
        raise ThumborURLError("the URL names no image")
    g = match.groupdict()
    crop = None
    if g["crop_left"] is not None:
        crop = Crop(
            int(g["crop_left"]), int(g["crop_top"]), int(g["crop_right"]), int(g["crop_bottom"])
        )
    return ThumborRequest(
        signature=signature,
        unsafe=unsafe,
        signed_part=signed_part,
        debug=bool(g["debug"]),
        meta=bool(g["meta"]),
        trim=_trim(g["trim"]),
        crop=crop,
        fit_in=bool(g["fit_in"]),
        full_fit_in=bool(g["full"]),
        adaptive=bool(g["adaptive"]),
        width=_dimension(g["width"]),
        height=_dimension(g["height"]),
        horizontal_flip=bool(g["horizontal_flip"]),
        vertical_flip=bool(g["vertical_flip"]),
        halign=g["halign"] or "center",
        valign=g["valign"] or "middle",
        smart=bool(g["smart"]),
        filters=parse_filters(g["filters"]),
        image=unquote(g["image"]),
    )


def _looks_like_signature(segment: str) -> bool:
    """A libthumbor hash: 28 urlsafe-base64 characters (``=`` may be sent
    percent-encoded)."""
    text = unquote(segment)
    return len(text) == SIGNATURE_LENGTH and re.fullmatch(r"[A-Za-z0-9_\-]+=?", text) is not None


# extract_focal() (thumbor/filters/extract_focal.py): the image may itself be
# a thumbor URL, host first, nested up to this deep.
EXTRACT_FOCAL_DEPTH = 10
HOST_PREFIX = re.compile(r"^(https?://)?.*?/")


def extracted_focal(image: str) -> tuple[str, Crop] | None:
    """The innermost image and its manual crop when ``image`` is a thumbor
    URL (``host/unsafe/LxT:RxB/.../inner.jpg``), as ``extract_focal()``
    reads it; None when it is not one, is neither signed nor ``unsafe``, or
    no level has a crop."""
    for _ in range(EXTRACT_FOCAL_DEPTH):
        try:
            inner = parse(HOST_PREFIX.sub("", image, count=1))
        except ThumborURLError:
            return None
        if not (inner.unsafe or inner.signature):
            return None
        if inner.crop is not None:
            return inner.image, inner.crop
        image = inner.image
    return None
