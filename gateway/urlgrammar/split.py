"""Splitting a request into (transformation chain, source path) and tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.urlgrammar.errors import GrammarError

PATH_PREFIX = "tr:"
GENIMG_PREFIX = "ik-genimg"
MAX_NAMED_DEPTH = 4


@dataclass(frozen=True)
class Param:
    """One ``key-value`` token, e.g. ``w-300`` -> Param("w", "300");
    ``e-sharpen-10`` -> Param("e", "sharpen-10"); a bare key has value ""."""

    key: str
    value: str

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
        GrammarError: missing_source when no image path remains; invalid tokens;
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
        raise GrammarError("missing_source", "the URL names no image path")
    return chain, source


def tokenize(
    transformation: str, named: Mapping[str, str] | None = None, depth: int = 0
) -> list[list[Param]]:
    """``"w-300,h-200:e-bgremove"`` -> ``[[w-300, h-200], [e-bgremove]]``.

    ``n-<name>`` is replaced in place by the tokens of the named transformation
    (its first step joins the current step, further steps follow it).

    Raises:
        GrammarError: an empty step or empty parameter (e.g. ``"w-1,,h-2"``),
            an unknown named transformation.
    """
    steps: list[list[Param]] = []
    for raw_step in transformation.split(":"):
        params: list[Param] = []
        for token in raw_step.split(","):
            token = token.strip()
            if not token:
                raise GrammarError(
                    "invalid_parameter", f"empty parameter in transformation {transformation!r}"
                )
            key, _, value = token.partition("-")
            if key != "n":
                params.append(Param(key, value))
                continue
            expansion = expand(value, named or {}, depth)
            params.extend(expansion[0])
            if len(expansion) > 1:
                steps.append(params)
                steps.extend(expansion[1:-1])
                params = list(expansion[-1])
        steps.append(params)
    return steps


def expand(name: str, named: Mapping[str, str], depth: int) -> list[list[Param]]:
    """Tokens of the named transformation ``name``.

    Raises:
        GrammarError: unknown name (400, as ImageKit), or nesting too deep.
    """
    if name not in named:
        known = ", ".join(sorted(named)) or "none configured"
        raise GrammarError(
            "invalid_parameter", f"unknown named transformation {name!r}", "n", known
        )
    if depth >= MAX_NAMED_DEPTH:
        raise GrammarError(
            "invalid_parameter",
            f"named transformation {name!r} nests too deep",
            "n",
            f"at most {MAX_NAMED_DEPTH} levels",
        )
    return tokenize(named[name], named, depth + 1)
