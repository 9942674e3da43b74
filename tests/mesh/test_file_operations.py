"""Issue [16], first part: the Files API operations through ImageKit's
official SDK (``imagekitio``) against the real mesh: versions got, restored
and deleted; files copied, moved and renamed; tags and files in bulk, with
ImageKit's partial-failure answer. Side effects are checked where users see
them: the file's URL serves the restored bytes, the moved file answers at its
new path and not the old one, another account changes nothing."""

from __future__ import annotations

import uuid

import imagekitio
import numpy as np
import pytest
import pyvips

from gateway.accounts import DEV_KEY
from mesh.processes import Mesh
from tests.conftest import OTHER_KEY
from tests.helpers import get


@pytest.fixture(scope="module")
def ik(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=DEV_KEY, base_url=mesh.gateway_url, max_retries=0)


@pytest.fixture(scope="module")
def other(mesh: Mesh) -> imagekitio.ImageKit:
    return imagekitio.ImageKit(private_key=OTHER_KEY, base_url=mesh.gateway_url, max_retries=0)


def png(rgb: tuple[int, int, int], width: int = 40, height: int = 30) -> bytes:
    """A solid ``rgb`` PNG of ``width`` x ``height`` px."""
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[...] = rgb
    return pyvips.Image.new_from_array(pixels).copy(interpretation="srgb").pngsave_buffer()


def folder() -> str:
    return f"/ops-{uuid.uuid4().hex[:10]}"


def colour(url: str) -> list[int]:
    r = get(url)
    assert r.status == 200, (url, r.body[:200])
    return r.pixels()[0, 0, :3].astype(int).tolist()


def upload(ik: imagekitio.ImageKit, where: str, name: str, rgb: tuple[int, int, int], **kw):
    return ik.files.upload(
        file=png(rgb), file_name=name, folder=where, use_unique_file_name=False, **kw
    )


def test_versions_get_restore_and_delete(ik: imagekitio.ImageKit) -> None:
    where = folder()
    first = upload(ik, where, "v.png", (255, 0, 0))
    second = upload(ik, where, "v.png", (0, 0, 255))
    assert second.file_id == first.file_id and colour(second.url) == [0, 0, 255]
    old = ik.files.versions.get(first.version_info.id, file_id=first.file_id)
    assert old.version_info.id == first.version_info.id and old.type == "file-version"
    restored = ik.files.versions.restore(first.version_info.id, file_id=first.file_id)
    assert restored.version_info.id == first.version_info.id
    assert colour(second.url) == [255, 0, 0]  # the file's URL serves the restored bytes
    # the current version may not be deleted; the other one may
    with pytest.raises(imagekitio.BadRequestError):
        ik.files.versions.delete(first.version_info.id, file_id=first.file_id)
    ik.files.versions.delete(second.version_info.id, file_id=first.file_id)
    listed = ik.files.versions.list(first.file_id)
    assert [v.version_info.id for v in listed] == [first.version_info.id]
    with pytest.raises(imagekitio.NotFoundError):
        ik.files.versions.get(second.version_info.id, file_id=first.file_id)


def test_copy_move_and_rename_serve_the_file_at_its_new_path(
    ik: imagekitio.ImageKit, base_url: str
) -> None:
    src, dst = folder(), folder()
    original = upload(ik, src, "a.png", (0, 255, 0))
    upload(ik, src, "a.png", (0, 0, 255))  # a second version
    ik.files.copy(destination_path=dst, source_file_path=f"{src}/a.png")
    copied = ik.assets.list(path=dst)
    assert len(copied) == 1 and copied[0].file_path == f"{dst}/a.png"
    assert len(ik.files.versions.list(copied[0].file_id)) == 1  # without includeFileVersions
    assert colour(copied[0].url) == [0, 0, 255]
    ik.files.copy(
        destination_path=folder(), source_file_path=f"{src}/a.png", include_file_versions=True
    )
    moved_to = folder()
    ik.files.move(destination_path=moved_to, source_file_path=f"{src}/a.png")
    assert get(f"{base_url}/dev{src}/a.png").status == 404
    assert colour(f"{base_url}/dev{moved_to}/a.png") == [0, 0, 255]
    moved = ik.files.get(original.file_id)
    assert moved.file_path == f"{moved_to}/a.png"  # the same file, its versions kept
    assert len(ik.files.versions.list(original.file_id)) == 2
    ik.files.rename(file_path=f"{moved_to}/a.png", new_file_name="b.png")
    assert get(f"{base_url}/dev{moved_to}/a.png").status == 404
    assert colour(f"{base_url}/dev{moved_to}/b.png") == [0, 0, 255]
    upload(ik, moved_to, "c.png", (9, 9, 9))
    with pytest.raises(imagekitio.ConflictError):
        ik.files.rename(file_path=f"{moved_to}/b.png", new_file_name="c.png")
    with pytest.raises(imagekitio.NotFoundError):
        ik.files.move(destination_path=dst, source_file_path=f"{src}/none.png")


