"""thumbor's transformer cases: the crop box and resize thumbor computes for a
W x H source and a target, ported as data from thumbor 7.8's
``tests/fixtures/transformer_test_data.py`` (``TESTITEMS``, ``FIT_IN_CROP_DATA``;
thumbor is MIT-licensed, (c) globo.com).

A ``Case`` is (source (W, H) px, target (w, h) px or "orig", halign, valign,
focal points (x, y) px of equal weight, the crop box (left, top, right,
bottom) px thumbor cuts, or None when it does not crop). A ``FitCase`` is a
fit-in (source, box, the (w, h) px it resizes to or None when it keeps the
source size). thumbor's own test passes the crop box as a manual crop as well
(its mock engine does not change size); here it is what ``meta/`` must
report for the URL without one. ``halign="middle"`` there is centre.
"""

from __future__ import annotations

from typing import NamedTuple

Side = int | str  # px, or "orig"


class Case(NamedTuple):
    source: tuple[int, int]
    target: tuple[Side, Side]
    halign: str
    valign: str
    focal_points: tuple[tuple[int, int], ...]
    crop: tuple[int, int, int, int] | None
    stretch: bool = False
    fit_in: bool = False


class FitCase(NamedTuple):
    source: tuple[int, int]
    box: tuple[Side, Side]
    resized: tuple[int, int] | None
    adaptive: bool = False
    full: bool = False


