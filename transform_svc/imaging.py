"""libvips helpers shared by loading, the ops and encoding.

All pixels inside the pipeline are 8-bit sRGB with an optional alpha band
(3 or 4 bands, ``uchar``). :func:`to_srgb` establishes that right after load.
"""

from __future__ import annotations

import re

import pyvips
from google.protobuf.message import Message

from imgmesh.v1 import edit_pb2
from transform_svc.errors import TransformError, too_large, unsupported

# ImageKit's default background colour ("bg ... Default Value - black"),
# https://imagekit.io/docs/effects-and-enhancements#background-color---bg
DEFAULT_BACKGROUND = (0, 0, 0, 255)

# Focus -> libvips compass direction (vips_gravity / VipsCompassDirection).
COMPASS: dict[int, str] = {
    edit_pb2.FOCUS_UNSPECIFIED: "centre",
    edit_pb2.FOCUS_CENTER: "centre",
    edit_pb2.FOCUS_AUTO: "centre",
    edit_pb2.FOCUS_TOP: "north",
    edit_pb2.FOCUS_BOTTOM: "south",
    edit_pb2.FOCUS_LEFT: "west",
    edit_pb2.FOCUS_RIGHT: "east",
    edit_pb2.FOCUS_TOP_LEFT: "north-west",
    edit_pb2.FOCUS_TOP_RIGHT: "north-east",
    edit_pb2.FOCUS_BOTTOM_LEFT: "south-west",
    edit_pb2.FOCUS_BOTTOM_RIGHT: "south-east",
}


def load(buffer: bytes, access: str = "random") -> pyvips.Image:
    """Open an encoded image (header only; pixels decode lazily).

    ``access``: libvips access pattern, ``random`` (any order, several passes;
    the decoded image is held in memory) or ``sequential`` (one top-to-bottom
    pass, streamed).

    Raises:
        TransformError: unsupported_image if libvips knows no loader for it.
    """
    try:
        return pyvips.Image.new_from_buffer(buffer, "", access=access)
    except pyvips.Error as exc:
        raise vips_failure(exc, "image could not be decoded") from exc


# Library and operation names at the start of libvips messages ("VipsJpeg: ",
# "gifload_buffer: ", "vips__region_buffer: "): internal, not for clients.
_INTERNAL_NAMES = re.compile(
    r"(?i)\b(?:lib)?vips\w*:?\s*|\b\w+(?:load|save)(?:_buffer|_source)?:\s*"
)


def first_line(exc: pyvips.Error) -> str:
    """The first line of a libvips error, without library or operation names."""
    text = (exc.detail or exc.message or "").strip()
    line = _INTERNAL_NAMES.sub("", text.splitlines()[0] if text else "").strip()
    return line or "the image data is invalid"


def vips_failure(exc: pyvips.Error, what: str) -> TransformError:
    """The client-facing error for a libvips failure during ``what``.

    Returns:
        image_too_large (413) when libvips ran out of memory (the worker's
        address-space cap, transform_svc.workers), else unsupported_image (415)
        with the first line of the message, library names removed.
    """
    text = f"{exc.message} {exc.detail or ''}".lower()
    if "out of memory" in text or "memory allocation" in text:
        return too_large(f"{what}: the render needs more memory than a worker may use")
    return unsupported(f"{what}: {first_line(exc)}")


def upright_size(image: pyvips.Image) -> tuple[int, int]:
    """(width, height) in px after EXIF autorotation (orientations 5-8 swap axes)."""
    orientation = image.get("orientation") if image.get_typeof("orientation") else 1
    if orientation in (5, 6, 7, 8):
        return image.height, image.width
    return image.width, image.height


def exif_tags(image: pyvips.Image) -> dict[str, str]:
    """EXIF tags by canonical name -> human-readable value, from libvips'
    ``exif-ifdN-<Name>`` fields, each "raw (value, Type, N components, M
    bytes)" (libvips exif.c ``vips_exif_to_s``)."""
    tags = {}
    for field in image.get_fields():
        if field.startswith("exif-ifd"):
            raw, value = _exif_parts(str(image.get(field)))
            name = field.split("-", 2)[2]  # IFD0 first: a thumbnail's IFD1 tag does not replace it
            tags.setdefault(name, raw if value.startswith("Internal error") else value)
    return tags


