"""SVG sanitising before rasterising (and before returning an SVG untouched).

An SVG is XML that may carry scripts, event handlers, external references
(``href``/``xlink:href``, CSS ``url()``/``@import``) and entity expansion
("billion laughs"). librsvg does not run scripts, but it may resolve
references, and an SVG passed through (``orig-true``) reaches browsers. We
parse with defusedxml (no DTD, entities or external references), then keep only elements and
attributes that cannot reach outside the document: the approach of
DOMPurify's SVG profile, reduced to the parts a raster server needs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib

import defusedxml.ElementTree
import pyvips
from defusedxml import DefusedXmlException

from transform_svc.errors import too_large, unsupported

# Serialise without ns0: prefixes (plain SVG, as librsvg and browsers expect).
ET.register_namespace("", "http://www.w3.org/2000/svg")
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

MAX_SVG_BYTES = 10 * 1024 * 1024  # decompressed SVGZ bound
FORBIDDEN_ELEMENTS = frozenset(
    {
        "script",
        "foreignObject",
        "iframe",
        "object",
        "embed",
        "audio",
        "video",
        "handler",
        "listener",
        "animate",
        "set",
        "animateMotion",
        "animateTransform",
    }
)
REFERENCE_ATTRIBUTES = frozenset({"href", "src"})
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*>", re.IGNORECASE)
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#|data:image/)", re.IGNORECASE)
_SVG_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(svg|!DOCTYPE\s+svg)\b", re.S | re.I
)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _decompress(buffer: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(buffer, MAX_SVG_BYTES + 1)
    except zlib.error as exc:
        raise unsupported(f"SVGZ could not be decompressed: {exc}") from exc
    if len(data) > MAX_SVG_BYTES:
        raise too_large(f"SVG is over {MAX_SVG_BYTES} bytes once decompressed")
    return data


def libvips_loader(buffer: bytes) -> str:
    """The libvips loader that would open ``buffer`` (e.g.
    ``VipsForeignLoadSvgBuffer``), "" when none: libvips' own sniffing
    (``vips_foreign_find_load_buffer``), which reads only the first bytes, so
    nothing is parsed yet."""
    name = pyvips.vips_lib.vips_foreign_find_load_buffer(buffer, len(buffer))
    return "" if name == pyvips.ffi.NULL else pyvips.ffi.string(name).decode()


def is_svg(buffer: bytes) -> bool:
    """True for anything libvips would load as SVG (whatever its prolog:
    ``<!DOCTYPE html>``, processing instructions, kilobytes of whitespace),
    and for SVG text or SVGZ by their start."""
    if "Svg" in libvips_loader(buffer):
        return True
    head = buffer[:4096]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(buffer[:65536], 4096)
        except zlib.error:
            return False
    return bool(_SVG_START.match(head.lstrip(b"\xef\xbb\xbf")))


def _unsafe_value(name: str, value: str) -> bool:
    local = _local(name)
    if local.lower().startswith("on"):
        return True
    if local in REFERENCE_ATTRIBUTES:
        v = value.strip()
        return not (v.startswith("#") or v.lower().startswith("data:image/"))
    if local == "style" or "url(" in value:
        return bool(_EXTERNAL_URL.search(value)) or "@import" in value.lower()
    return False


def sanitise(buffer: bytes) -> bytes:
    """Sanitised SVG bytes (plain text, even for SVGZ input).

    Raises:
        TransformError: unsupported_image for a DOCTYPE/entities or bad XML;
            image_too_large for an SVGZ that inflates past MAX_SVG_BYTES.
    """
    data = _decompress(buffer) if buffer[:2] == b"\x1f\x8b" else buffer
    if len(data) > MAX_SVG_BYTES:
        raise too_large(f"SVG is over {MAX_SVG_BYTES} bytes")
    # A plain DOCTYPE (no internal subset) is harmless and common (Inkscape,
    # Illustrator): drop it. Anything else DTD-like (entities, an internal
    # subset, external references) is refused by defusedxml's parser.
    data = _DOCTYPE.sub(b"", data, count=1)
    try:
        root = defusedxml.ElementTree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise unsupported("SVG with a DTD or entity declarations is refused") from None
    except ET.ParseError as exc:
        raise unsupported(
            f"SVG is not well-formed XML ({exc.position[0]}:{exc.position[1]})"
        ) from None
    for parent in root.iter():
        for child in list(parent):
            if not isinstance(child.tag, str) or _local(child.tag) in FORBIDDEN_ELEMENTS:
                parent.remove(child)
            elif (
                _local(child.tag) == "style"
                and child.text
                and (_EXTERNAL_URL.search(child.text) or "@import" in child.text.lower())
            ):
                parent.remove(child)
        for name in list(parent.attrib):
            if _unsafe_value(name, parent.attrib[name]):
                del parent.attrib[name]
    return ET.tostring(root)


def sanitise_if_svg(buffer: bytes) -> bytes:
    """:func:`sanitise` for SVG/SVGZ input, anything else unchanged."""
    return sanitise(buffer) if is_svg(buffer) else buffer
