"""Issue [17]: the web console at /console, driven in a real headless
Chromium (Playwright with Debian's ``chromium``) against the real mesh:
sign-in, uploads with progress and a refused file, remove-bg followed live,
a version restored, the playground's preview against the URL API and its
dialect URLs, the cut-out view and the Photoroom form. Screenshots of each
page go to ``tests/artifacts/`` for a reviewer."""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import imagekitio
import pytest

from gateway.accounts import DEV_KEY
from mesh.processes import Mesh
from tests.helpers import SAMPLES, get
from tests.mesh.test_file_operations import png

playwright = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
COFFEE = "photos/skimage/coffee.png"  # 600 x 400 RGB PNG in the test origin
TIMEOUT_MS = 120_000


def chromium_path() -> str:
    """Debian's chromium on PATH (make test-deps installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip(
            "no chromium installed (make test-deps installs Debian's): console tests skipped"
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield b
        b.close()


class Console:
    """One tab of the console, with every console error and page error kept."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []  # script errors and console.error
        self.failed_loads: list[str] = []  # responses >= 400 the browser logs
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._console)
        self.base = base

    def _console(self, message) -> None:
        if message.type == "error":
            failed = message.text.startswith("Failed to load resource")
            (self.failed_loads if failed else self.errors).append(message.text)

    def sign_in(self, key: str = DEV_KEY) -> None:
        self.page.goto(f"{self.base}/console")
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser, mesh: Mesh) -> Iterator[Console]:
    c = Console(browser, mesh.gateway_url)
    yield c
    c.close()


def expect():
    return playwright.expect


def open_folder(c: Console, folder: str) -> None:
    path = c.page.get_by_label("Folder", exact=True)
    path.fill(folder)
    path.press("Enter")


def test_the_console_is_static_and_shows_nothing_without_a_key(mesh: Mesh) -> None:
    page = get(f"{mesh.gateway_url}/console")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ("main.js", "api.js", "console.css"):
        assert get(f"{mesh.gateway_url}/console/{name}").status == 200
    for bad in ("routes.py", "..%2Froutes.py", "%2e%2e%2f__init__.py", "nothing.js"):
        refused = get(f"{mesh.gateway_url}/console/{bad}")
        assert refused.status == 404 and refused.json()["code"] == "not_found", bad
    assert get(f"{mesh.gateway_url}/v1/files").status == 401  # the data needs the key


def test_no_console_errors_on_load_and_sign_in(console: Console) -> None:
    console.sign_in()
    expect()(console.page.get_by_role("button", name="Library")).to_be_visible()
    expect()(console.page.locator("#lib-status")).not_to_have_text("Loading…")
    assert console.errors == [] and console.failed_loads == []


def test_sign_in_with_a_wrong_key_then_the_right_one(console: Console) -> None:
    console.sign_in("not-a-key")
    expect()(console.page.locator("#signin-status")).to_have_text("That key is not valid.")
    expect()(console.page.get_by_role("button", name="Library")).to_be_hidden()
    console.page.get_by_label("API key").fill(DEV_KEY)
    console.page.get_by_role("button", name="Sign in").click()
    expect()(console.page.get_by_role("button", name="Library")).to_be_visible()
    assert console.page.evaluate("sessionStorage.getItem('imgmesh.apiKey')") == DEV_KEY
    assert console.page.evaluate("localStorage.length") == 0  # kept for the tab only
    console.page.get_by_role("button", name="Playground").click()
    console.page.get_by_role("button", name="Cut-out").click()
    console.page.get_by_role("button", name="Photoroom").click()
    console.page.get_by_role("button", name="Library").click()
    assert console.errors == []


