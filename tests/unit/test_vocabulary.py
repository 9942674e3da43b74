"""contract/vocabulary.py is the one home of the vocabulary the dialects map
onto: a second table of format names, media types or spelling -> enum values
of the vocabulary enums written anywhere else fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from contract import vocabulary
from contract.catalogue import CATALOGUE, SEGMENTATION, SEGMENTATION_MODELS
from imgmesh.v1 import edit_pb2
from mesh.processes import REPO_ROOT

PACKAGES = ("gateway", "transform_svc", "asset_svc", "inference", "mesh", "bench")
FORMAT_WORDS = {*vocabulary.FORMATS, *vocabulary.FORMAT_ALIASES}
# The enums whose values every dialect names through contract.vocabulary.
VOCABULARY_ENUMS = {
    *edit_pb2.CropMode.keys(),
    *edit_pb2.Focus.keys(),
    *edit_pb2.Format.keys(),
    *edit_pb2.Overlay.Blend.keys(),
}


def _strings(nodes: list[ast.expr | None]) -> list[str]:
    return [n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _enum_refs(nodes: list[ast.expr]) -> list[str]:
    return [n.attr for n in nodes if isinstance(n, ast.Attribute) and n.attr in VOCABULARY_ENUMS]


def vocabulary_tables(source: str) -> list[int]:
    """Line numbers of literals that restate the vocabulary: a collection of two
    or more format names or media types, or a dict spelling two or more
    vocabulary enum values."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            words = _strings(list(node.elts))
        elif isinstance(node, ast.Dict):
            words = _strings(list(node.keys))
            if len(_enum_refs(list(node.values))) >= 2 and len(words) >= 2:
                found.append(node.lineno)
                continue
        else:
            continue
        formats = [w for w in words if w.lower() in FORMAT_WORDS]
        media = [w for w in words if w.lower().startswith("image/")]
        if len(formats) >= 2 or len(media) >= 2:
            found.append(node.lineno)
    return found


def test_the_detector_finds_a_second_table() -> None:
    assert vocabulary_tables('FORMATS = ("png", "webp")') == [1]
    assert vocabulary_tables('T = {"image/png": 1, "image/gif": 2}') == [1]
    assert vocabulary_tables('F = {"a": edit_pb2.FOCUS_TOP, "b": edit_pb2.FOCUS_LEFT}') == [1]
    assert vocabulary_tables('ALLOWED = ("png",)') == []


@pytest.mark.parametrize(
    "path",
    sorted(p for pkg in PACKAGES for p in (REPO_ROOT / pkg).rglob("*.py")),
    ids=lambda p: str(p.relative_to(REPO_ROOT)),
)
def test_no_vocabulary_table_outside_contract(path: Path) -> None:
    assert vocabulary_tables(path.read_text()) == [], "name these through contract.vocabulary"


def test_canonical_names_cover_every_enum_value() -> None:
    assert set(vocabulary.CROP_MODES.values()) == set(edit_pb2.CropMode.values()) - {0}
    assert set(vocabulary.FOCUS.values()) == set(edit_pb2.Focus.values()) - {0}
    assert vocabulary.compass("top", "left") == edit_pb2.FOCUS_TOP_LEFT
    assert vocabulary.compass("center", "center") == edit_pb2.FOCUS_CENTER
    assert vocabulary.MEDIA_TYPES[edit_pb2.FORMAT_AVIF] == "image/avif"
    assert vocabulary.format_named("JPG") == edit_pb2.FORMAT_JPEG


def test_segmentation_models_come_from_the_catalogue() -> None:
    served = {m.name for m in CATALOGUE if m.capability == SEGMENTATION}
    assert set(SEGMENTATION_MODELS) == served
    from inference import segmentation

    assert set(segmentation.MODELS) == served
    assert "u2netp" in SEGMENTATION_MODELS and "isnet" in SEGMENTATION_MODELS


def test_imagekit_flags_name_encode_fields() -> None:
    from gateway.imagekit.urlgrammar.params import FLAG_KEYS

    assert set(FLAG_KEYS.values()) <= set(vocabulary.ENCODE_FLAGS)
