"""Splitting a request into (transformation chain, source path) and tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from gateway.errors import RequestError

PATH_PREFIX = "tr:"
GENIMG_PREFIX = "ik-genimg"
MAX_NAMED_DEPTH = 4


LAYER_TYPES = ("image", "text")
MAX_LAYER_DEPTH = 3  # "A layer can have a nested layer up to 3 levels."
MAX_CONDITION_DEPTH = 3  # if-blocks inside if-blocks (ImageKit documents no nesting)


@dataclass(frozen=True)
class Param:
    """One ``key-value`` token, e.g. ``w-300`` -> Param("w", "300");
    ``e-sharpen-10`` -> Param("e", "sharpen-10"); a bare key has value "".
    A layer (``l-image ... l-end``) is Param("l", "image", children) where
    children is the layer's own chain of steps; a condition (``if-w_gt_300
    ... if-else ... if-end``) is Param("if", "w_gt_300", then-chain, else-chain)."""

    key: str
    value: str
    children: list[list[Param]] = field(default_factory=list, compare=False)
    otherwise: list[list[Param]] = field(default_factory=list, compare=False)

    def __str__(self) -> str:
        return f"{self.key}-{self.value}" if self.value else self.key


def split_request(
    path: str, tr_query: str | None, named: Mapping[str, str] | None = None
) -> tuple[list[list[Param]], str]:
    """Return (chain of steps, source path relative to the origin).

    The path is split on its literal ``/`` and the transformation on its
    literal ``,`` and ``:`` *before* percent-decoding, and each piece is
    decoded on its own: an SDK percent-encodes a ``/``, ``,`` or ``:`` inside
    a value (``ie-`` base64, ``i-`` text), which must stay inside that value.

    Args:
        path: the raw (still percent-encoded) URL path, e.g.
            ``/tr:w-300/photos/a.jpg``. A leading ``ik-genimg-prompt-<text>``
            segment (image generation) becomes the chain's first step.
        tr_query: the raw (still percent-encoded) ``tr`` query value, if present.
        named: named transformations (``n-<name>`` -> transformation string).

    Raises:
        RequestError: missing_source when no image path remains; invalid tokens;
            unknown named transformations.
    """
    segments = path.lstrip("/").split("/")
    chain: list[list[Param]] = []
    if unquote(segments[0]).startswith(GENIMG_PREFIX):
        chain.append([Param("ik", unquote(segments.pop(0))[len("ik-") :])])
    if segments and segments[0].startswith(PATH_PREFIX):
        chain += tokenize(segments.pop(0)[len(PATH_PREFIX) :], named)
    if tr_query is not None:
        chain += tokenize(tr_query, named)
    source = "/".join(unquote(segment) for segment in segments)
    if not source or source.endswith("/"):
        raise RequestError("missing_source", "the URL names no image path")
    return chain, source


def tokenize(
    transformation: str, named: Mapping[str, str] | None = None, depth: int = 0
) -> list[list[Param]]:
    """``"w-300,h-200:e-bgremove"`` -> ``[[w-300, h-200], [e-bgremove]]``.

    Splits on the literal ``,`` and ``:``, then percent-decodes each token.
    ``l-image``/``l-text`` ... ``l-end`` become one layer Param holding the
    layer's own chain (``:`` inside a layer chains the layer's steps).
    ``if-<condition>`` ... [``if-else`` ...] ``if-end`` becomes one Param("if",
    condition) whose children are the then-chain and the else-chain.
    ``n-<name>`` is replaced in place by the tokens of the named transformation
    (its first step joins the current step, further steps follow it).

    Raises:
        RequestError: an empty step or parameter (e.g. ``"w-1,,h-2"``), an
            unclosed or stray layer or condition, an unknown named transformation.
    """
    parts = re.split(r"([,:])", transformation)
    tokens, seps = [unquote(t) for t in parts[0::2]], [""] + parts[1::2]
    steps, k, _ = _parse_chain(tokens, seps, 0, named or {}, depth, layer_depth=0, ends=())
    if k != len(tokens):  # pragma: no cover - _parse_chain consumes everything
        raise RequestError("invalid_parameter", "unexpected l-end", "l", "l-image|l-text ... l-end")
    return steps


LAYER_END = ("l-end",)
IF_ENDS = ("if-else", "if-end")
_STRAY = {
    "l-end": ("l-end without l-image or l-text", "l", "l-image|l-text ... l-end"),
    "if-else": ("if-else without if-<condition>", "if", "if-<condition> ... if-else ... if-end"),
    "if-end": ("if-end without if-<condition>", "if", "if-<condition> ... if-end"),
}


def _parse_chain(
    tokens: list[str],
    seps: list[str],
    k: int,
    named: Mapping[str, str],
    depth: int,
    layer_depth: int,
    ends: tuple[str, ...],
    if_depth: int = 0,
) -> tuple[list[list[Param]], int, str]:
    """Parse until one of ``ends`` (consumed; returned) or the end of input."""
    start = k
    steps: list[list[Param]] = [[]]
    while k < len(tokens):
        token = tokens[k].strip()
        if not token:
            raise RequestError("invalid_parameter", "empty parameter in transformation")
        if k > start and seps[k] == ":":
            steps.append([])
        key, _, value = token.partition("-")
        if token in ends:
            return steps, k + 1, token
        if token in _STRAY:
            message, param, allowed = _STRAY[token]
            raise RequestError("invalid_parameter", message, param, allowed)
        if key == "l":
            if value not in LAYER_TYPES:
                raise RequestError(
                    "invalid_parameter", f"unknown layer type {value!r}", "l", "image|text"
                )
            if layer_depth >= MAX_LAYER_DEPTH:
                raise RequestError(
                    "invalid_parameter",
                    "layers nest at most 3 levels",
                    "l",
                    "at most 3 nested layers",
                )
            children, k, _ = _parse_chain(
                tokens, seps, k + 1, named, depth, layer_depth + 1, LAYER_END
            )
            steps[-1].append(Param("l", value, children))
            continue
        if key == "if":
            if if_depth >= MAX_CONDITION_DEPTH:
                raise RequestError(
                    "invalid_parameter",
                    f"conditions nest at most {MAX_CONDITION_DEPTH} levels",
                    "if",
                    f"at most {MAX_CONDITION_DEPTH} nested if-blocks",
                )
            then, k, end = _parse_chain(
                tokens, seps, k + 1, named, depth, layer_depth, IF_ENDS, if_depth + 1
            )
            otherwise: list[list[Param]] = []
            if end == "if-else":
                otherwise, k, _ = _parse_chain(
                    tokens, seps, k, named, depth, layer_depth, ("if-end",), if_depth + 1
                )
            steps[-1].append(Param("if", value, then, otherwise))
            continue
        if key == "n":
            expansion = expand(value, named, depth)
            steps[-1].extend(expansion[0])
            steps.extend(expansion[1:])
        else:
            steps[-1].append(Param(key, value))
        k += 1
    if ends == LAYER_END:
        raise RequestError(
            "invalid_parameter", "layer not closed with l-end", "l", "l-image|l-text ... l-end"
        )
    if ends:
        raise RequestError(
            "invalid_parameter",
            "condition not closed with if-end",
            "if",
            "if-<condition> ... if-end",
        )
    return steps, k, ""


def expand(name: str, named: Mapping[str, str], depth: int) -> list[list[Param]]:
    """Tokens of the named transformation ``name``.

    Raises:
        RequestError: unknown name (400, as ImageKit), or nesting too deep.
    """
    if name not in named:
        known = ", ".join(sorted(named)) or "none configured"
        raise RequestError(
            "invalid_parameter", f"unknown named transformation {name!r}", "n", known
        )
    if depth >= MAX_NAMED_DEPTH:
        raise RequestError(
            "invalid_parameter",
            f"named transformation {name!r} nests too deep",
            "n",
            f"at most {MAX_NAMED_DEPTH} levels",
        )
    return tokenize(named[name], named, depth + 1)
