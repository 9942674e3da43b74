"""Fill ``samples/photos/`` (the embedded default origin) with the public-domain
photos shipped inside the scikit-image wheel (``skimage/data/*``), fetched
with ``pip download --no-deps``; nothing is installed."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REQUIREMENT = "scikit-image==0.26.0"
PHOTOS = (
    "astronaut.png",
    "coffee.png",
    "chelsea.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "camera.png",
    "logo.png",
)
DEST = Path(__file__).resolve().parent.parent / "samples" / "photos"


def main() -> None:
    DEST.mkdir(parents=True, exist_ok=True)
    if all((DEST / name).exists() for name in PHOTOS):
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                tmp,
                REQUIREMENT,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            for name in PHOTOS:
                (DEST / name).write_bytes(zf.read(f"skimage/data/{name}"))
    print(f"samples: {len(PHOTOS)} photos in {DEST}")


if __name__ == "__main__":
    main()
