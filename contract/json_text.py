"""JSON from untrusted clients, parsed so that it cannot crash a service:
nesting at most ``MAX_DEPTH`` deep (the C parser's recursion would otherwise
raise RecursionError, a 500), ``NaN`` / ``Infinity`` refused (they are not
JSON, RFC 8259 section 6, and would make every later answer that echoes the
value invalid JSON), and a size bound. Every service parses client JSON with
:func:`loads`."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # arrays/objects inside each other; ImageKit's own bodies need 4
MAX_BYTES = 1024 * 1024  # one JSON text


class JsonTextError(ValueError):
    """Not acceptable JSON; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _refuse_constant(name: str) -> Any:
    raise JsonTextError(f"{name} is not a JSON number")


def depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar is 0); iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level) for child in children)
    return deepest


def loads(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Parse ``text``.

    Raises:
        JsonTextError: malformed, over ``max_bytes``, nested deeper than
            MAX_DEPTH, or holding NaN / Infinity.
    """
    if len(text) > max_bytes:
        raise JsonTextError(f"the JSON text is over {max_bytes} bytes")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise JsonTextError(f"JSON nests at most {MAX_DEPTH} levels") from None
    except JsonTextError:
        raise
    except (ValueError, UnicodeDecodeError):
        raise JsonTextError("malformed JSON") from None
    if depth(value) > MAX_DEPTH:
        raise JsonTextError(f"JSON nests at most {MAX_DEPTH} levels")
    return value
