"""Issue [15]: Cloudinary delivery URLs, built by Cloudinary's own Python SDK
(``cloudinary.utils.cloudinary_url`` with ``cname`` pointing at the gateway),
through the real mesh under /cloudinary/: sizes to the pixel, crops located
by the pixels they keep (geometry.png: red = x, green = 2 y), the SDK's
signatures, and the AI effects on the mesh's own models."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import cloudinary
import cloudinary.utils
import numpy as np
import pytest

from gateway.accounts import DEV_KEY
from gateway.cloudinary import signing
from tests.cloudinary_sdk_cases import CASES, SdkCase
from tests.helpers import HAVE_SHARED, SHARED_DATA, extra_gateway, get, iou, post_form, send

CLOUD = "imgmesh-test"
SECRET = "imgmesh-cloudinary-secret"
GEOMETRY = "synthetic/geometry.png"  # 200 x 100: red = x, green = 2 y, blue 128
NAMED = {"blip": "c_scale,w_50", "blop": "a_90", "thumb": "c_fill,h_40,w_40/e_grayscale"}
PYCLOUDINARY_SECRET = "b"  # test/test_utils.py setUp: api_secret="b"


def _gateway(mesh, tmp_path_factory, **env: str) -> Iterator[str]:
    named = tmp_path_factory.mktemp("cloudinary") / "named.json"
    named.write_text(json.dumps(NAMED))
    base = {
        "IMGMESH_CLOUDINARY_CLOUD_NAME": CLOUD,
        "IMGMESH_CLOUDINARY_API_SECRET": SECRET,
        "IMGMESH_CLOUDINARY_NAMED_TRANSFORMATIONS": str(named),
    }
    log = tmp_path_factory.mktemp("cloudinary") / "gateway.log"
    with extra_gateway(mesh.ports, [], {**base, **env}, log) as url:
        yield url


@pytest.fixture(scope="module")
def cld(mesh, tmp_path_factory) -> Iterator[str]:
    """A gateway with the test cloud's name, secret and named transformations."""
    yield from _gateway(mesh, tmp_path_factory)


@pytest.fixture(scope="module")
def cld_root(mesh, tmp_path_factory) -> Iterator[str]:
    """Cloudinary as the root dialect, public ids resolved in the "dev"
    media library first, strict transformations on."""
    yield from _gateway(
        mesh,
        tmp_path_factory,
        IMGMESH_ROOT_DIALECT="cloudinary",
        IMGMESH_CLOUDINARY_LIBRARY="dev",
        IMGMESH_CLOUDINARY_STRICT_TRANSFORMATIONS="true",
    )


def url(base: str, public_id: str = GEOMETRY, **options: Any) -> str:
    """The SDK's URL, with its ``cname`` setting pointing at ``base``."""
    host = base.removeprefix("http://")
    built, _ = cloudinary.utils.cloudinary_url(
        public_id,
        cloud_name=CLOUD,
        api_secret=SECRET,
        cname=f"{host}/cloudinary",
        secure=False,
        **options,
    )
    assert built.startswith(f"http://{host}/cloudinary/{CLOUD}/"), built
    return built


def pixels(address: str, headers: dict[str, str] | None = None) -> np.ndarray:
    r = get(address, headers)
    assert r.status == 200, (address, r.body[:300])
    return r.pixels().astype(int)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.test}-{sorted(c.options)}")
def test_pycloudinary_option_sets(cld: str, case: SdkCase) -> None:
    r = get(url(cld, case.public_id or GEOMETRY, **case.options))
    assert r.status == case.status, r.body[:300]
    if case.status != 200:
        assert r.json()["code"] and r.headers["x-cld-error"]
        return
    image = r.image()
    if case.size is not None:
        assert (image.width, image.height) == case.size