def test_upload_three_files_then_a_refused_one(console: Console) -> None:
    folder = f"/console-{uuid.uuid4().hex[:8]}"
    console.sign_in()
    open_folder(console, folder)
    files = [
        {"name": f"tile{i}.png", "mimeType": "image/png", "buffer": png(rgb, 64, 48)}
        for i, rgb in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)])
    ]
    console.page.get_by_label("Upload").set_input_files(files)
    rows = console.page.locator("#uploads li")
    expect()(rows).to_have_count(3)
    for i in range(3):
        expect()(rows.nth(i).locator(".upload-status")).to_have_text("done", timeout=TIMEOUT_MS)
        assert rows.nth(i).locator("progress").evaluate("p => p.value") == 1
    tiles = console.page.locator("#grid li.tile")
    expect()(tiles).to_have_count(3)
    # every thumbnail is rendered by the URL API
    for i in range(3):
        img = tiles.nth(i).locator("img")
        expect()(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") == 64
    console.shot("library")
    too_big = {
        "name": "huge.png",
        "mimeType": "image/png",
        "buffer": b"\x89PNG" + b"\0" * (26 << 20),
    }
    console.page.get_by_label("Upload").set_input_files([too_big])
    row = console.page.locator("#uploads li")
    expect()(row).to_have_count(1)
    expect()(row.locator(".upload-status")).to_contain_text("refused", timeout=TIMEOUT_MS)
    expect()(tiles).to_have_count(3)  # nothing else broke
    assert console.errors == []


def test_remove_bg_status_goes_from_pending_to_success_without_a_reload(
    console: Console, mesh: Mesh
) -> None:
    folder = f"/console-{uuid.uuid4().hex[:8]}"
    ik = imagekitio.ImageKit(private_key=DEV_KEY, base_url=mesh.gateway_url, max_retries=0)
    ik.files.upload(
        file=(SAMPLES / "coffee.png").read_bytes(),
        file_name="cup.png",
        folder=folder,
        use_unique_file_name=False,
    )
    console.sign_in()
    open_folder(console, folder)
    console.page.get_by_role("button", name="Open cup.png").click()
    expect()(console.page.locator("#details")).to_be_visible()
    console.page.evaluate("window.__marker = 1")  # gone if the page reloads
    console.page.get_by_role("button", name="Remove background").click()
    status = console.page.locator("#ext-status")
    expect()(status).to_have_text("remove-bg: pending")
    expect()(status).to_have_text("remove-bg: success", timeout=TIMEOUT_MS)
    assert console.page.evaluate("window.__marker") == 1
    expect()(console.page.locator("#versions li")).to_have_count(2)
    # the preview shows the new version: the cut-out, transparent in a corner
    preview = console.page.get_by_role("img", name="Preview")
    expect()(preview).to_have_attribute("src", re.compile("ik-obj-version="))
    corner_alpha = preview.evaluate(
        """async (img) => {
          await img.decode();
          const c = document.createElement("canvas");
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext("2d"); g.drawImage(img, 0, 0);
          return g.getImageData(2, 2, 1, 1).data[3];
        }"""
    )
    assert corner_alpha < 128
    console.shot("details")


def test_restore_an_earlier_version(console: Console, mesh: Mesh) -> None:
    folder = f"/console-{uuid.uuid4().hex[:8]}"
    ik = imagekitio.ImageKit(private_key=DEV_KEY, base_url=mesh.gateway_url, max_retries=0)
    first = ik.files.upload(
        file=png((255, 0, 0)), file_name="v.png", folder=folder, use_unique_file_name=False
    )
    ik.files.upload(
        file=png((0, 0, 255)), file_name="v.png", folder=folder, use_unique_file_name=False
    )
    assert get(first.url).pixels()[0, 0, :3].tolist() == [0, 0, 255]
    console.sign_in()
    open_folder(console, folder)
    console.page.get_by_role("button", name="Open v.png").click()
    console.page.get_by_role("button", name=f"Restore {first.version_info.name}").click()
    expect()(console.page.locator("#details-status")).to_contain_text("restored")
    assert get(first.url).pixels()[0, 0, :3].tolist() == [255, 0, 0]
    # the restored version is current now: its own delete is disabled
    item = console.page.locator(f'#versions li[data-version-id="{first.version_info.id}"]')
    expect()(item.get_by_role("button", name=f"Delete {first.version_info.name}")).to_be_disabled()


def page_sha256(c: Console, selector: str) -> str:
    return c.page.evaluate(
        """async (sel) => {
          const b = await (await fetch(document.querySelector(sel).src)).arrayBuffer();
          const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b));
          return Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("");
        }""",
        selector,
    )


def test_playground_preview_matches_the_url_api_and_every_dialect(console: Console) -> None:
    console.sign_in()
    console.page.get_by_role("button", name="Playground").click()
    pg = console.page.locator("#playground")
    pg.get_by_label("Source", exact=True).fill(COFFEE)
    pg.get_by_label("Width", exact=True).fill("300")
    pg.get_by_label("Focus").select_option("face")
    console.page.get_by_role("button", name="Render").click()
    result = console.page.get_by_role("img", name="Result")
    expect()(console.page.locator("#pg-status")).to_have_text("Rendered", timeout=TIMEOUT_MS)
    natural = result.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    imagekit = console.page.locator('#pg-dialects li[data-dialect="ImageKit"]')
    imagekit.get_by_role("button", name="Copy").click()
    copied = console.page.evaluate("navigator.clipboard.readText()")
    assert "tr=w-300,fo-face" in copied
    direct = get(copied)
    assert direct.status == 200
    image = direct.image()
    assert natural == [image.width, image.height] == [300, 200]
    assert hashlib.sha256(direct.body).hexdigest() == page_sha256(console, "#pg-result")
    thumbor = console.page.locator('#pg-dialects li[data-dialect="thumbor"] a')
    assert "/thumbor/unsafe/300x0/smart/" in thumbor.get_attribute("href")
    links = console.page.locator("#pg-dialects li a")
    assert links.count() == 4  # ImageKit, thumbor, imgproxy, Cloudinary: each renders the same size
    for i in range(links.count()):
        url = links.nth(i).get_attribute("href")
        other = get(url)
        assert other.status == 200, (url, other.body[:200])
        assert (other.image().width, other.image().height) == (300, 200), url
    console.shot("playground")
    assert console.errors == []


def test_playground_shows_the_gateways_error_beside_the_control(console: Console) -> None:
    console.sign_in()
    console.page.get_by_role("button", name="Playground").click()
    console.page.locator("#playground").get_by_label("Source", exact=True).fill(COFFEE)
    console.page.get_by_label("Transformation").fill("w-abc")
    console.page.get_by_role("button", name="Render").click()
    raw_error = console.page.locator("#pg-form .field-error")
    expect()(raw_error).to_have_count(1)
    direct = get(f"{console.base}/{COFFEE}?tr=w-abc")
    assert direct.status == 400
    expect()(raw_error).to_have_text(direct.json()["message"])
    assert console.page.get_by_label("Transformation").get_attribute("aria-invalid") == "true"


def test_cutout_view_shows_the_model_and_the_mask(console: Console) -> None:
    console.sign_in()
    console.page.get_by_role("button", name="Cut-out").click()
    console.page.locator("#co-source").fill(COFFEE)
    console.page.get_by_label("Model").select_option("u2netp")
    console.page.locator("#co-form").get_by_role("button", name="Remove background").click()
    status = console.page.locator("#co-status")
    expect()(status).to_contain_text("Model: u2netp", timeout=TIMEOUT_MS)
    mask = console.page.get_by_role("img", name="Cut-out over a checkerboard")
    assert mask.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [600, 400]
    console.page.get_by_label("Before / after").fill("20")
    clip = console.page.locator("#co-after-clip").evaluate("d => d.style.clipPath")
    assert clip == "inset(0px 0px 0px 20%)"
    console.shot("cutout")
    assert console.errors == []


def test_photoroom_form(console: Console) -> None:
    console.sign_in()
    console.page.get_by_role("button", name="Photoroom").click()
    console.page.get_by_label("Image file").set_input_files(str(SAMPLES / "coffee.png"))
    console.page.get_by_label("Background colour").fill("FFFFFF")
    console.page.get_by_label("Output size").fill("200x200")
    console.page.get_by_role("button", name="Edit").click()
    expect()(console.page.locator("#pr-status")).to_have_text("Edited", timeout=TIMEOUT_MS)
    result = console.page.get_by_role("img", name="Photoroom edit output")
    assert result.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [200, 200]
    console.page.get_by_label("Padding").fill("2")
    console.page.get_by_role("button", name="Edit").click()
    expect()(console.page.locator("#pr-status")).to_contain_text("padding")
