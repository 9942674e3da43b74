"""imgproxy Pro's ``/info/<signature>/<info options>/<source>``: the
source's info as JSON (https://docs.imgproxy.net/usage/getting_info), from
its header (the Probe RPC; nothing is decoded).

Answered: ``size|s``, ``format|f`` (and ``mime_type``), ``dimensions|d``
(upright, and ``orientation``), ``exif`` (canonical tag names), ``alpha|a``,
``pages_number|pn``, the security options ``msr`` / ``msfs``; and through
the Analyze RPC ``detect_objects|do`` (faces and COCO objects, boxes as
fractions), ``average|avg`` and ``dominant_colors|dc`` (without
``build_missed``). imgproxy's
other info options are parsed and answered 501 when turned on; an unknown
one is 404, as imgproxy answers."""

from __future__ import annotations

from typing import Any

from contract import vocabulary
from contract.object_classes import DETECTED_CLASSES
from gateway.imgproxy.options import (
    GO_FALSE,
    GO_TRUE,
    OPTIONS,
    OptionError,
    ParserConfig,
    split_options,
)
from gateway.imgproxy.source import decode
from imgmesh.v1 import transform_pb2

InfoOptions = dict[str, Any]

# name (and short name) -> the keys it sets, each from one argument, as booleans.
_FLAGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("size", "s"): ("size",),
    ("format", "f"): ("format",),
    ("dimensions", "d"): ("dimensions",),
    ("exif",): ("exif", "exif.canonical"),
    ("pages_number", "pn"): ("pages_number",),
    ("alpha", "a"): ("alpha", "alpha.check_transparency"),
    ("iptc",): ("iptc",),
    ("xmp",): ("xmp",),
    ("video_meta", "vm"): ("video_meta",),
    ("detect_objects", "do"): ("detect_objects",),
    ("colorspace", "cs"): ("colorspace",),
    ("bands", "b"): ("bands",),
    ("sample_format", "sf"): ("sample_format",),
    ("average", "avg"): ("average", "average.ignore_transparent"),
    ("dominant_colors", "dc"): ("dominant_colors", "dominant_colors.build_missed"),
    ("calc_hashsums", "chs"): ("calc_hashsums",),
}
# imgproxy's defaults (on: size, format, dimensions, exif, iptc, xmp, video_meta).
DEFAULTS: InfoOptions = {
    "size": True,
    "format": True,
    "dimensions": True,
    "exif": True,
    "iptc": True,
    "xmp": True,
    "video_meta": True,
}
# Answered from the header; the rest, turned on, is 501 (iptc, xmp and
# video_meta are on by default and left out of the answer instead).
ANSWERED = (
    "size", "format", "dimensions", "exif", "pages_number", "alpha", "detect_objects", "average",
    "dominant_colors",
)  # fmt: skip
SILENT = ("iptc", "xmp", "video_meta", "exif.canonical", "average.ignore_transparent")
# class_id of detect_objects: the index in imgmesh's detectors' classes.
CLASS_IDS = {name: i for i, name in enumerate(DETECTED_CLASSES)}
# The security options /info takes, parsed as the processing options are.
SECURITY_OPTIONS = ("max_src_resolution", "msr", "max_src_file_size", "msfs")
# Options taking numbers, parsed and refused with 501 when set.
_NUMERIC = {
    ("classify", "cl"),
    ("crop", "c"),
    ("objects_position", "obj_pos", "op"),
    ("palette", "p"),
    ("blurhash", "bh"),
}


def _flag(text: str) -> bool:
    if text not in GO_TRUE + GO_FALSE:
        return False  # imgproxy warns and treats it as false
    return text in GO_TRUE


def _apply(o: InfoOptions, name: str, args: list[str], config: ParserConfig) -> None:
    """One info option into ``o``.

    Raises:
        OptionError: unknown (404), too many arguments (404), a security
            option not allowed (403).
    """
    for names, keys in _FLAGS.items():
        if name in names:
            if len(args) > len(keys):
                raise OptionError(keys[0], f"Invalid {keys[0]} arguments: {':'.join(args)}")
            o.update({key: _flag(arg) for key, arg in zip(keys, args, strict=False)})
            return
    for names in _NUMERIC:
        if name in names:
            o[names[0]] = any(arg not in ("", "0") for arg in args)
            return
    if name not in SECURITY_OPTIONS:
        raise OptionError(name, f"Unknown info option: {name}")
    OPTIONS[name](o, args, config, ())  # as the processing options parse them


def parse_info_path(path: str, config: ParserConfig) -> tuple[InfoOptions, str]:
    """(info options, source URL) of an ``/info`` path after its signature.

    Raises:
        OptionError: an unknown option (404), a security option not allowed
            (403), a bad source (404).
    """
    parts = path.removeprefix("/").split("/")
    opts, rest = split_options(parts, config.separator)
    o = dict(DEFAULTS)
    for opt in opts:
        _apply(o, opt.name, list(opt.args), config)
    url, _ = decode(rest, config)
    return o, url


def unanswered(o: InfoOptions) -> str:
    """The first info option turned on that imgmesh does not answer ("" = none)."""
    for key, on in o.items():
        if on and key not in ANSWERED and key not in SILENT and not key.startswith("max_src"):
            return key
    return ""


def analysis_request(o: InfoOptions) -> transform_pb2.AnalyzeRequest | None:
    """The Analyze call for ``detect_objects`` / ``average`` /
    ``dominant_colors`` (None: none of them; the source is set by the caller)."""
    if not (o.get("detect_objects") or o.get("average") or o.get("dominant_colors")):
        return None
    return transform_pb2.AnalyzeRequest(
        detect_objects=bool(o.get("detect_objects")),
        average_color=bool(o.get("average")),
        average_keeps_transparent=not o.get("average.ignore_transparent", True),
        dominant_colors=bool(o.get("dominant_colors")),
        skip_labels=True,
    )


def info_json(
    o: InfoOptions,
    header: transform_pb2.ProbeReply,
    analysis: transform_pb2.AnalyzeReply | None = None,
) -> dict[str, Any]:
    """The JSON imgproxy answers for the asked-for info of a source whose
    header is ``header`` (and ``analysis``, for objects, the average and the
    dominant colours)."""
    out: dict[str, Any] = {}
    if o.get("size"):
        out["size"] = header.size_bytes
    if o.get("format"):
        out["format"] = vocabulary.media_type_format(header.content_type)
        out["mime_type"] = header.content_type
    if o.get("dimensions"):
        out["width"], out["height"] = header.width, header.height
        out["orientation"] = header.orientation or 1
    if o.get("exif"):
        out["exif"] = dict(sorted(header.exif.items()))
    if o.get("pages_number"):
        out["pages_number"] = header.frames
    if o.get("alpha"):
        out["alpha"] = header.has_alpha
    if analysis is not None and o.get("detect_objects"):
        out["objects"] = [
            {
                "class_id": CLASS_IDS.get(d.class_name, -1),
                "class_name": d.class_name,
                "confidence": round(d.confidence, 6),
                "left": d.left,
                "top": d.top,
                "width": d.width,
                "height": d.height,
            }
            for d in analysis.objects
        ]
    if analysis is not None and o.get("average"):
        c = analysis.average
        out["average"] = {"R": c.r, "G": c.g, "B": c.b, "A": c.a}
    if analysis is not None and o.get("dominant_colors"):
        out["dominant_colors"] = {
            name: {"R": c.r, "G": c.g, "B": c.b}
            for name, c in sorted(analysis.dominant_colors.items())
        }
    return out