# (options, size, the source pixel (x, y) at the result's top-left)
CROPS = [
    ({"width": 100, "height": 100, "crop": "crop"}, (100, 100), (50, 0)),
    ({"width": 50, "height": 50, "crop": "crop", "x": 10, "y": 20}, (50, 50), (10, 20)),
    ({"width": 50, "height": 50, "crop": "crop", "gravity": "south_east"}, (50, 50), (150, 50)),
    ({"width": 50, "height": 50, "crop": "crop", "gravity": "east", "x": 10}, (50, 50), (140, 25)),
    ({"width": 50, "height": 50, "crop": "crop", "gravity": "south", "y": 10}, (50, 50), (75, 40)),
    ({"width": 50, "height": 50, "crop": "crop", "gravity": "xy_center", "x": 60, "y": 40},
     (50, 50), (35, 15)),
    ({"width": 0.25, "height": 0.5, "crop": "crop", "x": 0.5, "y": 0.5}, (50, 50), (100, 50)),
    ({"width": 300, "height": 50, "crop": "crop"}, (200, 50), (0, 25)),
    ({"width": 100, "height": 100, "crop": "fill"}, (100, 100), (50, 0)),
    ({"width": 100, "height": 100, "crop": "fill", "gravity": "west"}, (100, 100), (0, 0)),
    ({"width": 100, "height": 100, "crop": "fill", "gravity": "east"}, (100, 100), (100, 0)),
    ({"width": 150, "height": 150, "crop": "lfill"}, (150, 100), (25, 0)),
    ({"width": 50, "height": 50, "crop": "thumb", "gravity": "north_east"}, (50, 50), (100, 0)),
]  # fmt: skip


@pytest.mark.parametrize("options,size,origin", CROPS, ids=lambda v: str(v))
def test_crops_keep_the_pixels_at_the_gravity(
    cld: str, options: dict, size: tuple[int, int], origin: tuple[int, int]
) -> None:
    p = pixels(url(cld, format="png", **options))
    assert (p.shape[1], p.shape[0]) == size
    x0, y0 = origin
    assert abs(p[0, 0, 0] - x0) <= 2 and abs(p[0, 0, 1] - 2 * y0) <= 3


# crop mode on the 200 x 100 source: (size, the colour at the corner (0, 0) or
# None for the image itself)
MODES = [
    ({"width": 400, "height": 400, "crop": "fit"}, (400, 200), None),
    ({"width": 400, "height": 400, "crop": "limit"}, (200, 100), None),
    ({"width": 400, "height": 400, "crop": "mfit"}, (400, 200), None),
    ({"width": 100, "height": 100, "crop": "mfit"}, (200, 100), None),
    ({"width": 400, "height": 400, "crop": "fill"}, (400, 400), None),
    ({"width": 400, "height": 400, "crop": "lfill"}, (200, 100), None),
    ({"width": 150, "height": 50, "crop": "lfill"}, (150, 50), None),
    ({"width": 100, "height": 100, "crop": "pad"}, (100, 100), [255, 255, 255]),
    ({"width": 100, "height": 100, "crop": "pad", "background": "red"}, (100, 100), [255, 0, 0]),
    ({"width": 400, "height": 400, "crop": "lpad", "background": "blue"}, (400, 400), [0, 0, 255]),
    ({"width": 100, "height": 100, "crop": "lpad"}, (100, 100), [255, 255, 255]),
    ({"width": 400, "height": 400, "crop": "mpad", "background": "#0f0"}, (400, 400), [0, 255, 0]),
    ({"width": 100, "height": 100, "crop": "mpad"}, (200, 100), None),
    ({"width": 100, "height": 100, "crop": "scale"}, (100, 100), None),
    ({"width": 0.5, "crop": "scale"}, (100, 50), None),
    ({"height": 50}, (100, 50), None),
    ({"width": 80, "height": 80, "crop": "auto"}, (80, 80), None),
    ({"width": 80, "height": 80, "crop": "auto_pad", "gravity": "auto"}, (80, 80), None),
    ({"width": 80, "height": 80, "crop": "fill_pad", "gravity": "auto"}, (80, 80), None),
]  # fmt: skip


@pytest.mark.parametrize("options,size,corner", MODES, ids=lambda v: str(v))
def test_crop_modes_sizes_and_padding(
    cld: str, options: dict, size: tuple[int, int], corner: list[int] | None
) -> None:
    p = pixels(url(cld, format="png", **options))
    assert (p.shape[1], p.shape[0]) == size
    if corner is not None:
        assert p[0, 0, :3].tolist() == corner
    else:  # the image itself at the corner: blue is the source's 128
        assert abs(p[0, 0, 2] - 128) <= 2


def test_lpad_and_mpad_do_not_scale_a_smaller_image(cld: str) -> None:
    p = pixels(url(cld, width=400, height=400, crop="lpad", format="png"))
    # the 200 x 100 source unscaled in the middle: x 100..299, y 150..249
    assert p[150, 100, :3].tolist() == [0, 0, 128] and p[249, 299, :2].tolist() == [199, 198]


