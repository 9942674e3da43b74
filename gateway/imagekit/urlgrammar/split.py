"""Splitting a request into (transformation chain, source path) and tokens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.errors import RequestError

PATH_PREFIX = "tr:"
GENIMG_PREFIX = "ik-genimg"
MAX_NAMED_DEPTH = 4


LAYER_TYPES = ("image", "text")
MAX_LAYER_DEPTH = 3  # "A layer can have a nested layer up to 3 levels."


@dataclass(frozen=True)
class Param:
    """One ``key-value`` token, e.g. ``w-300`` -> Param("w", "300");
    ``e-sharpen-10`` -> Param("e", "sharpen-10"); a bare key has value "".
    A layer (``l-image ... l-end``) is Param("l", "image", children) where
    children is the layer's own chain of steps."""

    key: str
    value: str
    children: list[list[Param]] = field(default_factory=list, compare=False)

    def __str__(self) -> str:
        return f"{self.key}-{self.value}" if self.value else self.key


def split_request(
    path: str, tr_query: str | None, named: Mapping[str, str] | None = None
) -> tuple[list[list[Param]], str]:
    """Return (chain of steps, source path relative to the origin).

    Args:
        path: the decoded URL path, e.g. ``/tr:w-300/photos/a.jpg``. A leading
            ``ik-genimg-prompt-<text>`` segment (image generation) becomes the
            chain's first step.
        tr_query: the ``tr`` query parameter, if present.
        named: named transformations (``n-<name>`` -> transformation string).

    Raises:
        RequestError: missing_source when no image path remains; invalid tokens;
            unknown named transformations.
    """
    rest = path.lstrip("/")
    chain: list[list[Param]] = []
    if rest.startswith(GENIMG_PREFIX):
        segment, _, rest = rest.partition("/")
        chain.append([Param("ik", segment[len("ik-") :])])
    segments = rest.split("/", 1)
    if segments[0].startswith(PATH_PREFIX):
        chain += tokenize(segments[0][len(PATH_PREFIX) :], named)
        source = segments[1] if len(segments) > 1 else ""
    else:
        source = rest
    if tr_query is not None:
        chain += tokenize(tr_query, named)
    if not source or source.endswith("/"):
        raise RequestError("missing_source", "the URL names no image path")
    return chain, source


def tokenize(
    transformation: str, named: Mapping[str, str] | None = None, depth: int = 0
) -> list[list[Param]]:
    """``"w-300,h-200:e-bgremove"`` -> ``[[w-300, h-200], [e-bgremove]]``.

    ``l-image``/``l-text`` ... ``l-end`` become one layer Param holding the
    layer's own chain (``:`` inside a layer chains the layer's steps).
    ``n-<name>`` is replaced in place by the tokens of the named transformation
    (its first step joins the current step, further steps follow it).

    Raises:
        RequestError: an empty step or parameter (e.g. ``"w-1,,h-2"``), an
            unclosed or stray layer, an unknown named transformation.
    """
    parts = re.split(r"([,:])", transformation)
    tokens, seps = parts[0::2], [""] + parts[1::2]
    steps, k = _parse_chain(tokens, seps, 0, named or {}, depth, layer_depth=0)
    if k != len(tokens):  # pragma: no cover - _parse_chain consumes everything
        raise RequestError("invalid_parameter", "unexpected l-end", "l", "l-image|l-text ... l-end")
    return steps


def _parse_chain(
    tokens: list[str],
    seps: list[str],
    k: int,
    named: Mapping[str, str],
    depth: int,
    layer_depth: int,
) -> tuple[list[list[Param]], int]:
    start = k
    steps: list[list[Param]] = [[]]
    while k < len(tokens):
        token = tokens[k].strip()
        if not token:
            raise RequestError("invalid_parameter", "empty parameter in transformation")
        if k > start and seps[k] == ":":
            steps.append([])
        key, _, value = token.partition("-")
        if key == "l" and value == "end":
            if layer_depth == 0:
                raise RequestError(
                    "invalid_parameter",
                    "l-end without l-image or l-text",
                    "l",
                    "l-image|l-text ... l-end",
                )
            return steps, k + 1
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
            children, k = _parse_chain(tokens, seps, k + 1, named, depth, layer_depth + 1)
            steps[-1].append(Param("l", value, children))
            continue
        if key == "n":
            expansion = expand(value, named, depth)
            steps[-1].extend(expansion[0])
            steps.extend(expansion[1:])
        else:
            steps[-1].append(Param(key, value))
        k += 1
    if layer_depth:
        raise RequestError(
            "invalid_parameter", "layer not closed with l-end", "l", "l-image|l-text ... l-end"
        )
    return steps, k


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
