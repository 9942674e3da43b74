"""The arithmetic expressions ImageKit and Cloudinary share in their URL
values (``iw_div_2_add_10``): operands and numbers joined by ``_add_``,
``_sub_``, ``_mul_``, ``_div_``, ``_mod_``, ``_pow_``
(https://imagekit.io/docs/arithmetic-expressions-in-transformations,
https://cloudinary.com/documentation/user_defined_variables#arithmetic_expressions),
compiled to an EditGraph Expression that transform_svc evaluates."""

from __future__ import annotations

from collections.abc import Mapping

from gateway import value_parsers
from gateway.errors import invalid
from imgmesh.v1 import edit_pb2

E = edit_pb2.Expression
# operator -> (Expression.Operator, precedence); ** binds tightest, right to left
OPERATORS = {
    "add": (E.ADD, 1),
    "sub": (E.SUBTRACT, 1),
    "mul": (E.MULTIPLY, 2),
    "div": (E.DIVIDE, 2),
    "mod": (E.MODULO, 2),
    "pow": (E.POWER, 3),
}
MAX_EXPRESSION_TERMS = 15
# What a condition compares (ImageKit's if-w_gt_300 and Cloudinary's
# if_w_gt_300 spell them alike): the image as the step gets it, and the input.
CONDITION_PROPERTIES = {
    "w": E.CURRENT_WIDTH,
    "h": E.CURRENT_HEIGHT,
    "ar": E.CURRENT_ASPECT_RATIO,
    "iw": E.INPUT_WIDTH,
    "ih": E.INPUT_HEIGHT,
    "iar": E.INPUT_ASPECT_RATIO,
}
COMPARISONS = {
    "eq": edit_pb2.Condition.EQ,
    "ne": edit_pb2.Condition.NE,
    "gt": edit_pb2.Condition.GT,
    "gte": edit_pb2.Condition.GTE,
    "lt": edit_pb2.Condition.LT,
    "lte": edit_pb2.Condition.LTE,
}


def postfix(
    key: str, value: str, operands: Mapping[str, int], help_text: str, *, negative: str = "-"
) -> edit_pb2.Expression | None:
    """``iw_div_2_add_10`` -> postfix terms (usual precedence: pow, then
    mul/div/mod, then add/sub; left to right otherwise); None when ``value``
    names no operand and no operator (a plain number).

    Args:
        operands: the dialect's operand names -> Expression.Operand
            (ImageKit's current width is ``cw``, Cloudinary's ``w``).
        help_text: the allowed values as errors state them.
        negative: characters accepted as a number's leading minus.

    Raises:
        RequestError: invalid_parameter for a malformed expression.
    """
    parts = value.split("_")
    if len(parts) == 1 and parts[0] not in operands:
        return None
    if len(parts) % 2 == 0 or len(parts) > MAX_EXPRESSION_TERMS:
        raise invalid(key, value, help_text)
    out = E()
    stack: list[tuple[int, int]] = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            if part in operands:
                out.terms.add(operand=operands[part])
            else:
                n = value_parsers.decimal(
                    key, part, -1e6, 1e6, negative=negative, allowed=help_text
                )
                out.terms.add(number=n)
            continue
        if part not in OPERATORS:
            raise invalid(key, value, help_text)
        operator, precedence = OPERATORS[part]
        while stack and (
            stack[-1][1] > precedence or (stack[-1][1] == precedence and part != "pow")
        ):
            out.terms.add(operator=stack.pop()[0])
        stack.append((operator, precedence))
    while stack:
        out.terms.add(operator=stack.pop()[0])
    return out
