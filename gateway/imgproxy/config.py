"""The imgproxy dialect's configuration, built once from the IMGPROXY_*
settings: the parser's (presets read and validated as imgproxy does at
start), the signing keys and the encoding defaults."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from gateway.imgproxy.compile import source
from gateway.imgproxy.options import (
    FORMATS,
    OptionError,
    ParserConfig,
    parse_presets,
    validate_presets,
)
from gateway.imgproxy.signing import SigningConfig
from gateway.settings import GatewaySettings
from imgmesh.v1 import edit_pb2


@dataclass(frozen=True)
class ImgproxyConfig:
    """Attributes:
    parser / signing: see :class:`ParserConfig`, :class:`SigningConfig`.
    quality: IMGPROXY_QUALITY; format_quality: IMGPROXY_FORMAT_QUALITY, by format name.
    auto_webp / enforce_webp / auto_avif / enforce_avif: Accept negotiation.
    ttl: Cache-Control max-age of results, s (IMGPROXY_TTL).
    security: the security options' defaults (IMGPROXY_MAX_*), px / bytes /
        frames by option key, which a URL's own security options override.
    skip_processing: source formats served as they are (IMGPROXY_SKIP_PROCESSING_FORMATS).
    always_rasterize_svg: IMGPROXY_ALWAYS_RASTERIZE_SVG.
    watermark: the configured watermark image's source (IMGPROXY_WATERMARK_DATA,
        _PATH read at start, or _URL), or None.
    watermark_opacity: IMGPROXY_WATERMARK_OPACITY.
    """

    parser: ParserConfig = field(default_factory=ParserConfig)
    signing: SigningConfig = field(default_factory=SigningConfig)
    quality: int = 80
    format_quality: dict[str, int] = field(default_factory=dict)
    auto_webp: bool = False
    enforce_webp: bool = False
    auto_avif: bool = False
    enforce_avif: bool = False
    ttl: int = 31536000
    security: dict[str, int] = field(default_factory=dict)
    skip_processing: tuple[str, ...] = ()
    always_rasterize_svg: bool = False
    watermark: edit_pb2.Source | None = None
    watermark_opacity: float = 1.0

    @classmethod
    def from_settings(cls, s: GatewaySettings) -> ImgproxyConfig:
        """The dialect's configuration from the IMGPROXY_* settings.

        Raises:
            ValueError: malformed presets, keys, replacements, format
                qualities, formats or watermark data (imgproxy refuses to
                start on them too); OSError: an unreadable watermark file.
        """
        lines = s.imgproxy_presets.split(",")
        if s.imgproxy_presets_path is not None:
            lines += s.imgproxy_presets_path.read_text().splitlines()
        parser = ParserConfig(
            presets=parse_presets(lines, s.imgproxy_arguments_separator),
            only_presets=s.imgproxy_only_presets,
            allow_security_options=s.imgproxy_allow_security_options,
            base_url=s.imgproxy_base_url,
            base64_url_includes_filename=s.imgproxy_base64_url_includes_filename,
            separator=s.imgproxy_arguments_separator,
            allowed_options=tuple(
                n.strip() for n in s.imgproxy_allowed_processing_options.split(",") if n.strip()
            ),
            url_replacements=_replacements(s.imgproxy_url_replacements),
        )
        validate_presets(parser)
        trusted = tuple(t.strip() for t in s.imgproxy_trusted_signatures.split(",") if t.strip())
        signing = SigningConfig.from_hex(
            s.imgproxy_key, s.imgproxy_salt, s.imgproxy_signature_size, trusted
        )
        return cls(
            parser=parser,
            signing=signing,
            quality=s.imgproxy_quality,
            format_quality=_format_quality(s.imgproxy_format_quality),
            auto_webp=s.imgproxy_auto_webp,
            enforce_webp=s.imgproxy_enforce_webp,
            auto_avif=s.imgproxy_auto_avif,
            enforce_avif=s.imgproxy_enforce_avif,
            ttl=s.imgproxy_ttl,
            security={
                "max_src_resolution": int(s.imgproxy_max_src_resolution * 1_000_000),
                "max_src_file_size": s.imgproxy_max_src_file_size,
                "max_animation_frames": s.imgproxy_max_animation_frames,
                "max_animation_frame_resolution": int(
                    s.imgproxy_max_animation_frame_resolution * 1_000_000
                ),
                "max_result_dimension": s.imgproxy_max_result_dimension,
            },
            skip_processing=_formats(s.imgproxy_skip_processing_formats),
            always_rasterize_svg=s.imgproxy_always_rasterize_svg,
            watermark=_watermark(s),
            watermark_opacity=s.imgproxy_watermark_opacity,
        )


def _replacements(text: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    pairs = []
    for item in text.split(";"):
        if not item.strip():
            continue
        pattern, sep, replacement = item.partition("=")
        if not sep:
            raise ValueError(f"invalid URL replacement: {item}")
        pairs.append((re.compile(pattern), replacement))
    return tuple(pairs)


def _watermark(s: GatewaySettings) -> edit_pb2.Source | None:
    """The first of IMGPROXY_WATERMARK_DATA, _PATH and _URL, as imgproxy
    reads them (auximageprovider), as a source.

    Raises:
        ValueError: malformed base64 data or URL; OSError: an unreadable file.
    """
    if s.imgproxy_watermark_data:
        try:
            data = base64.b64decode(s.imgproxy_watermark_data, validate=True)
        except binascii.Error as exc:
            raise ValueError("IMGPROXY_WATERMARK_DATA is not base64") from exc
        return edit_pb2.Source(inline_bytes=data)
    if s.imgproxy_watermark_path is not None:
        return edit_pb2.Source(inline_bytes=s.imgproxy_watermark_path.read_bytes())
    if s.imgproxy_watermark_url:
        try:
            return source(s.imgproxy_watermark_url)
        except OptionError as exc:
            raise ValueError(f"IMGPROXY_WATERMARK_URL: {exc}") from exc
    return None


def _formats(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    for name in names:
        if name not in FORMATS:
            raise ValueError(f"invalid image format: {name}")
    return tuple(FORMATS[n] for n in names)


def _format_quality(text: str) -> dict[str, int]:
    found = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, _, value = item.partition("=")
        if name.strip() not in FORMATS or not value.strip().isdigit():
            raise ValueError(f"invalid format quality: {item}")
        found[FORMATS[name.strip()]] = int(value)
    return found