def test_angles_flips_radius_border_opacity(cld: str) -> None:
    assert pixels(url(cld, angle=90, format="png")).shape[:2] == (200, 100)
    assert pixels(url(cld, angle="hflip", format="png"))[0, 0, 0] == 199
    assert pixels(url(cld, angle="vflip", format="png"))[0, 0, 1] == 198
    turned = pixels(url(cld, angle="hflip.90", format="png"))
    assert turned.shape[:2] == (200, 100)
    assert pixels(url(cld, radius="max", format="png"))[0, 0, 3] == 0
    bordered = pixels(url(cld, border="5px_solid_red", format="png"))
    assert bordered.shape[:2] == (110, 210) and bordered[0, 0, :3].tolist() == [255, 0, 0]
    faded = pixels(url(cld, opacity=50, format="png"))
    assert abs(faded[50, 50, 3] - 128) <= 1


def test_auto_right_turns_a_landscape_image_for_a_portrait_box(cld: str) -> None:
    p = pixels(url(cld, width=50, height=100, crop="fill", angle="auto_right", format="png"))
    assert p.shape[:2] == (100, 50)
    # turned clockwise first: the source's bottom-left (x 0, y 99) is at the top-left
    assert p[0, 0, 0] <= 3 and p[0, 0, 1] >= 190


def test_effects(cld: str) -> None:
    gray = pixels(url(cld, effect="grayscale", format="png"))
    assert gray[50, 150, 0] == gray[50, 150, 1] == gray[50, 150, 2]
    sepia = pixels(url(cld, effect="sepia", format="png"))[50, 100]
    assert sepia[0] > sepia[1] > sepia[2]
    negated = pixels(url(cld, effect="negate", format="png"))
    assert negated[0, 0, :3].tolist() == [255, 255, 127]
    blocks = pixels(url(cld, effect="pixelate:20", format="png"))
    assert (blocks[:20, :20] == blocks[0, 0]).all() and (blocks[0, 20] != blocks[0, 0]).any()
    blurred = pixels(url(cld, effect="blur:300", format="png"))
    assert blurred[0, 0, 0] > 3  # the red ramp smeared into x = 0
    brighter = pixels(url(cld, effect="brightness:50", format="png"))
    assert brighter[50, 100, 2] == 192  # 128 x 1.5
    assert pixels(url(cld, effect="saturation:-100", format="png"))[50, 150, 0] > 60
    trimmed = pixels(url(cld, "synthetic/framed.png", effect="trim", format="png"))
    assert trimmed.shape[:2] == (400, 400)


@pytest.mark.parametrize(
    "effect,status,code",
    [
        ("art:zorro", 501, "cloudinary_not_supported"),
        ("cartoonify", 501, "cloudinary_not_supported"),
        ("gen_remove:prompt_car", 501, "model_unavailable"),
        ("gen_fill", 501, "model_unavailable"),
        ("no_such_effect", 400, "invalid_parameter"),
        ("blur:5000", 400, "invalid_parameter"),
    ],
)
def test_effects_not_served_name_why(cld: str, effect: str, status: int, code: str) -> None:
    r = get(url(cld, effect=effect))
    assert r.status == status and r.json()["code"] == code, r.body[:300]
    assert r.headers["x-cld-error"]
    if code == "model_unavailable":
        assert "gen" in r.json()["message"]


def test_formats_quality_and_negotiation(cld: str) -> None:
    webp = get(url(cld, "synthetic/geometry.webp"))
    assert webp.status == 200 and webp.headers["content-type"] == "image/webp"
    assert get(url(cld, format="jpg")).headers["content-type"] == "image/jpeg"
    auto = url(cld, fetch_format="auto", width=50)
    r = get(auto, {"Accept": "image/avif,image/webp,*/*"})
    assert r.headers["content-type"] == "image/avif" and "Accept" in r.headers["vary"]
    assert get(auto).headers["content-type"] == "image/png"  # the source's format
    small = get(url(cld, "photos/skimage/coffee.png", quality=20, format="jpg")).body
    large = get(url(cld, "photos/skimage/coffee.png", quality=95, format="jpg")).body
    assert len(small) < len(large) / 2
    r = get(url(cld, fetch_format="heic"))
    assert r.status == 501 and r.json()["code"] == "cloudinary_not_supported"


