"""Cloudinary's layers (https://cloudinary.com/documentation/layers):
``l_<public_id>`` (folders written with ``:``), ``l_text:<font>_<size>[_<style>...]:<text>``,
``l_fetch:<base64url of a URL>`` and the same after ``u_`` for an underlay,
parsed into the Overlay they start. Their own transformation, placement
(``g_``, ``x_``, ``y_``) and ``fl_layer_apply`` are the compiler's."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from urllib.parse import unquote

from gateway.cloudinary.effects import not_supported
from gateway.errors import invalid
from imgmesh.v1 import edit_pb2

DEFAULT_FONT_SIZE = 20  # px; Cloudinary requires one, the SDK's raw "text:hello" has none
MAX_TEXT = 1000  # characters
# Text style keywords (pycloudinary __LAYER_KEYWORD_PARAMS and the docs' text_style).
_STYLE_FLAGS = ("bold", "italic", "strikethrough", "underline", "normal", "light", "semibold")
_ALIGN = ("left", "center", "right", "start", "end", "justify")
_STYLE = re.compile(r"([A-Za-z][A-Za-z0-9 \-]*)_([0-9]{1,4})((?:_[A-Za-z0-9\-]+)*)")


def _text(text_style: str, raw_text: str) -> edit_pb2.TextLayer:
    """A text layer: ``raw_text`` percent-decoded twice (the SDK escapes
    ``,`` and ``/`` as %2C / %2F, then the whole text again)."""
    text = unquote(unquote(raw_text))
    if not text or len(text) > MAX_TEXT:
        raise invalid("l_text", raw_text, f"1..{MAX_TEXT} characters of text")
    layer = edit_pb2.TextLayer(text=text, font_size=DEFAULT_FONT_SIZE, font="Arial")
    if not text_style:
        return layer
    m = _STYLE.fullmatch(text_style)
    if m is None:
        raise invalid(
            "l_text", text_style, "<font family>_<size px>[_<style>...], e.g. Arial_40_bold"
        )
    layer.font, layer.font_size = m.group(1), int(m.group(2))
    if not 1 <= layer.font_size <= 1000:
        raise invalid("l_text", text_style, "a font size of 1..1000 px")
    words = [w for w in m.group(3).split("_") if w]
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("bold", "semibold"):
            layer.bold = True
        elif word == "italic":
            layer.italic = True
        elif word == "strikethrough":
            layer.strikethrough = True
        elif word in ("left", "center", "right"):
            layer.align = word
        elif word in ("letter", "line", "antialias", "hinting") and i + 2 <= len(words):
            if word == "line" and i + 2 < len(words) and words[i + 1] == "spacing":
                layer.line_height = (
                    max(0, int(words[i + 2]))
                    if words[i + 2].isascii() and words[i + 2].isdigit() and len(words[i + 2]) < 6
                    else 0
                )
            i += 2 if word in ("antialias", "hinting") else 3
            continue
        elif word not in _STYLE_FLAGS and word not in _ALIGN:
            raise invalid(
                "l_text", text_style, "styles bold|italic|strikethrough|left|center|right"
            )
        i += 1
    return layer


def parse(key: str, value: str, source_for: Callable[[str], edit_pb2.Source]) -> edit_pb2.Overlay:
    """The Overlay ``l_<value>`` (``u_`` when ``key`` is ``u``) starts.

    Args:
        value: the raw (still percent-encoded) value.
        source_for: the Source of a public id (``folder/logo``).

    Raises:
        RequestError: 400 for a malformed layer; 501 for video, subtitle
            and other non-image layers.
    """
    overlay = edit_pb2.Overlay(under=key == "u")
    if value.startswith("text:"):
        rest = value[5:]
        style, sep, text = rest.partition(":")
        if not sep:
            style, text = "", rest
        overlay.text.CopyFrom(_text(unquote(style), text))
        return overlay
    if value.startswith("fetch:"):
        encoded = unquote(value[6:])
        try:
            url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid(f"{key}_fetch", encoded, "the URL-safe base64 of an http(s) URL") from exc
        if not url.startswith(("http://", "https://")):
            raise invalid(f"{key}_fetch", encoded, "the URL-safe base64 of an http(s) URL")
        overlay.image.source.CopyFrom(edit_pb2.Source(url=url))
        return overlay
    head = value.split(":", 1)[0]
    if head in ("video", "subtitles", "audio", "lut", "raw"):
        raise not_supported(f"{head} layer")
    public_id = unquote(value).replace(":", "/").strip("/")
    if not public_id or "//" in public_id:
        raise invalid(f"{key}", value, "a public id, folders separated by ':'")
    overlay.image.source.CopyFrom(source_for(public_id))
    return overlay
