"""Output format choice and encoding.

Format rules (ImageKit ``f-auto``, https://imagekit.io/docs/image-optimization):
AVIF if the client accepts it, else WebP if accepted, else the source's own
format -- PNG instead of JPEG when the output has alpha that must survive.
Metadata is stripped (pixels are already sRGB).
"""

from __future__ import annotations

import pyvips

from contract import vocabulary
from contract.vocabulary import ANIMATED_FORMATS, MEDIA_TYPES
from imgmesh.v1 import edit_pb2

DEFAULT_QUALITY = 80  # ImageKit's default q

# libvips loaders named after another format than the one they load.
_LOADER_ALIASES = {"heif": "avif"}


def _loader_base(loader: str) -> str:
    base = loader.removesuffix("_buffer").removesuffix("_source").removesuffix("load")
    return _LOADER_ALIASES.get(base, base)


def source_format(loader: str) -> int:
    """Format of the source from libvips' loader name (e.g. ``jpegload_buffer``
    -> FORMAT_JPEG); FORMAT_UNSPECIFIED for a loader of no output format (TIFF, SVG...)."""
    fmt = vocabulary.format_named(_loader_base(loader))
    return edit_pb2.FORMAT_UNSPECIFIED if fmt is None else fmt


def source_media_type(loader: str) -> str:
    """Media type of the source from libvips' loader name (``image/jpeg``,
    ``image/tiff``...); ``application/octet-stream`` for a loader of none."""
    fmt = source_format(loader)
    if fmt in MEDIA_TYPES:
        return MEDIA_TYPES[fmt]
    return vocabulary.SOURCE_ONLY_MEDIA_TYPES.get(_loader_base(loader), "application/octet-stream")


def choose_format(
    encode: edit_pb2.Encode, source: int, has_alpha: bool, animated: bool = False
) -> int:
    """Resolve AUTO to a concrete format (one of contract.vocabulary.FORMATS).
    Animations stay animated under AUTO: WebP if accepted, else the source's
    GIF/WebP (AVIF output here is a still image)."""
    fmt = encode.format
    if fmt in MEDIA_TYPES:
        return fmt
    if fmt in (edit_pb2.FORMAT_AUTO, edit_pb2.FORMAT_UNSPECIFIED):
        accepted = set(encode.accepted)
        if animated:
            if edit_pb2.FORMAT_WEBP in accepted:
                return edit_pb2.FORMAT_WEBP
            return source if source in ANIMATED_FORMATS else edit_pb2.FORMAT_GIF
        if edit_pb2.FORMAT_AVIF in accepted:
            return edit_pb2.FORMAT_AVIF
        if edit_pb2.FORMAT_WEBP in accepted:
            return edit_pb2.FORMAT_WEBP
    if source in MEDIA_TYPES and not (source == edit_pb2.FORMAT_JPEG and has_alpha):
        return source
    return edit_pb2.FORMAT_PNG if has_alpha else edit_pb2.FORMAT_JPEG


def keep_flags(enc: edit_pb2.Encode) -> int:
    """libvips ForeignKeep flags: nothing by default; md-true keeps EXIF/XMP/IPTC,
    cp-true keeps the ICC profile (the pixels are sRGB either way)."""
    flags = pyvips.enums.ForeignKeep.NONE
    if enc.keep_metadata:
        flags |= (
            pyvips.enums.ForeignKeep.EXIF
            | pyvips.enums.ForeignKeep.XMP
            | pyvips.enums.ForeignKeep.IPTC
        )
    if enc.keep_color_profile:
        flags |= pyvips.enums.ForeignKeep.ICC
    return flags


def without_metadata(image: pyvips.Image) -> pyvips.Image:
    """A copy with every EXIF/XMP/IPTC field removed (pixels and ICC untouched)."""
    image = image.copy()
    for name in image.get_fields():
        if name.startswith("exif-") or name in ("xmp-data", "iptc-data"):
            image.remove(name)
    return image


# thumbor's max_bytes search (thumbor/handlers/__init__.py reload_to_fit_in_kb):
# quality x 0.75 a try, giving up below 10.
MAX_BYTES_STEP = 0.75
MAX_BYTES_LOWEST_QUALITY = 10


def encode(image: pyvips.Image, fmt: int, enc: edit_pb2.Encode) -> bytes:
    """Encode as :func:`encode_once`; with ``enc.max_bytes`` and a JPEG or
    WebP, lower the quality (x 0.75 a try, not below 10) until the file fits,
    returning the first encode when none does (thumbor's max_bytes)."""
    if not enc.max_bytes or fmt not in (edit_pb2.FORMAT_JPEG, edit_pb2.FORMAT_WEBP):
        return encode_once(image, fmt, enc)
    image = image.copy_memory()  # encoded several times: render the pipeline once
    first = data = encode_once(image, fmt, enc)
    quality = enc.quality or DEFAULT_QUALITY
    while len(data) > enc.max_bytes:
        quality = int(quality * MAX_BYTES_STEP)
        if quality < MAX_BYTES_LOWEST_QUALITY:
            return first
        attempt = edit_pb2.Encode()
        attempt.CopyFrom(enc)
        attempt.quality = quality
        data = encode_once(image, fmt, attempt)
    return data


def encode_once(image: pyvips.Image, fmt: int, enc: edit_pb2.Encode) -> bytes:
    """Encode an sRGB uchar image (3/4 bands) to ``fmt``.

    JPEG has no alpha: a 4-band image is flattened onto white first.
    ``enc.quality`` 1..100 (0 = DEFAULT_QUALITY) for JPEG/WebP/AVIF;
    ``lossless`` for WebP/AVIF; ``progressive`` for JPEG (progressive) and PNG
    (Adam7 interlace); ``dpi`` written as the file's pixel density.
    """
    q = enc.quality or DEFAULT_QUALITY
    keep = keep_flags(enc)
    if enc.dpi:  # libvips resolution is pixels per mm (PNG pHYs, JPEG JFIF density)
        image = image.copy(xres=enc.dpi / 25.4, yres=enc.dpi / 25.4)
    if fmt == edit_pb2.FORMAT_JPEG:
        if enc.dpi and not enc.keep_metadata:
            # libvips writes a JPEG's density only in EXIF: keep a fresh EXIF
            # block holding just the resolution, never the source's tags.
            image = without_metadata(image)
            keep |= pyvips.enums.ForeignKeep.EXIF
        if image.hasalpha():
            image = image.flatten(background=[255, 255, 255]).cast("uchar")
        return image.jpegsave_buffer(
            Q=q, optimize_coding=True, interlace=enc.progressive, keep=keep
        )
    if fmt == edit_pb2.FORMAT_PNG:
        return image.pngsave_buffer(compression=6, interlace=enc.progressive, keep=keep)
    if fmt == edit_pb2.FORMAT_WEBP:
        return image.webpsave_buffer(Q=q, lossless=enc.lossless, keep=keep)
    if fmt == edit_pb2.FORMAT_AVIF:
        return image.heifsave_buffer(
            Q=q, lossless=enc.lossless, compression="av1", effort=2, keep=keep
        )
    if fmt == edit_pb2.FORMAT_GIF:
        return image.gifsave_buffer(keep=keep)
    raise ValueError(f"unknown format {fmt}")