def test_output_flags(cld: str) -> None:
    r = get(url(cld, flags="attachment:my_file", format="png"))
    assert r.headers["content-disposition"] == 'attachment; filename="my_file.png"'
    r = get(url(cld, flags="attachment", format="jpg"))
    assert r.headers["content-disposition"] == 'attachment; filename="geometry.jpg"'
    r = get(url(cld, flags="immutable_cache"))
    assert "immutable" in r.headers["cache-control"]
    progressive = get(url(cld, flags="progressive", format="jpg")).image()
    assert progressive.get("interlaced") == 1


def test_layers_text_image_and_layer_apply(cld: str) -> None:
    logo = {"overlay": "synthetic:logo.png", "gravity": "north_west", "x": 10, "y": 10}
    p = pixels(url(cld, format="png", **logo))
    assert p.shape[:2] == (100, 200)
    assert p[15, 15, :3].tolist() == [255, 0, 0]  # the logo's opaque red half
    assert p[5, 5, 0] == 5  # outside it: the source
    chain = [
        {"overlay": "synthetic:logo.png"},
        {"width": 20, "crop": "scale"},
        {"flags": "layer_apply", "gravity": "north_east"},
    ]
    p = pixels(url(cld, transformation=chain, format="png"))
    # 20 x 13 px in the top-right corner: its red left half at x 180..189
    assert p[2, 182, :3].tolist() == [255, 0, 0] and p[2, 170, 0] == 170
    relative = [
        {"overlay": "synthetic:logo.png", "width": 0.5, "flags": "relative"},
        {"flags": "layer_apply", "gravity": "south_west"},
    ]
    p = pixels(url(cld, transformation=relative, format="png"))
    # half the base's width (100 px) by 67 px at the bottom-left: red at x 10, y 90
    assert p[90, 10, :3].tolist() == [255, 0, 0] and p[20, 10, 0] == 10
    under = pixels(url(cld, "synthetic/logo.png", underlay="synthetic:halves.png", format="png"))
    assert under[20, 45, 3] == 255  # transparent half of the logo now over the halves image
    text = {
        "overlay": {"font_family": "Arial", "font_size": 40, "text": "Hi, you"},
        "color": "white",
    }
    plain = pixels(url(cld, format="png"))
    p = pixels(url(cld, format="png", **text))
    changed = np.abs(p[:, :, :3] - plain[:, :, :3]).sum(axis=2) > 60
    assert 200 < changed.sum() < 200 * 100 / 2  # white glyphs in the middle
    assert changed[:, 90:110].any() and not changed[:, :20].any()


def test_variables_conditions_and_named_transformations(cld: str) -> None:
    block = [
        {"if": "w_gt_100"},
        {"width": 50, "crop": "scale"},
        {"if": "else"},
        {"width": 20, "crop": "scale"},
        {"if": "end"},
    ]
    assert pixels(url(cld, transformation=block, format="png")).shape[:2] == (25, 50)
    block[0] = {"if": "w_gt_1000"}
    assert pixels(url(cld, transformation=block, format="png")).shape[:2] == (10, 20)
    named = pixels(url(cld, transformation="thumb", format="png"))
    assert named.shape[:2] == (40, 40) and named[20, 20, 0] == named[20, 20, 2]
    r = get(url(cld, transformation=[{"if": "w_gt_100"}, {"width": 50}]))
    assert r.status == 400 and r.json()["parameter"] == "if"


def test_signatures_verify_and_tampering_is_refused(cld: str) -> None:
    signed = url(cld, width=30, crop="scale", sign_url=True)
    assert "/s--" in signed and get(signed).status == 200
    tampered = signed.replace("w_30", "w_31")
    r = get(tampered)
    assert r.status == 401 and r.json()["code"] == "cloudinary_signature_mismatch"
    assert r.headers["x-cld-error"]
    other_id = signed.replace("geometry.png", "halves.png")
    assert get(other_id).status == 401
    # the version is not signed (the SDK leaves it out)
    assert get(signed.replace("/v1/", "/v7/")).status == 200
    long_signed = url(cld, width=30, sign_url=True, long_url_signature=True)
    assert get(long_signed).status == 200
    private = url(cld, type="private", width=30)
    assert get(private).status == 401
    assert get(url(cld, type="private", width=30, sign_url=True)).status == 200


