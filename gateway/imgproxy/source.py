"""The source URL at the end of an imgproxy path (``options/parser/url.go``):
``plain/<url>[@ext]`` (percent-unescaped) or urlsafe base64 split by ``/``,
with or without padding, ``[.ext]``; ``IMGPROXY_BASE_URL`` prefixed."""

from __future__ import annotations

import re
from urllib.parse import unquote

from gateway.imgproxy import b64
from gateway.imgproxy.options import OptionError, ParserConfig

BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")  # what Go's url.PathUnescape refuses


def _invalid(message: str) -> OptionError:
    return OptionError("url", message)


def decode(parts: list[str], config: ParserConfig) -> tuple[str, str]:
    """(source URL, extension or "") of the path's remaining segments.

    Raises:
        OptionError: empty, two extensions, or bad encoding (404).
    """
    if not parts:
        raise _invalid("Image URL is empty")
    if parts[0] == "plain" and len(parts) > 1:
        url, ext = _split_once("/".join(parts[1:]), "@")
        if BAD_ESCAPE.search(url):
            raise _invalid(f"Invalid url encoding: {url}")
        url = unquote(url, errors="surrogateescape")
    else:
        if len(parts) > 1 and config.base64_url_includes_filename:
            parts = parts[:-1]
        encoded, ext = _split_once("".join(parts), ".")
        try:
            url = b64.decode(encoded.rstrip("=")).decode()
        except (ValueError, UnicodeDecodeError):
            raise _invalid(f"Invalid url encoding: {encoded}") from None
    for pattern, replacement in config.url_replacements:
        url = pattern.sub(go_replacement(replacement), url)
    if config.base_url and not url.startswith(config.base_url):
        url = config.base_url + url
    return url, ext


def _split_once(text: str, mark: str) -> tuple[str, str]:
    head, *rest = text.split(mark)
    if not head:
        raise _invalid("Image URL is empty")
    if len(rest) > 1:
        raise _invalid(f"Multiple formats are specified: {text}")
    return head, rest[0] if rest else ""


def go_replacement(text: str) -> str:
    """Go's regexp replacement (``$1``, ``${1}``, ``${name}``) as Python's."""
    return re.sub(
        r"\$\{(\w+)\}|\$(\d+)", lambda m: rf"\g<{m[1] or m[2]}>", text.replace("\\", "\\\\")
    )
