"""The model catalogue (contract/catalogue.py) is the one description of each
served model: Triton's config.pbtxt, the build recipes, the model repository's
folders, the Makefile and the runtime adapters all agree with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract import catalogue
from inference import face_detection, object_detection, segmentation, text_detection
from inference import upscale as esrgan
from mesh.processes import REPO_ROOT
from modelbuild.fetch_models import MODELS as RECIPES

REPOSITORY = REPO_ROOT / "model_repository"


@pytest.mark.parametrize("served", catalogue.CATALOGUE, ids=lambda m: m.name)
def test_the_written_repository_is_the_catalogue_entry(
    served: catalogue.ServedModel, tmp_path: Path
) -> None:
    catalogue.write_repository(str(tmp_path))
    text = (tmp_path / served.name / "config.pbtxt").read_text()
    assert text.startswith(f"# {served.about.splitlines()[0]}\n")
    config = [line for line in text.splitlines() if not line.startswith("#")]
    assert config[0] == f'name: "{served.name}"'
    assert f"max_batch_size: {served.max_batch_size}" in config
    link = tmp_path / served.name / "1" / "model.py"
    assert link.is_symlink() and link.resolve() == REPO_ROOT / catalogue.RUNNER
    # the tree's own repository, written by make, is current
    assert (REPOSITORY / served.name / "config.pbtxt").read_text() == text, "make setup"
    assert (REPOSITORY / served.name / "1" / "model.py").resolve() == REPO_ROOT / catalogue.RUNNER


def test_every_model_has_a_build_recipe() -> None:
    assert {m.name for m in RECIPES} == set(catalogue.MODELS)


def test_nothing_generated_is_committed() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "model_repository"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == ["model_repository/README.md"]


def test_the_makefile_lists_the_catalogue() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "contract.catalogue"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [f"model_repository/{m.name}/1/model.onnx" for m in catalogue.CATALOGUE]
    assert "$(shell $(PYTHON) -m contract.catalogue)" in (REPO_ROOT / "Makefile").read_text()


def test_the_adapters_read_the_catalogue() -> None:
    for model in (segmentation.U2NETP, segmentation.ISNET):
        served = catalogue.model(model.name)
        assert served.capability == catalogue.SEGMENTATION
        assert (model.input_name, model.size) == (served.input.name, served.input.dims[-1])
        assert model.output_name == served.outputs[0].name
    assert set(segmentation.MODELS) == {
        m.name for m in catalogue.with_capability(catalogue.SEGMENTATION)
    }
    assert face_detection.MODEL in catalogue.MODELS
    assert object_detection.MODEL in catalogue.MODELS
    assert text_detection.MODEL in catalogue.MODELS
    assert set(esrgan.MODELS.values()) == {
        m.name for m in catalogue.with_capability(catalogue.UPSCALE)
    }