def test_the_sdks_own_signing_vectors() -> None:
    """pycloudinary test_utils.py test_signed_url (api_secret "b") and the
    docs' example (secret "abcd", control_access_to_media)."""
    cases = [
        ("c_crop,h_20,w_10/image.jpg", PYCLOUDINARY_SECRET, "Ai4Znfl3"),
        ("image.jpg", PYCLOUDINARY_SECRET, "--SjmNDA"),
        ("http://google.com/path/to/image.png", PYCLOUDINARY_SECRET, "hH_YcbiS"),
        (
            "co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D/image.jpg",
            PYCLOUDINARY_SECRET,
            "Uqk1a-5W",
        ),
        ("c_fill,w_300,h_250/e_grayscale/sample-authenticated.png", "abcd", "iDy_JeBq"),
    ]
    for signed_part, secret, expected in cases:
        assert signing.sign(signed_part, secret) == expected
        assert signing.valid(expected, signed_part, secret)
    for options in ({"sign_url": True}, {"sign_url": True, "long_url_signature": True}):
        for algorithm in ("sha1", "sha256"):
            built, _ = cloudinary.utils.cloudinary_url(
                "sample.jpg",
                cloud_name="test123",
                api_secret=PYCLOUDINARY_SECRET,
                signature_algorithm=algorithm,
                width=100,
                **options,
            )
            sig = built.split("/s--")[1].split("--/")[0]
            used = "sha256" if "long_url_signature" in options else algorithm
            assert signing.valid(sig, "w_100/sample.jpg", PYCLOUDINARY_SECRET, used), built


def test_fetch_reads_remote_images_through_the_origin_guard(cld: str, http_origin: str) -> None:
    remote = f"{http_origin}/synthetic/geometry.png"
    p = pixels(url(cld, remote, type="fetch", width=100, fetch_format="png"))
    assert p.shape[:2] == (50, 100)
    signed = url(cld, remote, type="fetch", width=100, sign_url=True)
    assert get(signed).status == 200
    for target in (
        "http://169.254.169.254/latest/meta-data/x.png",
        "http://10.1.2.3/a.png",
        "http://[::1]/a.png",
        "http://localhost/a.png",
    ):
        r = get(url(cld, target, type="fetch", width=100))
        assert r.status == 403 and r.json()["code"] == "source_forbidden", (target, r.body)
    r = get(f"{cld}/cloudinary/{CLOUD}/image/fetch/w_10/ftp:%2F%2Fexample.com%2Fa.png")
    assert r.status == 404


def test_paths_clouds_and_statuses(cld: str) -> None:
    assert get(f"{cld}/cloudinary/another-cloud/image/upload/{GEOMETRY}").status == 404
    r = get(f"{cld}/cloudinary/{CLOUD}/video/upload/{GEOMETRY}")
    assert r.status == 501 and r.json()["code"] == "cloudinary_not_supported"
    r = get(f"{cld}/cloudinary/{CLOUD}/image/upload/w_10/missing/none.png")
    assert r.status == 404 and r.headers["x-cld-error"] == "Resource not found - missing/none.png"
    r = get(f"{cld}/cloudinary/{CLOUD}/image/upload/c_nope,w_10/{GEOMETRY}")
    assert r.status == 400 and r.json()["parameter"] == "c"
    assert r.headers["x-cld-error"].startswith("invalid value 'nope' for parameter 'c'")
    # a public id without its extension resolves to the file by its stem
    assert (
        pixels(f"{cld}/cloudinary/{CLOUD}/image/upload/w_20/v1/synthetic/geometry").shape[1] == 20
    )
    # a decoded CR/LF never reaches a header (the route itself refuses it: 404)
    r = get(f"{cld}/cloudinary/{CLOUD}/image/upload/c_fill,g_auto:%0D%0Ax,h_9,w_9/{GEOMETRY}")
    assert r.status == 404 and r.json()["code"] == "not_found"
    r = get(f"{cld}/cloudinary/{CLOUD}/image/upload/c_fill,g_auto:%09x,h_9,w_9/{GEOMETRY}")
    assert r.status == 501 and "\t" not in r.headers["x-cld-error"]
    # iu: the SDKs' shortened image/upload
    assert get(f"{cld}/cloudinary/{CLOUD}/iu/w_20/v1/{GEOMETRY}").status == 200


