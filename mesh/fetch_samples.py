"""Fill ``images/photos/`` with the public-domain photos shipped inside the
scikit-image wheel (``skimage/data/*``), fetched with ``pip download
--no-deps``; nothing is installed.

``images/`` is the default local origin (``IMGMESH_ORIGIN_ROOT``): a user's own
images go there too, beside ``photos/``. It is git-ignored and ``make clean``
leaves it alone."""

from __future__ import annotations

import tempfile
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
ORIGIN_DIR = Path(__file__).resolve().parent.parent / "images"  # the default local origin
SAMPLE_PHOTOS = ORIGIN_DIR / "photos"
DEST = SAMPLE_PHOTOS


def main() -> None:
    DEST.mkdir(parents=True, exist_ok=True)
    if all((DEST / name).exists() for name in PHOTOS):
        return
    from modelbuild.fetch_models import wheel_members  # build-time only

    members = [f"skimage/data/{name}" for name in PHOTOS]
    with tempfile.TemporaryDirectory() as tmp:
        files = wheel_members(REQUIREMENT, members, Path(tmp))
    for name in PHOTOS:
        (DEST / name).write_bytes(files[f"skimage/data/{name}"])


if __name__ == "__main__":
    main()
