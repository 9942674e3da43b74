"""A transformation component (one URL path segment such as
``c_fill,g_auto,h_300,w_300``) split into its items, with Cloudinary's
variables (``$name_value``), conditions (``if_w_gt_400``) and named
transformations (``t_name``) resolved the way the SDKs write them
(pycloudinary ``generate_transformation_string``;
https://cloudinary.com/documentation/user_defined_variables,
https://cloudinary.com/documentation/conditional_transformations).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from gateway import expressions
from gateway.cloudinary.effects import not_supported
from gateway.cloudinary.path import is_component
from gateway.cloudinary.values import OPERANDS, number
from gateway.errors import invalid
from imgmesh.v1 import edit_pb2

VARIABLE = re.compile(r"\$[A-Za-z][A-Za-z0-9]*")
MAX_NAMED_DEPTH = 5  # t_ inside t_ inside ...
MAX_COMPONENTS = 64  # after expanding t_
MAX_VARIABLES = 32  # $name definitions per URL
MAX_VARIABLE_VALUE = 1000  # characters of one variable's value, substituted
MAX_CONDITION_PARTS = 8  # _and_ conjuncts per alternative, and _or_ alternatives
# Conditions Cloudinary has on what imgmesh does not track (face and page
# counts, tags, context and structured metadata, video durations).
NOT_SERVED_PROPERTIES = (
    "fc", "pc", "cp", "tar", "ils", "tags", "ctx", "md", "px", "py", "du", "idu",
)  # fmt: skip
CONDITION_HELP = "if_<w|h|ar|iw|ih|iar>_<eq|ne|gt|gte|lt|lte>_<number>, joined by _and_ / _or_"


@dataclass(frozen=True)
class Component:
    """One component's items, in URL order, values percent-decoded once
    (``l_text`` text keeps a second level of encoding, decoded by the layer).

    Attributes:
        items: ``(key, value)`` pairs; keys are Cloudinary's (``w``, ``c``,
            ``e``, ``if``...), variables are resolved into the values.
    """

    items: tuple[tuple[str, str], ...]

    def get(self, key: str, default: str | None = None) -> str | None:
        """The last value of ``key`` (Cloudinary keeps one per component)."""
        found = default
        for k, v in self.items:
            if k == key:
                found = v
        return found

    def has(self, key: str) -> bool:
        """True when ``key`` is set."""
        return any(k == key for k, _ in self.items)

    def flags(self) -> list[str]:
        """The ``fl_`` flags (``fl_a.b`` is two)."""
        return [f for k, v in self.items if k == "fl" for f in v.split(".") if f]

    def without(self, *keys: str) -> Component:
        """The component without ``keys``."""
        return Component(tuple((k, v) for k, v in self.items if k not in keys))


def split(raw: str, variables: dict[str, str]) -> Component:
    """Split one raw component, defining its ``$name_value`` variables into
    ``variables`` and substituting those already defined into the values.

    Raises:
        RequestError: invalid_parameter for an item without a key.
    """
    items: list[tuple[str, str]] = []
    for item in raw.split(","):
        key, sep, value = item.partition("_")
        if not sep or not key:
            raise invalid(item or "component", item, "key_value items such as w_300")
        if key.startswith("$"):
            if not VARIABLE.fullmatch(key):
                raise invalid(key, value, "$<letters and digits>_<value>")
            resolved = substitute(unquote(value), variables)
            if len(resolved) > MAX_VARIABLE_VALUE or (
                key not in variables and len(variables) >= MAX_VARIABLES
            ):
                raise invalid(
                    key,
                    value[:40],
                    f"at most {MAX_VARIABLES} variables of {MAX_VARIABLE_VALUE} characters",
                )
            variables[key] = resolved
            continue
        decoded = value if key in ("l", "u") else unquote(value)
        items.append((key, substitute(decoded, variables)))
    return Component(tuple(items))


def substitute(value: str, variables: Mapping[str, str]) -> str:
    """``value`` with each defined ``$name`` replaced by its value.

    Raises:
        RequestError: invalid_parameter naming an undefined variable.
    """

    def one(m: re.Match[str]) -> str:
        name = m.group(0)
        if name not in variables:
            raise invalid(name, value, "a variable defined earlier in the URL ($name_value)")
        return variables[name]

    return VARIABLE.sub(one, value)


def expand_named(raw_components: list[str], named: Mapping[str, str], depth: int = 0) -> list[str]:
    """The components with each ``t_<name>[.<name>...]`` component replaced by
    the named transformations' own components (the other items of that
    component follow them as a component of their own).

    Raises:
        RequestError: invalid_parameter for an unknown name, too deep a
            nesting or too many components.
    """
    out: list[str] = []
    for raw in raw_components:
        items = raw.split(",")
        names = [i[2:] for i in items if i.startswith("t_")]
        if not names:
            out.append(raw)
            continue
        if depth >= MAX_NAMED_DEPTH:
            raise invalid("t", raw, f"named transformations nested at most {MAX_NAMED_DEPTH} deep")
        for name in (n for joined in names for n in joined.split(".")):
            if name not in named:
                raise invalid("t", name, "|".join(sorted(named)) or "no named transformations")
            inner = [c for c in named[name].split("/") if c]
            if not all(is_component(c) for c in inner):
                raise invalid("t", name, "a named transformation of components")
            out.extend(expand_named(inner, named, depth + 1))
        rest = [i for i in items if not i.startswith("t_")]
        if rest:
            out.append(",".join(rest))
    if len(out) > MAX_COMPONENTS:
        raise invalid("t", "...", f"at most {MAX_COMPONENTS} components")
    return out


def _condition(text: str) -> edit_pb2.Condition:
    parts = text.split("_")
    if parts[0] in NOT_SERVED_PROPERTIES or text.startswith("!"):
        raise not_supported(f"condition on {parts[0]}")
    if len(parts) != 3 or parts[0] not in OPERANDS or parts[1] not in expressions.COMPARISONS:
        raise invalid("if", text, CONDITION_HELP)
    return edit_pb2.Condition(
        property=OPERANDS[parts[0]],
        comparison=expressions.COMPARISONS[parts[1]],
        value=number("if", parts[2], -1e9, 1e9),
    )


def conditional(
    text: str, then_steps: list[edit_pb2.Step], else_steps: list[edit_pb2.Step]
) -> edit_pb2.Step:
    """The step for ``if_<text>`` (``w_gt_400``, ``w_gt_400_and_ar_lt_1``)
    running ``then_steps`` or ``else_steps``: ``_and_`` nests the conditions,
    ``_or_`` tries each in turn; ``and`` binds tighter, as in Cloudinary.

    Raises:
        RequestError: invalid_parameter for a property or operator not
            served (``fc`` face count, ``pc`` pages, tags...).
    """
    alternatives = text.split("_or_")
    if len(alternatives) > MAX_CONDITION_PARTS or any(
        a.count("_and_") >= MAX_CONDITION_PARTS for a in alternatives
    ):
        raise invalid("if", text[:60], f"at most {MAX_CONDITION_PARTS} _and_ / _or_ parts")
    else_branch = list(else_steps)
    for alternative in reversed(alternatives):
        conjuncts = alternative.split("_and_")
        branch = list(then_steps)
        inner_else = else_branch
        for conjunct in reversed(conjuncts):
            step = edit_pb2.Step(
                conditional=edit_pb2.Conditional(
                    condition=_condition(conjunct), then_steps=branch, else_steps=inner_else
                )
            )
            branch = [step]
        else_branch = branch
    return else_branch[0]


def check_condition(text: str) -> None:
    """Parse ``if_<text>`` only.

    Raises:
        RequestError: as :func:`conditional`.
    """
    conditional(text, [], [])
