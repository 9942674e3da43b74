"""The gateway's settings: every environment variable and flag, declared once
(pydantic-settings). ``IMGMESH_<FIELD>`` in the environment, ``--<field>``
(kebab case) on the command line; flags win. The README's configuration
table lists the same names (``tests/unit/test_settings.py`` compares them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.thumbor.conf import read_conf

# ImageKit's media-library thumbnail (a File's ``thumbnail`` URL uses it).
BUILT_IN_NAMED = {"ik_ml_thumbnail": "w-100,h-100,c-at_max"}


def _imgproxy(name: str, default: Any, description: str, **limits: Any) -> Any:
    """A field read as imgproxy's own ``IMGPROXY_<NAME>`` (no IMGMESH_ prefix)
    and as ``--imgproxy-<name>``."""
    return Field(
        default,
        validation_alias=AliasChoices(f"IMGPROXY_{name}", f"imgproxy_{name.lower()}"),
        description=f"imgproxy {name}: {description}",
        **limits,
    )


class GatewaySettings(BaseSettings):
    """Settings of ``python -m gateway``."""

    model_config = SettingsConfigDict(
        env_prefix="IMGMESH_", cli_kebab_case=True, cli_prog_name="python -m gateway"
    )

    gateway_host: str = Field("127.0.0.1", description="address the HTTP server binds")
    gateway_port: int = Field(8080, description="HTTP port")
    transform_address: str = Field("127.0.0.1:50051", description="transform_svc host:port")
    asset_address: str = Field("127.0.0.1:50052", description="asset_svc host:port")
    url_endpoint: str | None = Field(
        None,
        description=(
            "ImageKit URL endpoint: the base URL clients reach images at (file URLs); "
            "its path prefix is removed from image requests and signatures; "
            "none = the request's origin"
        ),
    )
    cache_control: str = Field(
        "public, max-age=3600", description="Cache-Control of successful image responses"
    )
    render_timeout_s: float = Field(
        60.0, gt=0, description="deadline of one render, s (the gRPC deadline)"
    )
    named_transformations: Path | None = Field(
        None, description="JSON file {name: transformation} for n-<name>"
    )
    signing_key: str | None = Field(None, description="private key of ik-s signed URLs")
    require_signed: Literal["none", "ai", "all"] = Field(
        "none", description="which URLs must be signed: none, ai (AI steps) or all"
    )
    ai_budget_ms: int = Field(
        0, ge=0, description="AI renders slower than this get an intermediate response; 0 = wait"
    )
    api_keys: Path | None = Field(
        None, description='JSON file {"<key>": {"plan": ..., "images": N}}; none = the dev key'
    )
    gateway_max_inflight: int = Field(
        256, gt=0, description="requests in progress at most; beyond, 503 overloaded"
    )
    root_dialect: Literal["imagekit", "thumbor", "imgproxy", "cloudinary"] = Field(
        "imagekit", description="the URL dialect the root path speaks (each also has its prefix)"
    )
    # thumbor's own settings, under their names (https://thumbor.readthedocs.io/en/latest/configuration.html)
    thumbor_security_key: str | None = Field(
        None, description="thumbor SECURITY_KEY: HMAC-SHA1 key of signed /thumbor/ URLs"
    )
    thumbor_allow_unsafe_url: bool = Field(
        True, description="thumbor ALLOW_UNSAFE_URL: /thumbor/unsafe/ URLs are served"
    )
    thumbor_quality: int = Field(
        80, ge=1, le=100, description="thumbor QUALITY: JPEG/WebP quality without quality()"
    )
    thumbor_auto_webp: bool = Field(
        False, description="thumbor AUTO_WEBP: WebP when the Accept header allows it"
    )
    thumbor_max_age: int = Field(
        86400, ge=0, description="thumbor MAX_AGE: Cache-Control max-age of results, s"
    )
    thumbor_auto_avif: bool = Field(
        False, description="thumbor AUTO_AVIF: AVIF when the Accept header allows it (before WebP)"
    )
    thumbor_max_width: int = Field(
        0, ge=0, description="thumbor MAX_WIDTH: results and sources at most this wide, px; 0 = any"
    )
    thumbor_max_height: int = Field(
        0,
        ge=0,
        description="thumbor MAX_HEIGHT: results and sources at most this high, px; 0 = any",
    )
    thumbor_conf: Path | None = Field(
        None,
        description=(
            "an existing thumbor.conf: its literal settings fill the thumbor_* ones "
            "set neither here nor in the environment (read, never executed)"
        ),
    )
    thumbor_log_signatures: bool = Field(
        False, description="log the exact string a refused thumbor signature was checked over"
    )
    thumbor_meta_callback_name: str = Field(
        "",
        pattern=r"^[A-Za-z_$][A-Za-z0-9_$.]*$|^$",
        description="thumbor META_CALLBACK_NAME: meta/ answers JSONP calling this function",
    )

    # imgproxy's own settings, read under imgproxy's own names so an existing
    # deployment's environment works unchanged (https://docs.imgproxy.net/configuration/options)
    imgproxy_key: str = _imgproxy(
        "KEY", "", "hex key(s) of signed /imgproxy/ URLs, comma-separated"
    )
    imgproxy_salt: str = _imgproxy("SALT", "", "hex salt(s), one per key, comma-separated")
    imgproxy_signature_size: int = _imgproxy(
        "SIGNATURE_SIZE", 32, "bytes of the signature, 1..32", ge=1, le=32
    )
    imgproxy_trusted_signatures: str = _imgproxy(
        "TRUSTED_SIGNATURES", "", "signatures accepted without checking, comma-separated"
    )
    imgproxy_presets: str = _imgproxy("PRESETS", "", "presets, name=options, comma-separated")
    imgproxy_presets_path: Path | None = _imgproxy(
        "PRESETS_PATH", None, "file of presets, one per line"
    )
    imgproxy_only_presets: bool = _imgproxy(
        "ONLY_PRESETS", False, "the options segment names presets only"
    )
    imgproxy_allow_security_options: bool = _imgproxy(
        "ALLOW_SECURITY_OPTIONS", False, "URLs may set msr, msfs, maf, mafr, mrd"
    )
    imgproxy_allowed_processing_options: str = _imgproxy(
        "ALLOWED_PROCESSING_OPTIONS",
        "",
        "the only option names URLs may use, comma-separated; empty = all",
    )
    imgproxy_arguments_separator: str = _imgproxy(
        "ARGUMENTS_SEPARATOR", ":", "separator of option arguments"
    )
    imgproxy_base_url: str = _imgproxy("BASE_URL", "", "prefixed to source URLs that lack it")
    imgproxy_base64_url_includes_filename: bool = _imgproxy(
        "BASE64_URL_INCLUDES_FILENAME",
        False,
        "a base64 source's last segment is a file name to ignore",
    )
    imgproxy_url_replacements: str = _imgproxy(
        "URL_REPLACEMENTS",
        "",
        "source URL rewrites, pattern=replacement;... (Go regexp replacements)",
    )
    imgproxy_quality: int = _imgproxy("QUALITY", 80, "default quality, 1..100", ge=1, le=100)
    imgproxy_format_quality: str = _imgproxy(
        "FORMAT_QUALITY", "webp=79,avif=63,jxl=77", "default quality per format, format=q,..."
    )
    imgproxy_auto_webp: bool = _imgproxy(
        "AUTO_WEBP", False, "WebP when the Accept header allows it"
    )
    imgproxy_enforce_webp: bool = _imgproxy(
        "ENFORCE_WEBP", False, "as AUTO_WEBP, even over an explicit format"
    )
    imgproxy_auto_avif: bool = _imgproxy(
        "AUTO_AVIF", False, "AVIF when the Accept header allows it (first)"
    )
    imgproxy_enforce_avif: bool = _imgproxy(
        "ENFORCE_AVIF", False, "as AUTO_AVIF, even over an explicit format"
    )
    imgproxy_ttl: int = _imgproxy("TTL", 31536000, "Cache-Control max-age of results, s", ge=0)
    imgproxy_max_src_resolution: float = _imgproxy(
        "MAX_SRC_RESOLUTION", 50.0, "largest source, megapixels (all frames)", gt=0
    )
    imgproxy_max_src_file_size: int = _imgproxy(
        "MAX_SRC_FILE_SIZE", 0, "largest source file, bytes; 0 = no limit", ge=0
    )
    imgproxy_max_animation_frames: int = _imgproxy(
        "MAX_ANIMATION_FRAMES", 1, "frames of an animation processed; 1 = a still", ge=1
    )
    imgproxy_max_animation_frame_resolution: float = _imgproxy(
        "MAX_ANIMATION_FRAME_RESOLUTION",
        0.0,
        "largest animation frame, megapixels; 0 = MAX_SRC_RESOLUTION over all frames",
        ge=0,
    )
    imgproxy_max_result_dimension: int = _imgproxy(
        "MAX_RESULT_DIMENSION", 0, "largest result side, px; 0 = no limit", ge=0
    )
    imgproxy_watermark_data: str = _imgproxy(
        "WATERMARK_DATA", "", "the watermark image, base64 (first of DATA, PATH, URL)"
    )
    imgproxy_watermark_path: Path | None = _imgproxy(
        "WATERMARK_PATH", None, "the watermark image file, read by the gateway at start"
    )
    imgproxy_watermark_url: str = _imgproxy(
        "WATERMARK_URL", "", "the watermark image's URL (local:/// or http(s), as a source)"
    )
    imgproxy_watermark_opacity: float = _imgproxy(
        "WATERMARK_OPACITY", 1.0, "multiplies every watermark's opacity, 0..1", ge=0, le=1
    )
    imgproxy_skip_processing_formats: str = _imgproxy(
        "SKIP_PROCESSING_FORMATS", "", "source formats served as they are, comma-separated"
    )
    imgproxy_always_rasterize_svg: bool = _imgproxy(
        "ALWAYS_RASTERIZE_SVG", False, "rasterize an SVG source even with no format asked"
    )

    # Cloudinary's account settings (https://cloudinary.com/documentation/how_to_integrate_cloudinary)
    cloudinary_cloud_name: str = Field(
        "demo",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="the cloud name /cloudinary/<cloud_name>/image/... URLs carry; others are 404",
    )
    cloudinary_api_secret: str | None = Field(
        None, description="API secret of signed (s--SIG--) /cloudinary/ URLs"
    )
    cloudinary_signature_algorithm: Literal["sha1", "sha256"] = Field(
        "sha1", description="hash of 8-character URL signatures (32-character ones are SHA-256)"
    )
    cloudinary_strict_transformations: bool = Field(
        False,
        description="Cloudinary's strict transformations: unsigned URLs with components are 401",
    )
    cloudinary_named_transformations: Path | None = Field(
        None, description='JSON file {"<name>": "c_fill,w_300/e_sepia"} for t_<name>'
    )
    cloudinary_library: str = Field(
        "",
        description=(
            "the account (URL endpoint id) whose media library public ids resolve in "
            "before the local origin; none = the local origin only"
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _thumbor_conf(cls, data: Any) -> Any:
        """Fill the thumbor_* settings not given otherwise from ``thumbor_conf``."""
        if not isinstance(data, dict) or not data.get("thumbor_conf"):
            return data
        names = [n for n in cls.model_fields if n.startswith("thumbor_") and n != "thumbor_conf"]
        conf = read_conf(Path(data["thumbor_conf"]), names)
        return {**conf, **data}

    def named(self) -> dict[str, str]:
        """The named transformations (``n-<name>`` -> transformation string).

        Raises:
            OSError, ValueError: unreadable or malformed file.
        """
        named = dict(BUILT_IN_NAMED)
        if self.named_transformations is not None:
            named.update(json.loads(self.named_transformations.read_text()))
        return named
