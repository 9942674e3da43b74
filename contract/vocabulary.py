"""The vocabulary every URL dialect maps onto: crop/fit modes, gravity/focus
kinds, output formats and their MIME types, output flags and layer blend
modes, each named once from the ``protos/`` enums.

A dialect's module spells these its own way (ImageKit ``cm-pad_resize``,
thumbor ``fit-in``, imgproxy ``rs:fit``) and maps that spelling onto the
canonical names here -- the enum value's name without its prefix, lower case
(``CROP_MODE_PAD_RESIZE`` -> ``"pad_resize"``) -- never onto a table of its
own. ``tests/unit/test_vocabulary.py`` fails when a vocabulary table is
written outside ``contract/``.

Pure protobuf: no libvips, no model server.
"""

from __future__ import annotations

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from imgmesh.v1 import edit_pb2


def canonical_names(enum: EnumTypeWrapper, prefix: str) -> dict[str, int]:
    """``{"pad_resize": CROP_MODE_PAD_RESIZE, ...}`` for every value of
    ``enum`` but ``*_UNSPECIFIED``: the value's name less ``prefix``, lower case."""
    return {
        name.removeprefix(prefix).lower(): number
        for name, number in enum.items()
        if not name.endswith("UNSPECIFIED")
    }


# --- crop and fit modes (edit_pb2.CropMode) -------------------------------------------

CROP_MODES: dict[str, int] = canonical_names(edit_pb2.CropMode, "CROP_MODE_")
# Modes that fit the image inside the box (the box is an upper bound).
FIT_MODES: tuple[int, ...] = tuple(
    CROP_MODES[n] for n in ("at_max", "at_max_enlarge", "pad_resize")
)
# Modes that cut a region out of the unresized image.
EXTRACT_MODES: tuple[int, ...] = tuple(CROP_MODES[n] for n in ("extract", "pad_extract"))
# Modes that pad to the box with the background colour.
PAD_MODES: tuple[int, ...] = tuple(CROP_MODES[n] for n in ("pad_resize", "pad_extract"))

# --- gravity / focus (edit_pb2.Focus) -------------------------------------------------

FOCUS: dict[str, int] = canonical_names(edit_pb2.Focus, "FOCUS_")
# The nine compass positions (centre and the eight edges/corners).
COMPASS_FOCUS: dict[str, int] = {
    name: FOCUS[name]
    for name in (
        "center",
        "top",
        "bottom",
        "left",
        "right",
        "top_left",
        "top_right",
        "bottom_left",
        "bottom_right",
    )
}
# Focus found by a detector in Triton (faces; the object class in Resize.focus_object).
DETECTED_FOCUS: tuple[int, ...] = (FOCUS["face"], FOCUS["object"])
# Focus kinds that crop around Resize.focus_box: the detected ones and the
# media-library file's stored customCoordinates.
BOX_FOCUS: tuple[int, ...] = (*DETECTED_FOCUS, FOCUS["custom"])


def compass(vertical: str, horizontal: str) -> int:
    """The compass focus for a vertical (``top|center|bottom``) and a
    horizontal (``left|center|right``) alignment, e.g. ``("top", "left")`` ->
    FOCUS_TOP_LEFT.

    Raises:
        KeyError: a word outside those.
    """
    if vertical not in ("top", "center", "bottom") or horizontal not in ("left", "center", "right"):
        raise KeyError(f"{vertical}/{horizontal}")
    parts = [p for p in (vertical, horizontal) if p != "center"]
    return FOCUS["_".join(parts) or "center"]


# --- output formats (edit_pb2.Format) -------------------------------------------------

# Concrete output formats by canonical name (``auto`` is not a format).
FORMATS: dict[str, int] = {
    n: v for n, v in canonical_names(edit_pb2.Format, "FORMAT_").items() if n != "auto"
}
FORMAT_AUTO: int = edit_pb2.FORMAT_AUTO
# The other spellings users write for a format (file extensions).
FORMAT_ALIASES: dict[str, str] = {"jpg": "jpeg"}
# RFC 6838 media types (IANA image/*; AVIF: https://aomediacodec.github.io/av1-avif/).
MEDIA_TYPES: dict[int, str] = {v: f"image/{n}" for n, v in FORMATS.items()}
FORMAT_BY_MEDIA_TYPE: dict[str, int] = {t: v for v, t in MEDIA_TYPES.items()}
_FORMAT_NAMES: dict[int, str] = {v: n for n, v in FORMATS.items()}
# Media types of the source formats libvips reads here that imgmesh does not
# write (IANA; SVG: https://www.w3.org/TR/SVG11/mimereg.html), by loader name.
SOURCE_ONLY_MEDIA_TYPES: dict[str, str] = {"tiff": "image/tiff", "svg": "image/svg+xml"}
# File extensions of the formats imgmesh reads, the ones it writes first
# (a Cloudinary public id's file is found by its stem plus one of these).
READ_EXTENSIONS: tuple[str, ...] = (*FORMAT_ALIASES, *FORMATS, *SOURCE_ONLY_MEDIA_TYPES, "tif")
# Formats whose files may hold several frames (an animation survives them).
ANIMATED_FORMATS: tuple[int, ...] = (FORMATS["gif"], FORMATS["webp"])


def format_named(name: str) -> int | None:
    """The Format for a name or alias (``jpg``, ``jpeg``, ``webp``...), any
    case; None when it names no format."""
    key = name.lower()
    return FORMATS.get(FORMAT_ALIASES.get(key, key))


def format_names(*formats: int, aliases: bool = True) -> dict[str, int]:
    """``{name: Format}`` for ``formats`` (all when none), with their aliases
    (``jpg``) unless ``aliases`` is False: the spellings a dialect accepts."""
    wanted = set(formats or FORMATS.values())
    names = {n: v for n, v in FORMATS.items() if v in wanted}
    if aliases:
        names |= {a: FORMATS[n] for a, n in FORMAT_ALIASES.items() if FORMATS[n] in wanted}
    return names


def format_name(fmt: int) -> str:
    """The canonical name of a concrete Format (``jpeg``, ``png``...).

    Raises:
        KeyError: not a concrete format.
    """
    return _FORMAT_NAMES[fmt]


def media_type_format(media_type: str) -> str:
    """The format name of a media type, written or only read (``image/jpeg``
    -> ``jpeg``, ``image/svg+xml`` -> ``svg``); "" for none."""
    fmt = FORMAT_BY_MEDIA_TYPE.get(media_type)
    if fmt is not None:
        return _FORMAT_NAMES[fmt]
    return next((n for n, t in SOURCE_ONLY_MEDIA_TYPES.items() if t == media_type), "")


# --- output flags (edit_pb2.Encode's bool fields) -------------------------------------

ENCODE_FLAGS: tuple[str, ...] = tuple(
    f.name for f in edit_pb2.Encode.DESCRIPTOR.fields if f.type == f.TYPE_BOOL
)

# --- layers (edit_pb2.Overlay) --------------------------------------------------------

BLEND_MODES: dict[str, int] = canonical_names(edit_pb2.Overlay.Blend, "BLEND_")
