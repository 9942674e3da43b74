"""imgproxy v4's own geometry cases (processing/processing_test.go, every
``sizeTestCase``: a URL against its 200 x 100 ``testdata/geometry.png`` and the
output size), as data for tests/unit/test_imgproxy_geometry.py and the mesh test."""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = (200, 100)  # testdata/geometry.png


@dataclass(frozen=True)
class SizeCase:
    """One case: resize:<rt>:<w>:<h> and the options it adds, and the output size."""

    suite: str
    rt: str
    w: int
    h: int
    out: tuple[int, int]
    enlarge: bool = False
    extend: bool = False
    extend_ar: bool = False
    rotate: int = 0
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    limit: int = 0

    def url_options(self) -> str:
        """The options as imgproxy's test builds them (testutil.OptionsBuilder)."""
        parts = [f"mrd:{self.limit}"] if self.limit else []
        parts.append(f"rs:{self.rt}:{self.w}:{self.h}")
        parts += ["el:1"] * self.enlarge + ["ex:1"] * self.extend + ["exar:1"] * self.extend_ar
        if self.rotate:
            parts.append(f"rot:{self.rotate}")
        if any(self.padding):
            parts.append("pd:" + ":".join(map(str, self.padding)))
        return "/".join(parts)


CASES = [
    SizeCase("TestResizeToFit", "fit", 50, 50, (50, 25)),
    SizeCase("TestResizeToFit", "fit", 50, 20, (40, 20)),
    SizeCase("TestResizeToFit", "fit", 20, 50, (20, 10)),
    SizeCase("TestResizeToFit", "fit", 300, 300, (200, 100)),
    SizeCase("TestResizeToFit", "fit", 300, 50, (100, 50)),
    SizeCase("TestResizeToFit", "fit", 100, 300, (100, 50)),
    SizeCase("TestResizeToFit", "fit", 0, 50, (100, 50)),
    SizeCase("TestResizeToFit", "fit", 50, 0, (50, 25)),
    SizeCase("TestResizeToFit", "fit", 0, 200, (200, 100)),
    SizeCase("TestResizeToFit", "fit", 300, 0, (200, 100)),
    SizeCase("TestResizeToFitEnlarge", "fit", 50, 50, (50, 25), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 50, 20, (40, 20), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 20, 50, (20, 10), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 300, 300, (300, 150), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 300, 125, (250, 125), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 250, 300, (250, 125), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 0, 50, (100, 50), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 50, 0, (50, 25), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 0, 200, (400, 200), enlarge=True),
    SizeCase("TestResizeToFitEnlarge", "fit", 300, 0, (300, 150), enlarge=True),
    SizeCase("TestResizeToFitExtend", "fit", 50, 50, (50, 50), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 50, 20, (50, 20), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 20, 50, (20, 50), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 300, 300, (300, 300), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 300, 125, (300, 125), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 250, 300, (250, 300), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 0, 50, (100, 50), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 50, 0, (50, 25), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 0, 200, (200, 200), extend=True),
    SizeCase("TestResizeToFitExtend", "fit", 300, 0, (300, 100), extend=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 50, 50, (50, 50), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 50, 20, (50, 20), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 20, 50, (20, 50), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 300, 300, (200, 200), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 300, 125, (240, 100), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 250, 500, (200, 400), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 0, 50, (100, 50), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 50, 0, (50, 25), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 0, 200, (200, 100), extend_ar=True),
    SizeCase("TestResizeToFitExtendAR", "fit", 300, 0, (200, 100), extend_ar=True),
    SizeCase("TestResizeToFill", "fill", 50, 50, (50, 50)),
    SizeCase("TestResizeToFill", "fill", 50, 20, (50, 20)),
    SizeCase("TestResizeToFill", "fill", 20, 50, (20, 50)),
    SizeCase("TestResizeToFill", "fill", 300, 300, (200, 100)),
    SizeCase("TestResizeToFill", "fill", 300, 50, (200, 50)),
    SizeCase("TestResizeToFill", "fill", 100, 300, (100, 100)),
    SizeCase("TestResizeToFill", "fill", 0, 50, (100, 50)),
    SizeCase("TestResizeToFill", "fill", 50, 0, (50, 25)),
    SizeCase("TestResizeToFill", "fill", 0, 200, (200, 100)),
    SizeCase("TestResizeToFill", "fill", 300, 0, (200, 100)),
    SizeCase("TestResizeToFillEnlarge", "fill", 50, 50, (50, 50), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 50, 20, (50, 20), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 20, 50, (20, 50), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 300, 300, (300, 300), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 300, 125, (300, 125), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 250, 300, (250, 300), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 0, 50, (100, 50), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 50, 0, (50, 25), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 0, 200, (400, 200), enlarge=True),
    SizeCase("TestResizeToFillEnlarge", "fill", 300, 0, (300, 150), enlarge=True),
    SizeCase("TestResizeToFillExtend", "fill", 50, 50, (50, 50), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 50, 20, (50, 20), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 20, 50, (20, 50), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 300, 300, (300, 300), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 300, 125, (300, 125), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 250, 300, (250, 300), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 300, 50, (300, 50), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 100, 300, (100, 300), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 0, 50, (100, 50), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 50, 0, (50, 25), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 0, 200, (200, 200), extend=True),
    SizeCase("TestResizeToFillExtend", "fill", 300, 0, (300, 100), extend=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 50, 50, (50, 50), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 50, 20, (50, 20), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 20, 50, (20, 50), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 300, 300, (200, 200), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 300, 125, (240, 100), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 250, 500, (200, 400), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 300, 50, (300, 50), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 100, 300, (100, 300), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 0, 50, (100, 50), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 50, 0, (50, 25), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 0, 200, (200, 100), extend_ar=True),
    SizeCase("TestResizeToFillExtendAR", "fill", 300, 0, (200, 100), extend_ar=True),
    SizeCase("TestResizeToFillDown", "fill-down", 50, 50, (50, 50)),
    SizeCase("TestResizeToFillDown", "fill-down", 50, 20, (50, 20)),
    SizeCase("TestResizeToFillDown", "fill-down", 20, 50, (20, 50)),
    SizeCase("TestResizeToFillDown", "fill-down", 300, 300, (100, 100)),
    SizeCase("TestResizeToFillDown", "fill-down", 300, 125, (200, 83)),
    SizeCase("TestResizeToFillDown", "fill-down", 250, 300, (83, 100)),
    SizeCase("TestResizeToFillDown", "fill-down", 0, 50, (100, 50)),
    SizeCase("TestResizeToFillDown", "fill-down", 50, 0, (50, 25)),
    SizeCase("TestResizeToFillDown", "fill-down", 0, 200, (200, 100)),
    SizeCase("TestResizeToFillDown", "fill-down", 300, 0, (200, 100)),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 50, 50, (50, 50), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 50, 20, (50, 20), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 20, 50, (20, 50), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 300, 300, (300, 300), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 300, 125, (300, 125), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 250, 300, (250, 300), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 0, 50, (100, 50), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 50, 0, (50, 25), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 0, 200, (400, 200), enlarge=True),
    SizeCase("TestResizeToFillDownEnlarge", "fill-down", 300, 0, (300, 150), enlarge=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 50, 50, (50, 50), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 50, 20, (50, 20), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 20, 50, (20, 50), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 300, 300, (300, 300), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 300, 125, (300, 125), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 250, 300, (250, 300), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 300, 50, (300, 50), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 100, 300, (100, 300), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 0, 50, (100, 50), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 50, 0, (50, 25), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 0, 200, (200, 200), extend=True),
    SizeCase("TestResizeToFillDownExtend", "fill-down", 300, 0, (300, 100), extend=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 50, 50, (50, 50), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 50, 20, (50, 20), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 20, 50, (20, 50), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 300, 300, (100, 100), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 300, 125, (200, 83), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 250, 300, (83, 100), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 0, 50, (100, 50), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 50, 0, (50, 25), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 0, 200, (200, 100), extend_ar=True),
    SizeCase("TestResizeToFillDownExtendAR", "fill-down", 300, 0, (200, 100), extend_ar=True),
    SizeCase("TestResultSizeLimit", "fit", 100, 100, (100, 50), limit=1000),
    SizeCase("TestResultSizeLimit", "fit", 100, 100, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fit", 0, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fit", 0, 100, (100, 50), limit=100),
    SizeCase("TestResultSizeLimit", "fit", 150, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fit", 1000, 1000, (100, 50), limit=100),
    SizeCase("TestResultSizeLimit", "fit", 1000, 1000, (100, 50), enlarge=True, limit=100),
    SizeCase("TestResultSizeLimit", "fit", 1000, 2000, (50, 100), extend=True, limit=100),
    SizeCase("TestResultSizeLimit", "fit", 1000, 2000, (50, 100), extend_ar=True, limit=100),
    SizeCase("TestResultSizeLimit", "fit", 100, 150, (50, 100), rotate=90, limit=100),
    SizeCase("TestResultSizeLimit", "fit", 0, 0, (50, 100), rotate=90, limit=100),
    SizeCase(
        "TestResultSizeLimit", "fit", 100, 100, (200, 129), padding=(100, 200, 300, 400), limit=200
    ),
    SizeCase("TestResultSizeLimit", "fill", 100, 100, (100, 100), limit=1000),
    SizeCase("TestResultSizeLimit", "fill", 100, 100, (50, 50), limit=50),
    SizeCase("TestResultSizeLimit", "fill", 1000, 50, (50, 13), limit=50),
    SizeCase("TestResultSizeLimit", "fill", 100, 1000, (50, 50), limit=50),
    SizeCase("TestResultSizeLimit", "fill", 0, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fill", 0, 100, (100, 50), limit=100),
    SizeCase("TestResultSizeLimit", "fill", 150, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fill", 1000, 1000, (100, 50), limit=100),
    SizeCase("TestResultSizeLimit", "fill", 1000, 1000, (100, 100), enlarge=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill", 1000, 2000, (50, 100), extend=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill", 1000, 2000, (50, 100), extend_ar=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill", 100, 150, (67, 100), rotate=90, limit=100),
    SizeCase("TestResultSizeLimit", "fill", 0, 0, (50, 100), rotate=90, limit=100),
    SizeCase(
        "TestResultSizeLimit", "fill", 100, 100, (200, 144), padding=(100, 200, 300, 400), limit=200
    ),
    SizeCase("TestResultSizeLimit", "fill-down", 100, 100, (100, 100), limit=1000),
    SizeCase("TestResultSizeLimit", "fill-down", 100, 100, (50, 50), limit=50),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 50, (50, 3), limit=50),
    SizeCase("TestResultSizeLimit", "fill-down", 100, 1000, (5, 50), limit=50),
    SizeCase("TestResultSizeLimit", "fill-down", 0, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fill-down", 0, 100, (100, 50), limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 150, 0, (50, 25), limit=50),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 1000, (100, 100), limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 1000, (100, 100), enlarge=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 2000, (50, 100), extend=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 2000, (50, 100), extend_ar=True, limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 1000, 1500, (67, 100), rotate=90, limit=100),
    SizeCase("TestResultSizeLimit", "fill-down", 0, 0, (50, 100), rotate=90, limit=100),
    SizeCase(
        "TestResultSizeLimit",
        "fill-down",
        100,
        100,
        (200, 144),
        padding=(100, 200, 300, 400),
        limit=200,
    ),
    SizeCase(
        "TestResultSizeLimit",
        "fill-down",
        1000,
        1000,
        (200, 144),
        padding=(100, 200, 300, 400),
        limit=200,
    ),
]
