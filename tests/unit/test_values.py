"""The value parsers both dialects share (gateway/value_parsers.py) and each
dialect's spelling of them: same numbers and colours, different syntax."""

from __future__ import annotations

import pytest

from gateway import value_parsers
from gateway.errors import RequestError
from gateway.imagekit.urlgrammar import values as imagekit
from gateway.photoroom import fields as photoroom


@pytest.mark.parametrize(
    ("text", "negative", "expected"),
    [("10", "-", 10.0), ("-2.5", "-", -2.5), (".5", "-", 0.5), ("N10", "N-", -10.0)],
)
def test_decimal(text: str, negative: str, expected: float) -> None:
    assert value_parsers.decimal("x", text, -100, 100, negative=negative) == expected


@pytest.mark.parametrize("text", ["", "N10", "1e3", "١٢", "1" * 13, "--1", "101", "nan"])
def test_decimal_refuses(text: str) -> None:
    with pytest.raises(RequestError) as err:
        value_parsers.decimal("x", text, -100, 100)
    assert err.value.parameter == "x" and err.value.code == "invalid_parameter"


def test_integer_without_sign_refuses_negatives() -> None:
    assert value_parsers.integer("n", "7", 0, 9, negative="") == 7
    with pytest.raises(RequestError):
        value_parsers.integer("n", "-7", -9, 9, negative="")


def test_boolean_spellings() -> None:
    assert value_parsers.boolean("b", "true") is True
    with pytest.raises(RequestError):
        value_parsers.boolean("b", "TRUE")
    assert value_parsers.boolean("b", " TRUE ", any_case=True) is True
    assert value_parsers.boolean("b", "0", true=("1",), false=("0",)) is False


def test_imagekit_and_photoroom_spell_the_same_values_differently() -> None:
    assert imagekit.number("x", "N10", -20, 20) == photoroom.number("x", "-10", -20, 20) == -10
    # Alpha: ImageKit's AA is a decimal opacity (50 = 0.50), Photoroom's is hex.
    ik = imagekit.color("bg", "FF000050")
    pr = photoroom.color("bg", "#FF000080")
    assert (ik.r, ik.g, ik.b, ik.a) == (pr.r, pr.g, pr.b, pr.a) == (255, 0, 0, 128)
    assert photoroom.boolean("crop", "1") is True
    with pytest.raises(RequestError):
        imagekit.boolean("orig", "1")


@pytest.mark.parametrize("text", ["FF0000AB", "GG0000", "Red", "FF00", "FF000050X"])
def test_imagekit_colour_refuses(text: str) -> None:
    with pytest.raises(RequestError):
        imagekit.color("bg", text)


@pytest.mark.parametrize(
    ("text", "rgba"),
    [("f00", (255, 0, 0, 255)), ("Navy", (0, 0, 128, 255)), ("transparent", (0, 0, 0, 0))],
)
def test_photoroom_colours(text: str, rgba: tuple[int, int, int, int]) -> None:
    c = photoroom.color("background.color", text)
    assert (c.r, c.g, c.b, c.a) == rgba


@pytest.mark.parametrize(
    ("text", "px", "ratio"), [("100px", 100.0, 0.0), ("10%", 0.0, 0.1), ("0.2", 0.0, 0.2)]
)
def test_photoroom_lengths(text: str, px: float, ratio: float) -> None:
    length = photoroom.length("padding", text)
    assert length.px == pytest.approx(px) and length.ratio == pytest.approx(ratio)


@pytest.mark.parametrize("text", ["50%", "0.5", "-5px", "abc", "99999px"])
def test_photoroom_length_refuses(text: str) -> None:
    with pytest.raises(RequestError):
        photoroom.length("padding", text)
