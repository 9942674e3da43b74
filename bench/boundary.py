"""What the render-worker process boundary costs on the thumbnail path:
the same 12 MP JPEG -> 300x300 JPEG q80 graph rendered one at a time by the
executor in-process, and by a one-worker RenderPool (the worker reading the
local file itself, as transform_svc does for origin paths, and with the bytes
shipped over the pipe, as for URL and upload sources). ``python -m
bench.boundary`` alone, or as part of ``make bench``."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import pyvips

from contract.limits import Limits
from imgmesh.v1 import edit_pb2
from inference.client import InferenceClient
from mesh.fetch_samples import SAMPLE_PHOTOS
from transform_svc import ops
from transform_svc.context import RenderContext
from transform_svc.executor import Executor
from transform_svc.origin import OriginConfig
from transform_svc.workers import RenderPool, WorkerSettings

SIZE = (4032, 3024)  # a 12.2 MP camera frame


def camera_jpeg(folder: Path) -> Path:
    """The rocket sample scaled to 12 MP, saved as a q90 JPEG."""
    photo = pyvips.Image.new_from_file(str(SAMPLE_PHOTOS / "rocket.jpg"))
    image = photo.resize(SIZE[0] / photo.width, vscale=SIZE[1] / photo.height)
    path = folder / "camera.jpg"
    image.write_to_file(str(path), Q=90)
    return path


def thumbnail_graph(name: str) -> edit_pb2.EditGraph:
    graph = edit_pb2.EditGraph(source=edit_pb2.Source(origin_path=name))
    graph.steps.add(
        resize=edit_pb2.Resize(width=edit_pb2.Dimension(px=300), height=edit_pb2.Dimension(px=300))
    )
    graph.encode.format = edit_pb2.FORMAT_JPEG
    graph.encode.quality = 80
    return graph


async def measure(renders: int = 40) -> dict[str, float]:
    """Median ms per render for each path (after 3 warm-up renders each)."""
    ops.load_all()
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = camera_jpeg(Path(tmp))
        data = path.read_bytes()
        graph = thumbnail_graph(path.name)
        executor = Executor(RenderContext(InferenceClient("127.0.0.1:1")), None, Limits())
        pool = RenderPool(
            WorkerSettings("127.0.0.1:1", "u2netp", OriginConfig(root=Path(tmp)), Limits()),
            workers=1,
        )
        await pool.start()

        async def in_process() -> object:
            return await executor.render(graph, data)

        async def worker_reads() -> object:
            return await pool.render(graph, None, 60)

        async def bytes_shipped() -> object:
            return await pool.render(graph, data, 60)

        results = {}
        try:
            for name, call in (
                ("in-process executor", in_process),
                ("render worker, reads the file", worker_reads),
                ("render worker, bytes over the pipe", bytes_shipped),
            ):
                times = []
                for i in range(renders + 3):
                    start = time.perf_counter()
                    await call()
                    if i >= 3:
                        times.append((time.perf_counter() - start) * 1000)
                results[name] = statistics.median(times)
        finally:
            pool.close()
    return results


def report(results: dict[str, float]) -> str:
    """A markdown table with each path's cost relative to in-process."""
    base = results["in-process executor"]
    lines = [
        "| 12 MP JPEG -> 300x300 q80, one at a time | median ms | vs in-process |",
        "| --- | ---: | ---: |",
    ]
    for name, ms in results.items():
        lines.append(f"| {name} | {ms:.1f} | {100 * (ms / base - 1):+.1f} % |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
