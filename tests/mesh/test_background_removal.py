"""Background removal quality against ground truth, and Triton dynamic batching."""

from __future__ import annotations

import asyncio
import csv
import re

import aiohttp
import numpy as np
import pyvips

from tests.helpers import SHARED_DATA, get, iou, skip_without_shared

WIDTH = 480  # px: sources are up to 5108 px wide; u2netp sees 320 px anyway


def segmentation_pairs() -> list[dict[str, str]]:
    if not (SHARED_DATA / "segmentation" / "index.csv").exists():
        skip_without_shared("segmentation/ (DIS5K, DAVIS ground truth)")
    with (SHARED_DATA / "segmentation" / "index.csv").open() as fh:
        return list(csv.DictReader(fh))


def ground_truth(row: dict[str, str], width: int, height: int) -> np.ndarray:
    mask = pyvips.Image.new_from_file(str(SHARED_DATA / "segmentation" / row["mask"]))
    if mask.bands > 1:
        mask = mask[0]
    mask = mask.thumbnail_image(width, height=height, size="force")  # masks may be smaller
    return mask.numpy() > 127


async def _fetch_all(urls: list[str], concurrency: int) -> list[bytes]:
    sem = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def one(url: str) -> bytes:
            async with sem, session.get(url) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.read()

        return await asyncio.gather(*(one(u) for u in urls))


def test_cutouts_match_ground_truth(base_url):
    """IoU of alpha > 0.5 against the ground-truth masks of all 46 pairs.

    Thresholds are u2netp's measured quality (the same numbers as a rembg-style
    in-process run: overall 0.69, persons 0.90, products 0.39 with 2/16 >= 0.7);
    products are where u2netp is weak, which ISNet (issue [5]) addresses.
    """
    rows = segmentation_pairs()
    urls = [
        f"{base_url}/segmentation/{row['image'].split('/')[-1]}?tr=w-{WIDTH},e-bgremove"
        for row in rows
    ]
    bodies = asyncio.run(_fetch_all(urls, concurrency=4))
    scores: dict[str, list[float]] = {}
    for row, body in zip(rows, bodies, strict=True):
        out = pyvips.Image.new_from_buffer(body, "")
        assert out.bands == 4 and out.width == WIDTH
        alpha = out.numpy()[..., 3]
        score = iou(alpha > 127, ground_truth(row, out.width, out.height))
        scores.setdefault(row["category"], []).append(score)
    everything = [s for v in scores.values() for s in v]
    for category, values in sorted(scores.items()):
        print(f"{category}: mean IoU {np.mean(values):.3f} over {len(values)}")
    assert sum(s >= 0.7 for s in everything) >= 5
    assert np.mean(everything) >= 0.65
    assert np.mean(scores["person"]) >= 0.85
    assert np.mean(scores["product"]) >= 0.35
    assert sum(s >= 0.7 for s in scores["product"]) >= 2


def _metric(text: str, name: str, model: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and f'model="{model}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_concurrent_requests_are_batched_by_triton(base_url, mesh):
    before = get(mesh.triton_metrics_url).body.decode()
    urls = [f"{base_url}/photos/skimage/chelsea.png?tr=w-{100 + i},e-bgremove" for i in range(16)]
    asyncio.run(_fetch_all(urls, concurrency=16))
    after = get(mesh.triton_metrics_url).body.decode()
    requests = _metric(after, "nv_inference_request_success", "u2netp") - _metric(
        before, "nv_inference_request_success", "u2netp"
    )
    executions = _metric(after, "nv_inference_exec_count", "u2netp") - _metric(
        before, "nv_inference_exec_count", "u2netp"
    )
    assert requests == 16
    assert executions < requests, f"{executions} executions for {requests} requests: no batching"


def test_triton_metrics_are_exposed(mesh):
    text = get(mesh.triton_metrics_url).body.decode()
    assert re.search(r'nv_inference_count\{model="u2netp"', text)


ISNET_PRODUCTS = (
    "dis5k_te1_tool_clock_44011819935",
    "dis5k_te1_accessories_eyeglasses_47958244331",
    "dis5k_te3_musicinstrument_drum_2568563453",
)


def test_isnet_through_the_model_header_cuts_products_out(base_url):
    """ISNet (the service default; this suite's mesh defaults to u2netp for
    speed) chosen per request: products that u2netp gets wrong come out right."""
    rows = {row["id"]: row for row in segmentation_pairs()}
    for name in ISNET_PRODUCTS:
        row = rows[name]
        # ISNet sees 1024 px: give it that much detail (thin parts such as
        # spectacle frames vanish at 480 px)
        url = f"{base_url}/segmentation/{row['image'].split('/')[-1]}?tr=w-1024,e-bgremove"
        scores = {}
        for model in ("isnet", "u2netp"):
            r = get(url, headers={"x-imgmesh-segmentation-model": model})
            assert r.status == 200
            assert "x-imgmesh-segmentation-model" in r.headers["vary"]
            out = r.image()
            scores[model] = iou(out.numpy()[..., 3] > 127, ground_truth(row, out.width, out.height))
        assert scores["isnet"] >= 0.9, (name, scores)
        assert scores["isnet"] > scores["u2netp"], (name, scores)


def test_unknown_segmentation_model_is_a_400(base_url):
    r = get(
        f"{base_url}/photos/skimage/coffee.png?tr=e-bgremove",
        headers={"x-imgmesh-segmentation-model": "sam"},
    )
    body = r.json()
    assert r.status == 400 and body["parameter"] == "x-imgmesh-segmentation-model"
    assert "isnet" in body["allowed"]
