"""Content negotiation: which image formats the client's Accept header
allows, and the client hints (DPR, width) it sends."""

from __future__ import annotations

from collections.abc import Mapping

from contract.vocabulary import FORMAT_BY_MEDIA_TYPE
from imgmesh.v1 import edit_pb2

# The formats a client must name in Accept to get them under f-auto.
NEGOTIATED = (edit_pb2.FORMAT_AVIF, edit_pb2.FORMAT_WEBP)


def accepted_formats(accept: str | None) -> list[int]:
    """Modern formats listed in ``Accept`` with q > 0 (RFC 9110 section 12.5.1).

    ``image/*`` or ``*/*`` do not count: browsers that can decode AVIF/WebP
    name them explicitly, and a wildcard alone (curl) must get the source format.
    """
    if not accept:
        return []
    found: list[int] = []
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        fmt = FORMAT_BY_MEDIA_TYPE.get(media.lower())
        if fmt not in NEGOTIATED:
            continue
        q = 1.0
        for p in params:
            name, _, value = p.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0 and fmt not in found:
            found.append(fmt)
    return found


def client_hint(headers: Mapping[str, str], *names: str) -> float | None:
    """The first of the client hint headers ``names`` (``Sec-CH-DPR``,
    ``DPR``, ``Sec-CH-Width``...) that holds a number in (0, 100000)
    (https://developer.mozilla.org/en-US/docs/Web/HTTP/Client_hints); None
    when none does."""
    for name in names:
        try:
            value = float(headers[name])
        except (KeyError, ValueError):
            continue
        if 0 < value < 100_000:
            return value
    return None
