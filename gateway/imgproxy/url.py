"""An imgproxy processing path -> its options and source URL
(``options/parser/processing_options.go ParsePath``)."""

from __future__ import annotations

from gateway.imgproxy import source
from gateway.imgproxy.options import (
    RESIZE_TYPES,
    OptionError,
    Options,
    ParserConfig,
    UrlOption,
    apply_options,
    defaults,
    split_options,
)


def parse_path(path: str, config: ParserConfig) -> tuple[Options, str]:
    """(options, source URL) of a re-normalised path (no signature).

    The ``default`` preset first, then the URL's options in order (or, in
    only-presets mode, the first segment's preset names), then the source;
    its extension sets ``format`` unless ``raw``.

    Raises:
        OptionError: any refused part (404; 403 for a security option).
    """
    if path in ("", "/"):
        raise OptionError("url", f"invalid path: {path}")
    parts = path.removeprefix("/").split("/")
    o = defaults(config)
    if config.only_presets:
        presets = UrlOption("pr", tuple(parts[0].split(config.separator)))
        apply_options(o, (presets,), config, allow_all=True)
        rest = parts[1:]
    else:
        if parts[0] in RESIZE_TYPES:
            raise OptionError("url", "It looks like you're using the deprecated basic URL format")
        opts, rest = split_options(parts, config.separator)
        apply_options(o, opts, config)
    url, extension = source.decode(rest, config)
    if extension and not o.get("raw", False):
        apply_options(o, (UrlOption("f", (extension,)),), config, allow_all=True)
    return o, url
