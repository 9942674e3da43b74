"""``make bench``: (a) 12 MP JPEG -> 300x300 JPEG q80 through the full HTTP
path vs in-process pyvips, (a2) what the render-worker process boundary costs;
(b) e-bgremove on 1 MP photos through the mesh vs a rembg-style in-process loop;
(g) the same thumbnail through the imgproxy, thumbor and Cloudinary dialects' URLs.
Same inputs, same run; prints a table."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import pyvips

from bench import assets, boundary, faces, peers, text_removal
from bench.baselines import RembgStyle, vips_thumbnails
from bench.inputs import ONE_MP_SOURCES, SHARED, TWELVE_MP
from bench.load import FormPost, Result, http_load
from gateway.accounts import DEV_KEY
from mesh.processes import Mesh, Ports
from modelbuild.fetch_models import U2NETP, model_path

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIES = 16


def prepare_origin(root: Path) -> list[str]:
    """Write the benchmark inputs; return the 1 MP names."""
    (root / "bench").mkdir(parents=True)
    (root / "bench" / "12mp.jpg").write_bytes(TWELVE_MP.read_bytes())
    # Distinct copies: identical concurrent requests would share one render.
    for i in range(COPIES):
        (root / "bench" / f"12mp_{i}.jpg").write_bytes(TWELVE_MP.read_bytes())
    for face in sorted((SHARED / "faces").glob("*.jpg")):
        (root / "bench" / face.name).write_bytes(face.read_bytes())
    names = []
    for i, rel in enumerate(ONE_MP_SOURCES):
        image = pyvips.Image.thumbnail(str(SHARED / rel), 1155, height=866, size="force")
        name = f"bench/1mp_{i}.jpg"
        image.write_to_file(str(root / name), Q=90)
        names.append(name)
    return names


def row(result: Result, reference: Result | None) -> str:
    ratio = f"{result.rps / reference.rps:5.2f}" if reference else "  1.00"
    return (
        f"| {result.name:<46} | {result.requests:>4} | {result.rps:7.2f} | "
        f"{result.pct(50):8.1f} | {result.pct(99):8.1f} | {ratio} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--thumbnails", type=int, default=80, help="requests in (a)")
    parser.add_argument("--cutouts", type=int, default=24, help="requests in (b)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "origin"
        one_mp = prepare_origin(root)
        # (a), (b), (d) measure rendering: the result cache is off.
        # (b) compares like with like: u2netp in the mesh and in the baseline.
        mesh = Mesh(
            ports=Ports(),
            origin_root=root,
            log_dir=Path(tmp) / "logs",
            result_cache="none",
            env={"IMGMESH_SEGMENTATION_MODEL": "u2netp"},
        )
        mesh.start()
        try:
            urls = [
                f"{mesh.gateway_url}/bench/12mp_{i % COPIES}.jpg?tr=w-300,h-300,f-jpg,q-80"
                for i in range(args.thumbnails)
            ]
            thumbs_http = http_load(
                f"HTTP mesh, concurrency {args.concurrency}",
                urls,
                args.concurrency,
                warmup=args.concurrency,
            )
            # (g) the same thumbnail through the other dialects' URLs
            dialects = [
                http_load(
                    f"{name} URL, concurrency {args.concurrency}",
                    [template.format(i % COPIES) for i in range(args.thumbnails)],
                    args.concurrency,
                    warmup=args.concurrency,
                )
                for name, template in (
                    (
                        "imgproxy",
                        mesh.gateway_url + "/imgproxy/insecure/rs:fit:300:300/q:80/plain/"
                        "local:///bench/12mp_{}.jpg@jpg",
                    ),
                    (
                        "thumbor",
                        mesh.gateway_url + "/thumbor/unsafe/fit-in/300x300/"
                        "filters:quality(80)/bench/12mp_{}.jpg",
                    ),
                    (
                        "Cloudinary",
                        mesh.gateway_url + "/cloudinary/demo/image/upload/"
                        "c_limit,h_300,q_80,w_300/bench/12mp_{}.jpg",
                    ),
                )
            ]
            # q changes nothing for the PNG output but keeps every URL distinct.
            cut_urls = [
                f"{mesh.gateway_url}/{one_mp[i % len(one_mp)]}?tr=e-bgremove,q-{1 + i}"
                for i in range(args.cutouts)
            ]
            cut_http = http_load(
                f"HTTP mesh e-bgremove, concurrency {args.concurrency}",
                cut_urls,
                args.concurrency,
                warmup=args.concurrency,
            )
            names = sorted(p.name for p in (SHARED / "faces").glob("*.jpg"))
            face_urls = [
                f"{mesh.gateway_url}/bench/{names[i % len(names)]}?tr=w-150,h-150,fo-face,q-{1 + i}"
                for i in range(32)
            ]
            face_http = http_load(
                f"HTTP mesh fo-face crop, concurrency {args.concurrency}",
                face_urls,
                args.concurrency,
                warmup=4,
            )
            object_urls = [
                f"{mesh.gateway_url}/{one_mp[i % len(one_mp)]}?tr=w-300,h-300,fo-person,q-{1 + i}"
                for i in range(32)
            ]
            object_http = http_load(
                f"HTTP mesh fo-person crop, concurrency {args.concurrency}",
                object_urls,
                args.concurrency,
                warmup=4,
            )
            photoroom = photoroom_runs(mesh.gateway_url, root, one_mp, args)
            text_removal.run(mesh.gateway_url)
        finally:
            mesh.stop()
        # (c) the result cache: first requests vs repeats of the same URLs.
        mesh = Mesh(
            ports=Ports(),
            origin_root=root,
            log_dir=Path(tmp) / "logs2",
            cache_dir=Path(tmp) / "cache",
        )
        mesh.start()
        try:
            cache_urls = [
                f"{mesh.gateway_url}/bench/12mp.jpg?tr=h-240,bl-2,q-{q}" for q in range(20, 60)
            ]
            uncached = http_load("first request (miss), concurrency 1", cache_urls, 1)
            cached = http_load("repeat (cache hit), concurrency 1", cache_urls, 1)
        finally:
            mesh.stop()
        thumbs_vips = vips_thumbnails(TWELVE_MP.read_bytes(), args.thumbnails, 2, 300, 80)
        worker_cost = asyncio.run(boundary.measure())
        inputs = [(root / one_mp[i % len(one_mp)]).read_bytes() for i in range(args.cutouts)]
        cut_rembg = RembgStyle(model_path(U2NETP)).run(inputs)
        twelve = [f"bench/12mp_{i}.jpg" for i in range(COPIES)]
        peer_table = peers.report(*peers.run(root, twelve, one_mp, args.concurrency))

    header = (
        f"| {'run':<46} | {'n':>4} | {'req/s':>7} | {'p50 ms':>8} | {'p99 ms':>8} | ratio |\n"
        f"|{'-' * 48}|{'-' * 6}|{'-' * 9}|{'-' * 10}|{'-' * 10}|-------|"
    )
    print("\n(a) 12.2 MP JPEG -> 300x300 JPEG q80 (target ratio >= 0.85)")
    print(header)
    print(row(thumbs_vips, None))
    print(row(thumbs_http, thumbs_vips))
    print("\n(a2) the render-worker process boundary on the same path (target <= +10 %)")
    print(boundary.report(worker_cost))
    print("\n(b) e-bgremove, u2netp, 1 MP JPEG -> RGBA PNG (target ratio >= 1.5)")
    print(header)
    print(row(cut_rembg, None))
    print(row(cut_http, cut_rembg))
    print("\n(c) result cache: 12.2 MP JPEG -> h-240 blurred JPEG")
    print(header)
    print(row(uncached, None))
    print(row(cached, uncached))
    print("\n(d) fo-face crops (BlazeFace in Triton), 500x375 photos, all distinct URLs")
    print(header)
    print(row(face_http, None))
    print("\n(e) fo-person crops (YOLOv3-tiny in Triton), 1 MP photos, all distinct URLs")
    print(header)
    print(row(object_http, None))
    print("\n(f) Photoroom-style POST /v2/edit, 1 MP JPEG upload (imageFile)")
    print(header)
    for result in photoroom:
        print(row(result, None))
    print("\n(g) (a)'s thumbnail through each URL dialect (ratio to the ImageKit URL)")
    print(header)
    print(row(thumbs_http, None))
    for result in dialects:
        print(row(result, thumbs_http))
    faces.main()
    print(assets.run())
    print(peer_table)


def photoroom_runs(
    base: str, root: Path, one_mp: list[str], args: argparse.Namespace
) -> list[Result]:
    """Cut-out with the documented layout at concurrency 8, then the upscale
    and text-removal timings one request at a time."""
    key = {"x-api-key": DEV_KEY}
    uploads = [(root / name).read_bytes() for name in one_mp]
    cutout = [
        FormPost(
            f"{base}/v2/edit",
            {
                "outputSize": "1000x1000",
                "padding": "0.1",
                "background.color": "FFFFFF",
                "export.dpi": str(72 + i),
            },  # distinct requests: no shared render
            {"imageFile": uploads[i % len(uploads)]},
            key,
        )
        for i in range(args.cutouts)
    ]
    results = [
        http_load(
            f"cutout + layout, concurrency {args.concurrency}",
            cutout,
            args.concurrency,
            warmup=args.concurrency,
        )
    ]
    for model in ("u2netp", "isnet"):
        posts = [
            FormPost(
                f"{base}/v1/segment",
                {"size": "medium" if i % 2 else "hd"},  # distinct requests, same 1 MP output
                {"image_file": uploads[i % len(uploads)]},
                {**key, "x-imgmesh-segmentation-model": model},
            )
            for i in range(4)
        ]
        name = f"/v1/segment {model}, 1 MP, one at a time"
        results.append(http_load(name, posts, 1))
    for mode, side in (("ai.fast", 256), ("ai.slow", 128)):
        small = pyvips.Image.thumbnail_buffer(
            uploads[0], side, height=side, size="force"
        ).pngsave_buffer()
        posts = [
            FormPost(
                f"{base}/v2/edit",
                {"removeBackground": "false", "upscale.mode": mode, "export.dpi": str(72 + i)},
                {"imageFile": small},
                key,
            )
            for i in range(3)
        ]
        results.append(
            http_load(f"upscale.mode={mode}, {side}x{side} -> x4, one at a time", posts, 1)
        )
    return results


if __name__ == "__main__":
    main()
