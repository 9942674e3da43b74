"""The signature and the path of an imgproxy URL, the path re-normalised as
imgproxy's ``handlers/path.go`` does before it is parsed and signed."""

from __future__ import annotations

import re

# a scheme whose `//` a proxy collapsed to `/` (`https:/x`, `local:/x`)
COLLAPSED_SCHEME = re.compile(r"^(\S+):/([^/])")


class PathError(ValueError):
    """No signature segment or no path after it (imgproxy answers 404)."""


def split_signature(raw_path: str) -> tuple[str, str]:
    """``/<signature>/<path>`` -> (signature, re-normalised path).

    Args:
        raw_path: the path after the dialect's prefix, as sent (no query).
    Raises:
        PathError: an empty signature or path.
    """
    signature, _, path = raw_path.lstrip("/").partition("/")
    if not signature or not path:
        raise PathError("the URL has no signature and path")
    return signature, redenormalize(path)


def redenormalize(path: str) -> str:
    """Undo what browsers and proxies do to a path (``RedenormalizePath``):
    ``%3A`` back to ``:`` in the options, ``scheme:/x`` back to
    ``scheme://x`` (``local:///x`` for ``local``) in a plain source URL;
    no leading slash."""
    if path.startswith("plain/"):
        options, plain, has_plain = "", path[6:], True
    else:
        options, sep, plain = path.partition("/plain/")
        has_plain = bool(sep)
    options = options.replace("%3A", ":")
    if not has_plain:
        return options.removeprefix("/")
    found = COLLAPSED_SCHEME.match(plain)
    if found is not None:
        scheme, first = found.groups()
        fixed = f"{scheme}://" + ("/" if scheme == "local" else "") + first
        plain = plain.replace(found.group(0), fixed, 1)
    return (options + "/plain/" + plain).removeprefix("/")
