"""ImageKit's upload checks (the upload's ``checks`` field): a boolean
expression over the request and the uploaded file, evaluated before anything
is stored; a file that fails it is refused. Reference:
https://imagekit.io/docs/api-reference/upload-file/upload-file#upload-api-checks

Grammar (names and values quoted with ``"`` or ``'``, as the SDKs send them)::

    expr       := and ("OR" and)*
    and        := not ("AND" not)*
    not        := "NOT" not | "(" expr ")" | comparison
    comparison := NAME (":" | "=" | "!=" | "<" | "<=" | ">" | ">=") VALUE
                | NAME ["NOT"] "IN" "[" VALUE ("," VALUE)* "]"

Names: ``request.folder``, ``request.fileName``, ``file.mime``, ``file.size``
(bytes; values such as ``"1mb"``, ``"500kb"``, units of 1024),
``file.width`` and ``file.height`` (px). ``:`` is equality.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asset_svc.errors import AssetError, invalid

MAX_CHECKS = 1000  # characters
MAX_DEPTH = 32  # nested parentheses (and NOTs); deeper would exhaust the parser's stack
SYNTAX_ERROR = "Your request contains invalid syntax for the checks parameter."
NAMES = (
    "request.folder",
    "request.fileName",
    "file.mime",
    "file.size",
    "file.width",
    "file.height",
)
NUMERIC = frozenset({"file.size", "file.width", "file.height"})
UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"[^"]*"|'[^']*')|(?P<num>\d+(?:\.\d+)?)|(?P<op><=|>=|!=|[:=<>()\[\],])"""
    r"""|(?P<word>AND|OR|NOT|IN)\b)""",
    re.IGNORECASE,
)
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ":": lambda a, b: a == b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}

Facts = dict[str, Any]
Check = Callable[[Facts], bool]


@dataclass
class _Token:
    kind: str  # str, num, op, word
    text: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise invalid("checks", SYNTAX_ERROR)
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append(_Token(kind, value[1:-1] if kind == "str" else value.upper()))
        pos = m.end()
    return out


def _value(name: str, token: _Token) -> Any:
    """A literal, typed for ``name``."""
    if token.kind not in ("str", "num"):
        raise invalid("checks", SYNTAX_ERROR)
    if name not in NUMERIC:
        return token.text
    m = _SIZE.match(token.text)
    if m is None or (m.group(2) and name != "file.size"):
        raise invalid(
            "checks", f"{name} is compared with a number{' or size' if name == 'file.size' else ''}"
        )
    return float(m.group(1)) * UNITS[(m.group(2) or "b").lower()]


def _normal(name: str, value: Any) -> Any:
    """Folders compare without their surrounding slashes, MIME types without case."""
    if name == "request.folder":
        return str(value).strip("/")
    if name == "file.mime":
        return str(value).lower()
    return value


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind and token.kind != kind) or (text and token.text != text):
            raise invalid("checks", SYNTAX_ERROR)
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind in ("op", "word") and token.text == text:
            self.pos += 1
            return True
        return False

    def expr(self) -> Check:
        parts = [self.conjunction()]
        while self.accept("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda f: any(p(f) for p in parts)

    def conjunction(self) -> Check:
        parts = [self.negation()]
        while self.accept("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else lambda f: all(p(f) for p in parts)

    def negation(self) -> Check:
        if self.accept("NOT"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise invalid("checks", f"checks nests at most {MAX_DEPTH} NOTs")
            inner = self.negation()
            self.depth -= 1
            return lambda f: not inner(f)
        if self.accept("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise invalid("checks", f"checks nests at most {MAX_DEPTH} parentheses")
            inner = self.expr()
            self.take("op", ")")
            self.depth -= 1
            return inner
        return self.comparison()

    def comparison(self) -> Check:
        name = self.take("str").text
        if name not in NAMES:
            raise invalid("checks", f"checks names one of {', '.join(NAMES)}")
        negated = self.accept("NOT")
        if negated or self.accept("IN"):
            if negated:
                self.take("word", "IN")
            self.take("op", "[")
            values = [_normal(name, _value(name, self.take()))]
            while self.accept(","):
                values.append(_normal(name, _value(name, self.take())))
            self.take("op", "]")
            return lambda f: (_normal(name, f[name]) in values) != negated
        op = self.take("op").text
        if op not in _COMPARE:
            raise invalid("checks", SYNTAX_ERROR)
        if op in ("<", "<=", ">", ">=") and name not in NUMERIC:
            raise invalid("checks", f"{name} is compared with : or != only")
        expected = _normal(name, _value(name, self.take()))
        compare = _COMPARE[op]
        return lambda f: compare(_normal(name, f[name]), expected)


def parse(text: str) -> Check:
    """``checks`` -> a predicate over the upload's facts (see :func:`facts`).

    Raises:
        AssetError: invalid_parameter naming ``checks`` (ImageKit's syntax
            message) for anything outside the grammar or over MAX_CHECKS.
    """
    if len(text) > MAX_CHECKS:
        raise invalid("checks", f"checks is at most {MAX_CHECKS} characters")
    parser = _Parser(_tokens(text))
    check = parser.expr()
    if parser.peek() is not None:
        raise invalid("checks", SYNTAX_ERROR)
    return check


def facts(folder: str, file_name: str, described: dict[str, Any]) -> Facts:
    """What a check can name, from the upload and the file's description
    (``mime``, ``size`` bytes, ``width``/``height`` px)."""
    return {
        "request.folder": folder,
        "request.fileName": file_name,
        "file.mime": described.get("mime", ""),
        "file.size": float(described.get("size", 0)),
        "file.width": float(described.get("width", 0)),
        "file.height": float(described.get("height", 0)),
    }


def enforce(check: Check, upload_facts: Facts) -> None:
    """Refuse a file that fails its checks.

    Raises:
        AssetError: checks_failed (400).
    """
    if not check(upload_facts):
        raise AssetError("checks_failed", "The file failed the upload checks.", "checks")