def _exif_parts(text: str) -> tuple[str, str]:
    """(raw, formatted value) of one libvips EXIF string; the parenthesis
    that closes the string is matched from the end (values hold parentheses)."""
    if not text.endswith(")"):
        return text, text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            inner = text[i + 1 : -1]
            return text[:i].rstrip(), inner.rsplit(", ", 3)[0]
    return text, text


def needs_autorot(image: pyvips.Image) -> bool:
    """True when EXIF orientation asks for a rotation or flip (2..8): upright
    pixels then need a second, out-of-order pass over the decoded image."""
    orientation = image.get("orientation") if image.get_typeof("orientation") else 1
    return orientation not in (0, 1)


def to_srgb(image: pyvips.Image, *, apply_icc: bool = True) -> pyvips.Image:
    """Convert to 8-bit sRGB, 3 bands + optional alpha.

    With ``apply_icc`` an embedded ICC profile is honoured (``icc_transform``),
    and CMYK without one uses libvips' built-in CMYK fallback profile. The
    thumbnail path has already done this, so it passes ``apply_icc=False``.
    """
    if apply_icc:
        if image.get_typeof("icc-profile-data"):
            try:
                image = image.icc_transform("srgb", embedded=True, intent="perceptual")
            except pyvips.Error:
                pass  # unusable embedded profile: fall back to colourspace below
        elif image.interpretation == "cmyk":
            image = image.icc_transform("srgb", input_profile="cmyk")
    if image.interpretation != "srgb" or image.format != "uchar":
        image = image.colourspace("srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
    if image.bands == 2:  # grey + alpha after a partial conversion
        image = image[0].bandjoin([image[0], image[0], image[1]])
    return image


def set_color(message: Message, field: str) -> edit_pb2.Color | None:
    """``message.field`` when the graph sets it, else None: a set
    ``Color(0, 0, 0, 0)`` is transparent, an unset one the default."""
    return getattr(message, field) if message.HasField(field) else None


def background_for(image: pyvips.Image, color: edit_pb2.Color | None) -> list[float]:
    """Colour as a libvips background vector matching ``image``'s band count;
    None (unset, :func:`set_color`) means DEFAULT_BACKGROUND."""
    rgba = DEFAULT_BACKGROUND if color is None else (color.r, color.g, color.b, color.a)
    return list(rgba[: image.bands]) if image.bands >= 3 else [rgba[0]]


def needs_alpha(color: edit_pb2.Color | None) -> bool:
    """True when the colour is set and (partly) transparent."""
    return color is not None and color.a < 255


def ensure_alpha(image: pyvips.Image) -> pyvips.Image:
    """Add an opaque alpha band if the image has none."""
    return image if image.hasalpha() else image.bandjoin_const([255])


def resize_exact(image: pyvips.Image, width: int, height: int) -> pyvips.Image:
    """Resize to exactly ``width`` x ``height`` px (aspect ignored) with pixel
    centres aligned, for model inputs and the masks mapped back from them.

    Shrinking axes use libvips' lanczos3 reduce, which is centre-aligned.
    Enlarging axes use a bicubic affine with the output offset ``(s - 1) / 2``
    (so input pixel centre ``x + 0.5`` lands on ``(x + 0.5) * s``), because
    ``vips_resize`` / ``thumbnail_image`` enlarge corner-aligned: half an output
    pixel off, which moved ISNet's matte against the photo and cost 0.006 mean
    IoU on products (bench/quality.py). Edges extend by copying.

    Raises:
        ValueError: a target side below 1 px.
    """
    if width < 1 or height < 1:
        raise ValueError(f"target size must be at least 1x1 px, got {width}x{height}")
    hscale, vscale = width / image.width, height / image.height
    if hscale < 1 or vscale < 1:
        image = image.resize(min(hscale, 1.0), vscale=min(vscale, 1.0), kernel="lanczos3")
    if image.width == width and image.height == height:
        return image
    hscale, vscale = width / image.width, height / image.height
    return image.affine(
        [hscale, 0, 0, vscale],
        odx=(hscale - 1) / 2,
        ody=(vscale - 1) / 2,
        oarea=[0, 0, width, height],
        interpolate=pyvips.Interpolate.new("bicubic"),
        extend="copy",
    )


def solid(width: int, height: int, color: edit_pb2.Color) -> pyvips.Image:
    """An sRGB RGBA image, ``width`` x ``height`` px, all ``color``."""
    return (
        (pyvips.Image.black(width, height, bands=4) + [color.r, color.g, color.b, color.a])
        .cast("uchar")
        .copy(interpretation="srgb")
    )
