"""Splitting a request into (transformation chain, source path) and tokens."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.urlgrammar.errors import GrammarError

PATH_PREFIX = "tr:"


@dataclass(frozen=True)
class Param:
    """One ``key-value`` token, e.g. ``w-300`` -> Param("w", "300");
    ``e-sharpen-10`` -> Param("e", "sharpen-10"); a bare key has value ""."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}-{self.value}" if self.value else self.key


def split_request(path: str, tr_query: str | None) -> tuple[list[list[Param]], str]:
    """Return (chain of steps, source path relative to the origin).

    Args:
        path: the decoded URL path, e.g. ``/tr:w-300/photos/a.jpg``.
        tr_query: the ``tr`` query parameter, if present.

    Raises:
        GrammarError: missing_source when no image path remains; invalid tokens.
    """
    segments = path.lstrip("/").split("/", 1)
    chain: list[list[Param]] = []
    if segments[0].startswith(PATH_PREFIX):
        chain += tokenize(segments[0][len(PATH_PREFIX) :])
        source = segments[1] if len(segments) > 1 else ""
    else:
        source = path.lstrip("/")
    if tr_query is not None:
        chain += tokenize(tr_query)
    if not source or source.endswith("/"):
        raise GrammarError("missing_source", "the URL names no image path")
    return chain, source


def tokenize(transformation: str) -> list[list[Param]]:
    """``"w-300,h-200:e-bgremove"`` -> ``[[w-300, h-200], [e-bgremove]]``.

    Raises:
        GrammarError: an empty step or empty parameter (e.g. ``"w-1,,h-2"``).
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
            params.append(Param(key, value))
        steps.append(params)
    return steps
