"""Issue [16], the per-account registries through ImageKit's official SDK:
named transformations used as ``n-<name>`` in the account's file URLs,
saved extensions run by id on upload, custom metadata fields enforced on
upload and update; one account never sees another's."""

from __future__ import annotations

import uuid

import imagekitio
import pytest

from mesh.processes import Mesh
from tests.conftest import OTHER_KEY, REGISTRY_KEY
from tests.helpers import get
from tests.mesh.test_file_operations import png


@pytest.fixture(scope="module")
def ik(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=REGISTRY_KEY, base_url=mesh.gateway_url, max_retries=0)


@pytest.fixture(scope="module")
def other(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=OTHER_KEY, base_url=mesh.gateway_url, max_retries=0)


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_named_transformations_crud_and_use_in_urls(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit, base_url: str
) -> None:
    name = unique("thumb")
    made = ik.named_transformations.create(name=name, transformation="w-20,h-10")
    assert made.name == name and made.enabled and made.transformation == "w-20,h-10"
    assert ik.named_transformations.get(made.id).transformation == "w-20,h-10"
    assert name in [n.name for n in ik.named_transformations.list()]
    assert name not in [n.name for n in other.named_transformations.list()]
    with pytest.raises(imagekitio.NotFoundError):
        other.named_transformations.get(made.id)
    file = ik.files.upload(file=png((0, 0, 255), 80, 60), file_name="n.png", folder=unique("/nt"))
    image = get(f"{file.url}?tr=n-{name}").image()
    assert (image.width, image.height) == (20, 10)
    ik.named_transformations.update(made.id, transformation="w-30,h-15")
    image = get(f"{file.url}?tr=n-{name},f-png").image()  # a new URL: the cache keys differ
    assert (image.width, image.height) == (30, 15)
    ik.named_transformations.update(made.id, enabled=False)
    assert get(f"{file.url}?tr=n-{name},f-webp").status == 400
    with pytest.raises(imagekitio.BadRequestError):
        ik.named_transformations.create(name=unique("bad"), transformation="w-notanumber")
    with pytest.raises(imagekitio.ConflictError):
        ik.named_transformations.create(name=name, transformation="w-10")
    ik.named_transformations.delete(made.id)
    with pytest.raises(imagekitio.NotFoundError):
        ik.named_transformations.get(made.id)


def test_saved_extensions_run_by_id_on_upload(ik: imagekitio.ImageKit) -> None:
    saved = ik.saved_extensions.create(
        name=unique("tagger"),
        description="auto-tagging, 3 tags",
        config={"name": "google-auto-tagging", "max_tags": 3, "min_confidence": 10},
    )
    assert saved.config is not None and ik.saved_extensions.get(saved.id).name == saved.name
    assert saved.id in [s.id for s in ik.saved_extensions.list()]
    upload = ik.files.upload(
        file=png((120, 80, 40), 64, 64),
        file_name="s.png",
        extensions=[{"name": "saved-extension", "id": saved.id}],
    )
    assert upload.extension_status is not None
    assert upload.extension_status.google_auto_tagging in ("success", "pending")
    with pytest.raises(imagekitio.BadRequestError):
        ik.files.upload(
            file=png((1, 1, 1)),
            file_name="t.png",
            extensions=[{"name": "saved-extension", "id": "nope"}],
        )
    ik.saved_extensions.delete(saved.id)
    with pytest.raises(imagekitio.NotFoundError):
        ik.saved_extensions.get(saved.id)