def test_root_dialect_library_first_and_strict_transformations(cld_root: str) -> None:
    halves = pixels(f"{cld_root}/cloudinary/{CLOUD}/image/upload/synthetic/halves.png")
    assert halves.shape[:2] == (100, 200)
    # strict transformations: components need a signature
    r = get(f"{cld_root}/{CLOUD}/image/upload/w_20/v1/{GEOMETRY}")
    assert r.status == 401 and r.json()["code"] == "cloudinary_signature_required"
    signed = url(cld_root, width=20, sign_url=True).replace("/cloudinary/", "/", 1)
    assert pixels(signed).shape[1] == 20
    # a file uploaded to the "dev" media library is found before the origin
    blue = np.zeros((30, 40, 3), dtype=np.uint8)
    blue[..., 2] = 255
    import pyvips

    png = pyvips.Image.new_from_array(blue).copy(interpretation="srgb").pngsave_buffer()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{DEV_KEY}:".encode()).decode()}
    form = {"fileName": "halves.png", "folder": "/synthetic", "useUniqueFileName": "false"}
    reply = post_form(f"{cld_root}/api/v1/files/upload", form, {"file": png}, auth)
    assert reply.status == 200, reply.body
    try:
        p = pixels(f"{cld_root}/{CLOUD}/image/upload/synthetic/halves.png")
        assert p.shape[:2] == (30, 40) and p[0, 0, :3].tolist() == [0, 0, 255]
    finally:
        file_id = reply.json()["fileId"]
        assert send(f"{cld_root}/v1/files/{file_id}", "DELETE", headers=auth).status == 204


def test_background_removal_matches_the_imagekit_dialect(cld: str, base_url: str) -> None:
    """e_background_removal runs the same default segmentation model as
    ImageKit's e-bgremove: the masks agree (IoU within 0.02 of each other
    against the ground truth where the shared data has one)."""
    if HAVE_SHARED and (SHARED_DATA / "segmentation" / "index.csv").exists():
        import csv

        import pyvips

        with (SHARED_DATA / "segmentation" / "index.csv").open() as fh:
            row = next(csv.DictReader(fh))
        name = row["image"].split("/")[-1]
        cut = pixels(url(cld, f"segmentation/{name}", effect="background_removal", format="png"))
        ik = pixels(f"{base_url}/segmentation/{name}?tr=e-bgremove,f-png")
        truth = pyvips.Image.new_from_file(str(SHARED_DATA / "segmentation" / row["mask"]))
        truth = truth.thumbnail_image(cut.shape[1], height=cut.shape[0], size="force")
        gt = truth.numpy()
        gt = (gt if gt.ndim == 2 else gt[..., 0]) > 127
        assert abs(iou(cut[..., 3] > 127, gt) - iou(ik[..., 3] > 127, gt)) <= 0.02
    else:
        cut = pixels(url(cld, "photos/skimage/coffee.png", effect="background_removal"))
        ik = pixels(f"{base_url}/photos/skimage/coffee.png?tr=e-bgremove")
    assert cut.shape == ik.shape and cut.shape[2] == 4
    assert iou(cut[..., 3] > 127, ik[..., 3] > 127) >= 0.98
    assert 0.05 < (cut[..., 3] > 127).mean() < 0.95


@pytest.mark.parametrize(
    "gravity,imagekit",
    [("face", "fo-face"), ("auto", "fo-auto"), ("auto:cup", "fo-cup")],
)
def test_ai_gravity_matches_the_imagekit_dialect(
    cld: str, base_url: str, gravity: str, imagekit: str
) -> None:
    source = "photos/skimage/astronaut.png" if gravity == "face" else "synthetic/cup_right.png"
    p = pixels(url(cld, source, width=120, height=120, crop="fill", gravity=gravity, format="png"))
    ik = pixels(f"{base_url}/{source}?tr=w-120,h-120,{imagekit},f-png")
    assert p.shape == ik.shape == (120, 120, p.shape[2])
    assert np.abs(p - ik).mean() < 1.0


def test_face_effects_change_only_the_face(cld: str) -> None:
    source = "photos/skimage/astronaut.png"
    plain = pixels(url(cld, source, format="png"))
    for effect in ("blur_faces", "pixelate_faces:12"):
        p = pixels(url(cld, source, effect=effect, format="png"))
        changed = np.abs(p[..., :3] - plain[..., :3]).sum(axis=2) > 30
        assert 0.002 < changed.mean() < 0.2, effect
        assert not changed[400:, :100].any(), effect  # the lower left: no face there