def test_copy_onto_an_existing_file_appends_its_versions(ik: imagekitio.ImageKit) -> None:
    a, b = folder(), folder()
    upload(ik, a, "x.png", (255, 0, 0))
    target = upload(ik, b, "x.png", (0, 255, 0))
    ik.files.copy(destination_path=b, source_file_path=f"{a}/x.png")
    versions = ik.files.versions.list(target.file_id)
    assert len(versions) == 2
    assert colour(ik.files.get(target.file_id).url) == [255, 0, 0]


def test_bulk_tags_and_delete_with_partial_failure(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit
) -> None:
    where = folder()
    files = [upload(ik, where, f"{i}.png", (i, i, i), tags=["keep"]) for i in range(3)]
    ids = [f.file_id for f in files]
    added = ik.files.bulk.add_tags(file_ids=ids, tags=["sale", "summer"])
    assert sorted(added.successfully_updated_file_ids or []) == sorted(ids)
    assert ik.files.get(ids[0]).tags == ["keep", "sale", "summer"]
    removed = ik.files.bulk.remove_tags(file_ids=ids[:2], tags=["sale"])
    assert sorted(removed.successfully_updated_file_ids or []) == sorted(ids[:2])
    assert ik.files.get(ids[0]).tags == ["keep", "summer"]
    assert ik.files.get(ids[2]).tags == ["keep", "sale", "summer"]
    ai = ik.files.bulk.remove_ai_tags(file_ids=ids, ai_tags=["nothing"])
    assert len(ai.successfully_updated_file_ids or []) == 3
    # another account's key sees none of them: 404 with missingFileIds, nothing changed
    with pytest.raises(imagekitio.NotFoundError) as refused:
        other.files.bulk.add_tags(file_ids=ids[:1], tags=["stolen"])
    assert refused.value.body["missingFileIds"] == ids[:1]
    assert "stolen" not in (ik.files.get(ids[0]).tags or [])
    missing = "0" * 24
    with pytest.raises(imagekitio.NotFoundError) as partly:
        ik.files.bulk.delete(file_ids=[ids[0], missing])
    assert partly.value.body["missingFileIds"] == [missing]
    assert ik.files.get(ids[0]).file_id == ids[0]  # nothing deleted
    deleted = ik.files.bulk.delete(file_ids=ids)
    assert sorted(deleted.successfully_deleted_file_ids or []) == sorted(ids)
    assert ik.assets.list(path=where) == []


@pytest.mark.parametrize(
    "body,parameter",
    [
        ({"fileIds": "abc", "tags": ["x"]}, "fileIds"),
        ({"fileIds": ["a"], "tags": []}, "tags"),
        ({"fileIds": ["a"], "tags": ["x"], "extra": 1}, "extra"),
        ({"fileIds": [f"{i:024x}" for i in range(101)], "tags": ["x"]}, "fileIds"),
    ],
)
def test_malformed_bulk_bodies_are_400(base_url: str, body: dict, parameter: str) -> None:
    import base64
    import json
    import urllib.error
    import urllib.request

    auth = "Basic " + base64.b64encode(f"{DEV_KEY}:".encode()).decode()
    request = urllib.request.Request(
        f"{base_url}/v1/files/addTags",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": auth, "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=30)
    assert failed.value.code == 400
    assert json.loads(failed.value.read())["parameter"] == parameter