def test_custom_metadata_fields_are_enforced(ik: imagekitio.ImageKit) -> None:
    price = ik.custom_metadata_fields.create(
        name=unique("price"),
        label="Price",
        schema={"type": "Number", "min_value": 0, "max_value": 1000, "is_value_required": True},
    )
    colour = ik.custom_metadata_fields.create(
        name=unique("colour"),
        label="Colour",
        schema={"type": "SingleSelect", "select_options": ["red", "blue"], "default_value": "red"},
    )
    assert {f.id for f in ik.custom_metadata_fields.list()} >= {price.id, colour.id}
    folder = unique("/cm")
    made = ik.files.upload(
        file=png((5, 5, 5)), file_name="a.png", folder=folder, custom_metadata={price.name: 20}
    )
    assert made.custom_metadata == {price.name: 20, colour.name: "red"}  # the default filled in
    for bad in ({price.name: 2000}, {price.name: "cheap"}, {colour.name: "green"}, {}, {"x": 1}):
        with pytest.raises(imagekitio.BadRequestError):
            ik.files.upload(file=png((5, 5, 5)), file_name="b.png", custom_metadata=bad)
    updated = ik.files.update(made.file_id, custom_metadata={price.name: 30, colour.name: "blue"})
    assert updated.custom_metadata == {price.name: 30, colour.name: "blue"}
    with pytest.raises(imagekitio.BadRequestError):
        ik.files.update(made.file_id, custom_metadata={price.name: None})
    changed = ik.custom_metadata_fields.update(price.id, label="Price, EUR")
    assert changed.label == "Price, EUR" and changed.name == price.name
    with pytest.raises(imagekitio.BadRequestError):
        ik.custom_metadata_fields.create(name=unique("bad"), label="x", schema={"type": "Colour"})
    ik.custom_metadata_fields.delete(price.id)
    ik.custom_metadata_fields.delete(colour.id)
    free = ik.files.upload(file=png((5, 5, 5)), file_name="c.png", custom_metadata={"any": 1})
    assert free.custom_metadata == {"any": 1}  # no fields left: free-form again


def test_metadata_of_a_stored_file_and_of_a_url(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit, http_origin: str, origin_root
) -> None:
    import pyvips

    xy = pyvips.Image.xyz(400, 300)
    image = (xy[0] * 0.6).bandjoin([xy[1] * 0.8, xy[0] * 0 + 90]).cast("uchar")
    image = image.draw_rect([250, 20, 20], 40, 60, 120, 90, fill=True).copy()
    image.set_type(pyvips.GValue.gint_type, "orientation", 6)
    image.set_type(pyvips.GValue.gstr_type, "exif-ifd0-Artist", "Ann Example")
    data = image.jpegsave_buffer(Q=90)
    stored = ik.files.upload(file=data, file_name="exif.jpg", folder=unique("/meta"))
    meta = ik.files.metadata.get(stored.file_id)
    assert (meta.width, meta.height, meta.size, meta.format) == (300, 400, len(data), "jpg")
    assert meta.has_transparency is False and len(meta.p_hash or "") == 16
    assert meta.exif is not None and meta.exif.image is not None
    assert meta.exif.image.to_dict().get("Artist") == "Ann Example"
    with pytest.raises(imagekitio.NotFoundError):
        other.files.metadata.get(stored.file_id)
    (origin_root / "meta").mkdir(exist_ok=True)
    (origin_root / "meta" / "exif.jpg").write_bytes(data)
    remote = ik.files.metadata.get_from_url(url=f"{http_origin}/meta/exif.jpg")
    assert remote.p_hash == meta.p_hash and remote.size == len(data)
    # the perceptual hash survives a rescale and tells different images apart
    smaller = ik.files.upload(file=image.resize(0.5).jpegsave_buffer(), file_name="s.jpg")
    small_hash = ik.files.metadata.get(smaller.file_id).p_hash or ""
    distance = bin(int(small_hash, 16) ^ int(meta.p_hash or "0", 16)).count("1")
    assert distance <= 6
    for target in ("http://169.254.169.254/x.jpg", "http://10.0.0.1/x.jpg", "ftp://x/y.jpg"):
        with pytest.raises((imagekitio.PermissionDeniedError, imagekitio.BadRequestError)):
            ik.files.metadata.get_from_url(url=target)


def test_account_usage_counts_the_librarys_bytes(ik: imagekitio.ImageKit) -> None:
    import datetime as dt

    today = dt.date.today()
    window = {"start_date": today - dt.timedelta(days=1), "end_date": today + dt.timedelta(days=1)}
    before = ik.accounts.usage.get(**window)
    data = png((3, 3, 3), 120, 90)
    ik.files.upload(file=data, file_name="u.png", extensions=[{"name": "google-auto-tagging"}])
    after = ik.accounts.usage.get(**window)
    assert (after.media_library_storage_bytes or 0) - (
        before.media_library_storage_bytes or 0
    ) == len(data)
    assert (after.extension_units_count or 0) >= (before.extension_units_count or 0)
    assert after.bandwidth_bytes == 0
    with pytest.raises(imagekitio.BadRequestError):
        ik.accounts.usage.get(start_date=today, end_date=today - dt.timedelta(days=2))
