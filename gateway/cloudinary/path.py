"""A Cloudinary delivery URL path, split as Cloudinary's SDKs build it
(pycloudinary ``cloudinary_url``)::

    /<cloud_name>/<resource_type>/<type>/[s--SIG--/][components/][v<version>/]<public_id>[.<format>]

``iu`` is the SDKs' ``shorten`` spelling of ``image/upload``. A transformation
component is a path segment whose comma-separated items all start with a
known key (``w_``, ``c_``...) or a variable (``$name_``); the first segment
that is not one (or the one after ``v<version>``) starts the public id. The
SDKs write ``v1`` before a public id with folders, so a folder named like a
component is never mistaken for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract import vocabulary

SIGNATURE = re.compile(r"s--([A-Za-z0-9_-]{8}|[A-Za-z0-9_-]{32})--")
VERSION = re.compile(r"v[0-9]{1,20}")
# Every transformation key the SDKs emit (generate_transformation_string).
KEYS = frozenset(
    "a ac af ar b bo br c co cs d dl dn dpr du e eo f fl fn fps g h if ki l o p pg q r "
    "so sp t u vc vs w x y z".split()
)
ITEM = re.compile(r"(\$[A-Za-z][A-Za-z0-9]*|[a-z]{1,3})_")
DELIVERY_TYPES = ("upload", "fetch", "private", "authenticated")
REMOTE = re.compile(r"https?:/+", re.IGNORECASE)


class PathError(ValueError):
    """The path is no Cloudinary delivery URL (Cloudinary answers 404)."""


@dataclass(frozen=True)
class DeliveryPath:
    """One delivery URL path.

    Attributes:
        cloud_name: the account's cloud name.
        resource_type: ``image`` (``video`` and ``raw`` are refused by the handler).
        delivery_type: upload | fetch | private | authenticated (others kept as written).
        signature: the ``s--...--`` segment's characters, or None.
        components: the transformation components, raw (percent-encoded) text.
        version: the ``v<digits>`` segment, or "".
        public_id: the public id as written (percent-encoded), with its extension.
        format: the extension when it names an image format (lowercase), else "".
        signed_part: what the signature covers: ``components/public_id`` (no version).
    """

    cloud_name: str
    resource_type: str
    delivery_type: str
    signature: str | None
    components: tuple[str, ...]
    version: str
    public_id: str
    format: str
    signed_part: str


def is_component(segment: str) -> bool:
    """True when every comma-separated item of ``segment`` starts with a
    transformation key or a variable name (``if_end`` / ``if_else`` included)."""
    if not segment:
        return False
    for item in segment.split(","):
        m = ITEM.match(item)
        if m is None or not (m.group(1).startswith("$") or m.group(1) in KEYS):
            return False
    return True


def extension(public_id: str) -> str:
    """The public id's extension when it names a format imgmesh reads or
    writes (``jpg``, ``png``, ``webp``...), lowercase; else ""."""
    last = public_id.rsplit("/", 1)[-1]
    stem, dot, ext = last.rpartition(".")
    if not dot or not stem:
        return ""
    ext = ext.lower()
    return ext if ext in vocabulary.READ_EXTENSIONS else ""


def parse(raw_path: str) -> DeliveryPath:
    """Split ``/<cloud_name>/<resource_type>/<type>/...`` (raw, undecoded).

    Raises:
        PathError: too few segments or no public id.
    """
    parts = raw_path.lstrip("/").split("/")
    if len(parts) >= 2 and parts[1] == "iu":
        parts = [parts[0], "image", "upload", *parts[2:]]
    if len(parts) < 4 or not parts[0]:
        raise PathError("a delivery URL is /<cloud_name>/<resource_type>/<type>/<public_id>")
    cloud, resource_type, delivery_type, rest = parts[0], parts[1], parts[2], parts[3:]
    signature = None
    if rest and (m := SIGNATURE.fullmatch(rest[0])):
        signature, rest = m.group(1), rest[1:]
    components: list[str] = []
    version = ""
    i = 0
    while i < len(rest) - 1:  # the last segment is always the public id
        seg = rest[i]
        if VERSION.fullmatch(seg):
            version, i = seg, i + 1
            break
        if REMOTE.match(seg) or not is_component(seg):
            break
        components.append(seg)
        i += 1
    public = rest[i:]
    public_id = "/".join(public)
    if not public_id or not all(public[:-1]) and delivery_type != "fetch":
        raise PathError("the delivery URL names no public id")
    signed = "/".join([*components, public_id])
    return DeliveryPath(
        cloud_name=cloud,
        resource_type=resource_type,
        delivery_type=delivery_type,
        signature=signature,
        components=tuple(components),
        version=version,
        public_id=public_id,
        format="" if delivery_type == "fetch" else extension(public_id),
        signed_part=signed,
    )