def test_concurrent_moves_renames_and_uploads_leave_a_consistent_tree(
    ik: imagekitio.ImageKit, base_url: str
) -> None:
    """8 clients at once on one folder: 3 move files in, 2 copy the same name
    in (one makes the file, the other appends a version), 1 renames, 2
    upload. Afterwards every file answers at exactly one path."""
    from concurrent.futures import ThreadPoolExecutor

    target = folder()
    sources = [folder() for _ in range(3)]
    for i, where in enumerate(sources):
        upload(ik, where, f"m{i}.png", (10 * i, 0, 0))
    same = [folder() for _ in range(2)]
    for where in same:
        upload(ik, where, "same.png", (0, 99, 0))
    renamed = upload(ik, target, "old.png", (1, 2, 3))
    jobs = [
        *(lambda s=s, i=i: ik.files.move(destination_path=target, source_file_path=f"{s}/m{i}.png")
          for i, s in enumerate(sources)),
        *(lambda s=s: ik.files.copy(destination_path=target, source_file_path=f"{s}/same.png")
          for s in same),
        lambda: ik.files.rename(file_path=f"{target}/old.png", new_file_name="new.png"),
        *(lambda i=i: upload(ik, target, f"u{i}.png", (0, 0, i)) for i in range(2)),
    ]  # fmt: skip
    with ThreadPoolExecutor(len(jobs)) as pool:
        for done in [pool.submit(job) for job in jobs]:
            done.result()
    listed = ik.assets.list(path=target)
    paths = sorted(f.file_path for f in listed)
    expected = ["m0.png", "m1.png", "m2.png", "new.png", "same.png", "u0.png", "u1.png"]
    assert paths == [f"{target}/{name}" for name in expected]
    same_file = next(f for f in listed if f.name == "same.png")
    assert len(ik.files.versions.list(same_file.file_id)) == 2
    assert ik.files.get(renamed.file_id).file_path == f"{target}/new.png"
    for f in listed:
        assert get(f"{base_url}/dev{f.file_path}").status == 200
    for where in sources:
        assert ik.assets.list(path=where) == []


def test_client_side_upload_with_the_sdks_authentication_parameters(
    ik: imagekitio.ImageKit, base_url: str
) -> None:
    """The app's server makes the parameters with the SDK's helper; the
    browser posts them with no private key; each token works once."""
    import time

    from gateway.accounts import DEV_PUBLIC_KEY
    from tests.helpers import post_form

    url = f"{base_url}/api/v1/files/upload"
    where = folder()

    def form(params: dict, name: str) -> dict[str, str]:
        return {
            "fileName": name,
            "folder": where,
            "useUniqueFileName": "false",
            "publicKey": DEV_PUBLIC_KEY,
            "token": params["token"],
            "expire": str(params["expire"]),
            "signature": params["signature"],
        }

    params = ik.helper.get_authentication_parameters()
    done = post_form(url, form(params, "c.png"), {"file": png((0, 200, 0))})
    assert done.status == 200, done.body
    assert done.json()["filePath"] == f"{where}/c.png"
    replay = post_form(url, form(params, "d.png"), {"file": png((0, 200, 0))})
    assert replay.status == 401 and replay.json()["code"] == "upload_token_used"
    # a placeholder private key in the SDK's Basic header does not stand in the way
    fresh = ik.helper.get_authentication_parameters()
    placeholder = {"Authorization": "Basic cGxhY2Vob2xkZXI6"}  # "placeholder:"
    assert post_form(url, form(fresh, "e.png"), {"file": png((1, 1, 1))}, placeholder).status == 200
    bad = dict(ik.helper.get_authentication_parameters())
    bad["signature"] = "0" * 40
    assert post_form(url, form(bad, "f.png"), {"file": png((1, 1, 1))}).status == 401
    late = ik.helper.get_authentication_parameters(expire=int(time.time()) + 7200)
    r = post_form(url, form(late, "g.png"), {"file": png((1, 1, 1))})
    assert r.status == 400 and r.json()["parameter"] == "expire"
    past = ik.helper.get_authentication_parameters(expire=int(time.time()) - 5)
    assert post_form(url, form(past, "h.png"), {"file": png((1, 1, 1))}).status == 400
    unknown = {**form(ik.helper.get_authentication_parameters(), "i.png"), "publicKey": "nope"}
    assert post_form(url, unknown, {"file": png((1, 1, 1))}).status == 403
    # neither a key nor the parameters: 401 as before
    assert post_form(url, {"fileName": "j.png"}, {"file": png((1, 1, 1))}).status == 401
    assert sorted(f.name for f in ik.assets.list(path=where)) == ["c.png", "e.png"]