CROP_CASES = [
    Case((800, 600), (400, 150), "center", "middle", (), (0, 75, 800, 375)),
    Case((600, 800), (150, 400), "center", "middle", (), (150, 0, 450, 800)),
    Case((600, 800), (300, 400), "center", "middle", (), None),
    Case((800, 600), (0, 0), "center", "middle", (), None),
    Case((800, 600), (400, 0), "center", "middle", (), None),
    Case((200, 140), (180, 100), "center", "middle", (), (0, 3, 200, 114)),
    Case((200, 200), (100, 100), "center", "middle", ((100, 100),), None),
    Case((400, 200), (100, 100), "center", "middle", ((100, 100),), (50, 0, 250, 200)),
    Case((400, 200), (100, 200), "center", "middle", ((100, 50), (300, 50)), (150, 0, 250, 200)),
    Case((400, 200), (100, 200), "center", "middle", ((100, 150), (300, 150)), (150, 0, 250, 200)),
    Case((400, 200), (100, 200), "center", "middle", ((100, 50), (100, 150)), (75, 0, 175, 200)),
    Case((400, 200), (100, 200), "center", "middle", ((300, 50), (300, 150)), (225, 0, 325, 200)),
    Case((200, 400), (100, 200), "center", "middle", ((100, 50), (300, 50)), None),
    Case((200, 400), (100, 200), "center", "middle", ((100, 150), (300, 150)), None),
    Case((200, 400), (100, 200), "center", "middle", ((100, 50), (100, 150)), None),
    Case((200, 400), (100, 200), "center", "middle", ((300, 50), (300, 150)), None),
    Case(
        (400, 200),
        (100, 100),
        "center",
        "middle",
        ((50, 100), (50, 300), (150, 100), (150, 300)),
        (50, 0, 250, 200),
    ),
    Case((800, 600), (400, 300), "center", "bottom", (), None),
    Case((700, 300), (150, 300), "center", "bottom", (), (275, 0, 425, 300)),
    Case((700, 300), (300, 150), "right", "bottom", (), (100, 0, 700, 300)),
    Case((700, 300), (300, 150), "left", "bottom", (), (0, 0, 600, 300)),
    Case((700, 300), (150, 300), "center", "bottom", (), (275, 0, 425, 300)),
    Case((700, 300), (150, 300), "left", "bottom", (), (0, 0, 150, 300)),
    Case((700, 300), (150, 300), "right", "bottom", (), (550, 0, 700, 300)),
    Case((300, 800), (200, 300), "center", "bottom", (), (0, 251, 300, 701)),
    Case((300, 800), (200, 300), "left", "bottom", (), (0, 251, 300, 701)),
    Case((300, 800), (200, 300), "right", "bottom", (), (0, 251, 300, 701)),
    Case((500, 600), (300, 250), "center", "bottom", (), (0, 119, 500, 536)),
    Case((500, 600), (300, 250), "left", "bottom", (), (0, 119, 500, 536)),
    Case((500, 600), (300, 250), "right", "bottom", (), (0, 119, 500, 536)),
    Case((600, 800), (300, 0), "right", "bottom", (), None),
    Case((600, 800), (300, 0), "center", "bottom", (), None),
    Case((600, 800), (300, 0), "left", "bottom", (), None),
    Case((600, 800), (250, 0), "left", "bottom", (), None),
    Case((600, 800), (250, 0), "right", "bottom", (), None),
    Case((600, 800), (250, 0), "center", "bottom", (), None),
    Case((600, 800), (0, 400), "right", "bottom", (), None),
    Case((600, 800), (0, 400), "left", "bottom", (), None),
    Case((600, 800), (0, 400), "center", "bottom", (), None),
    Case((600, 800), (0, 350), "center", "bottom", (), None),
    Case((600, 800), (0, 350), "left", "bottom", (), None),
    Case((600, 800), (0, 350), "right", "bottom", (), None),
    Case((800, 600), (400, 150), "center", "middle", (), (0, 75, 800, 375)),
    Case((800, 300), (400, 150), "center", "middle", (), None),
    Case((800, 300), (400, 150), "right", "middle", (), None),
    Case((800, 300), (400, 150), "left", "middle", (), None),
    Case((700, 300), (300, 150), "center", "middle", (), (50, 0, 650, 300)),
    Case((700, 300), (300, 150), "left", "middle", (), (0, 0, 600, 300)),
    Case((700, 300), (300, 150), "right", "middle", (), (100, 0, 700, 300)),
    Case((700, 300), (150, 300), "center", "middle", (), (275, 0, 425, 300)),
    Case((700, 300), (150, 300), "left", "middle", (), (0, 0, 150, 300)),
    Case((700, 300), (150, 300), "right", "middle", (), (550, 0, 700, 300)),
    Case((350, 700), (200, 600), "left", "middle", (), (0, 0, 234, 700)),
    Case((350, 700), (200, 600), "center", "middle", (), (58, 0, 292, 700)),
    Case((350, 700), (200, 600), "right", "middle", (), (116, 0, 350, 700)),
    Case((500, 600), (300, 250), "left", "middle", (), (0, 27, 500, 444)),
    Case((500, 600), (300, 250), "center", "middle", (), (0, 27, 500, 444)),
    Case((500, 600), (300, 250), "right", "middle", (), (0, 27, 500, 444)),
    Case((1, 1), (0, 0), "left", "middle", (), None),
    Case((1, 1), (0, 0), "center", "middle", (), None),
    Case((1, 1), (0, 0), "right", "middle", (), None),
    Case((200, 400), (0, 1), "left", "middle", (), None),
    Case((200, 200), (16, 16), "left", "middle", (), None),
    Case((800, 600), (400, 150), "left", "top", (), (0, 0, 800, 300)),
    Case((800, 600), (400, 150), "center", "top", (), (0, 0, 800, 300)),
    Case((800, 600), (400, 150), "right", "top", (), (0, 0, 800, 300)),
    Case((600, 800), (150, 400), "left", "top", (), (0, 0, 300, 800)),
    Case((600, 800), (150, 400), "center", "top", (), (150, 0, 450, 800)),
    Case((600, 800), (150, 400), "right", "top", (), (300, 0, 600, 800)),
    Case((800, 60), (400, 15), "left", "top", (), (0, 0, 800, 30)),
    Case((800, 60), (400, 15), "center", "top", (), (0, 0, 800, 30)),
    Case((800, 60), (400, 15), "right", "top", (), (0, 0, 800, 30)),
    Case((60, 800), (15, 400), "left", "top", (), (0, 0, 30, 800)),
    Case((60, 800), (15, 400), "center", "top", (), (15, 0, 45, 800)),
    Case((60, 800), (15, 400), "right", "top", (), (30, 0, 60, 800)),
    Case((8, 6), (4, 2), "left", "top", (), (0, 0, 8, 4)),
    Case((8, 6), (4, 2), "center", "top", (), (0, 0, 8, 4)),
    Case((8, 6), (4, 2), "right", "top", (), (0, 0, 8, 4)),
    Case((6, 8), (2, 4), "left", "top", (), (0, 0, 4, 8)),
    Case((6, 8), (2, 4), "center", "top", (), (1, 0, 5, 8)),
    Case((6, 8), (2, 4), "right", "top", (), (2, 0, 6, 8)),
    Case((800, 600), (400, 300), "left", "top", (), None),
    Case((800, 600), (400, 300), "center", "top", (), None),
    Case((800, 600), (400, 300), "right", "top", (), None),
    Case((800, 600), (800, 600), "left", "top", (), None),
    Case((800, 600), (800, 600), "center", "top", (), None),
    Case((800, 600), (800, 600), "right", "top", (), None),
    Case((800, 400), (400, "orig"), "middle", "middle", (), (200, 0, 600, 400)),
    Case((800, 400), ("orig", 100), "middle", "middle", (), (200, 0, 600, 400)),
    Case((800, 400), ("orig", "orig"), "middle", "middle", (), (200, 0, 600, 400)),
]

FIT_IN_CASES = [
    FitCase((800, 400), (400, 100), (200, 100)),
    FitCase((1000, 250), (500, 200), (500, 125)),
    FitCase((200, 250), (500, 400), None),
    FitCase((800, 400), (100, 400), (200, 100), adaptive=True),
    FitCase((800, 400), (400, 100), (400, 200), full=True),
    FitCase((200, 250), (500, 400), (500, 625), full=True),
    FitCase((800, 400), (100, 400), (400, 200), adaptive=True, full=True),
    FitCase((500, 500), (250, "orig"), (250, 250)),
    FitCase((500, 500), ("orig", 250), (250, 250)),
    FitCase((500, 500), ("orig", "orig"), None),
]