def test_folders_create_list_copy_move_rename_and_delete(
    ik: imagekitio.ImageKit, other: imagekitio.ImageKit, base_url: str
) -> None:
    root = folder()
    ik.folders.create(folder_name="empty", parent_folder_path=root)
    listed = ik.assets.list(path=root, type="folder")
    assert [f.folder_path for f in listed] == [f"{root}/empty"]  # an empty folder exists
    upload(ik, f"{root}/src/inner", "deep.png", (0, 0, 200))
    upload(ik, f"{root}/src", "top.png", (200, 0, 0))
    job = ik.folders.copy(destination_path=f"{root}/dst", source_folder_path=f"{root}/src")
    status = ik.folders.job.get(job.job_id)
    assert (status.type, status.status) == ("COPY_FOLDER", "Completed")
    assert colour(f"{base_url}/dev{root}/dst/src/inner/deep.png") == [0, 0, 200]
    assert colour(f"{base_url}/dev{root}/src/top.png") == [200, 0, 0]  # the copy keeps it
    ik.folders.move(destination_path=f"{root}/empty", source_folder_path=f"{root}/src")
    assert get(f"{base_url}/dev{root}/src/top.png").status == 404
    assert colour(f"{base_url}/dev{root}/empty/src/top.png") == [200, 0, 0]
    renamed = ik.folders.rename(folder_path=f"{root}/empty/src", new_folder_name="moved")
    assert ik.folders.job.get(renamed.job_id).type == "RENAME_FOLDER"
    assert colour(f"{base_url}/dev{root}/empty/moved/inner/deep.png") == [0, 0, 200]
    paths = {f.folder_path for f in ik.assets.list(path=root, type="folder")}
    assert f"{root}/src" not in paths and f"{root}/empty/moved/inner" in paths
    # another account sees neither the folder nor the job
    with pytest.raises(imagekitio.NotFoundError):
        other.folders.job.get(job.job_id)
    with pytest.raises(imagekitio.NotFoundError):
        other.folders.delete(folder_path=f"{root}/empty")
    with pytest.raises(imagekitio.BadRequestError):
        ik.folders.move(destination_path=f"{root}/empty/moved", source_folder_path=f"{root}/empty")
    ik.folders.delete(folder_path=f"{root}/empty")
    assert get(f"{base_url}/dev{root}/empty/moved/inner/deep.png").status == 404
    left = sorted(f.file_path for f in ik.assets.list(path=root))
    assert left == [f"{root}/dst/src/inner/deep.png", f"{root}/dst/src/top.png"]
    with pytest.raises(imagekitio.NotFoundError):
        ik.folders.delete(folder_path=f"{root}/empty")


def test_folder_paths_are_case_sensitive_on_every_database(ik: imagekitio.ImageKit) -> None:
    where = folder()
    upload(ik, f"{where}/photos", "a.png", (1, 2, 3))
    with pytest.raises(imagekitio.NotFoundError):
        ik.folders.delete(folder_path=f"{where}/PHOTOS")
    assert [f.name for f in ik.assets.list(path=f"{where}/photos")] == ["a.png"]
    ik.files.rename(file_path=f"{where}/photos/a.png", new_file_name="b?c#d.png")
    assert [f.name for f in ik.assets.list(path=f"{where}/photos")] == ["b_c_d.png"]
