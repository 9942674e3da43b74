"""Render workers: every libvips render runs in a supervised child process.

A native crash (SIGSEGV inside libvips), an out-of-memory failure or a render
past its deadline costs only the render running in that one worker; the
gRPC server, the result cache and the other renders go on. The supervisor is
``pebble.ProcessPool`` (https://pebble.readthedocs.io): a task past its
``timeout`` has its worker stopped (SIGTERM, then SIGKILL) and replaced; a
worker that dies mid-task fails only that task (``ProcessExpired``); a worker
is retired after ``max_renders`` renders so the memory a long-lived process
fragments is given back.

Each worker:

* renders one edit graph at a time on its own event loop (model calls go to
  Triton from the worker; one gRPC channel per worker);
* has its address space capped with ``RLIMIT_AS`` (startup size plus
  ``memory_limit_bytes``), so a runaway allocation fails inside the worker
  instead of swapping the machine or waking the OOM killer;
* gives freed heap back to the OS (glibc ``malloc_trim``) after a render that
  left its RSS more than ``TRIM_ABOVE_BYTES`` above its RSS after its first
  render (glibc keeps freed memory in its arenas, so without this a worker
  stays at the high-water mark of its largest render); not after every
  render, since trimming and faulting the pages back in cost 3-6 ms on a 40 ms
  thumbnail (``python -m bench.boundary``).

Workers are started with ``spawn`` (a fresh interpreter, no inherited gRPC
threads or locks from the server process).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import resource
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pebble
from opentelemetry import context as otel_context
from opentelemetry import propagate

from contract.limits import Limits
from imgmesh.v1 import edit_pb2, transform_pb2
from transform_svc.errors import TransformError, render_failed, timed_out, too_large
from transform_svc.origin import OriginConfig

log = logging.getLogger("transform_svc.workers")

TRIM_ABOVE_BYTES = 32 * 1024 * 1024  # RSS above the warm baseline after which the heap is trimmed
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker process needs to render (picklable).

    Attributes:
        triton_url: Triton gRPC address.
        segmentation_model: default background-removal model.
        origin: the origin settings (workers fetch local and layer sources).
        limits: source/output limits.
        vips_concurrency: libvips threads per pipeline.
        memory_limit_bytes: address space a worker may add to its startup
            size (``RLIMIT_AS``); 0 = unlimited.
    """

    triton_url: str
    segmentation_model: str
    origin: OriginConfig
    limits: Limits
    vips_concurrency: int = 1
    memory_limit_bytes: int = 0


class _Worker:
    """Per-process state of a render worker (built by :func:`_init_worker`)."""

    def __init__(self, settings: WorkerSettings) -> None:
        import pyvips

        from inference.client import InferenceClient
        from telemetry.tracing import instrument_grpc_aio_client, setup_tracing
        from transform_svc import ops
        from transform_svc.context import RenderContext
        from transform_svc.executor import Executor
        from transform_svc.origin import Origin

        setup_tracing("transform_svc")
        instrument_grpc_aio_client()
        pyvips.cache_set_max(0)  # every request is new input: the op cache only holds memory
        pyvips.concurrency_set(settings.vips_concurrency)
        ops.load_all()
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.set_default_executor(ThreadPoolExecutor(2, thread_name_prefix="vips"))
        self.origin = Origin(settings.origin)
        self.executor = Executor(
            RenderContext(InferenceClient(settings.triton_url), settings.segmentation_model),
            self.origin,
            settings.limits,
        )
        self._libc = ctypes.CDLL("libc.so.6")
        self._warm_rss: int | None = None  # RSS after the first render

    def run(self, coro_factory: Any, carrier: dict[str, str], deadline_s: float | None) -> Any:
        """Run one render coroutine under the caller's trace context and deadline."""
        from grpcutil.deadline import DEADLINE

        async def main() -> Any:
            if deadline_s is not None:
                DEADLINE.set(time.monotonic() + deadline_s)
            return await coro_factory()

        token = otel_context.attach(propagate.extract(carrier))
        try:
            return self.loop.run_until_complete(main())
        except MemoryError as exc:
            raise too_large("the render needs more memory than a worker may use") from exc
        finally:
            otel_context.detach(token)
            self._trim()

    def _trim(self) -> None:
        """Give freed pixel buffers back to the OS when RSS is well above the
        warm baseline."""
        if self._warm_rss is None:
            self._libc.malloc_trim(0)
            self._warm_rss = _rss()
        elif _rss() - self._warm_rss > TRIM_ABOVE_BYTES:
            self._libc.malloc_trim(0)


_WORKER: _Worker | None = None


PR_SET_PDEATHSIG = 1  # prctl(2)


def _init_worker(settings: WorkerSettings) -> None:
    global _WORKER
    # Own process group: a SIGTERM or Ctrl-C sent to the server's group is the
    # server's to handle (it drains, then stops the workers); and a worker dies
    # with its server even when the server is SIGKILLed (prctl PR_SET_PDEATHSIG).
    os.setpgrp()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the server died before prctl took effect
        os._exit(1)
    _WORKER = _Worker(settings)
    if settings.memory_limit_bytes > 0:
        limit = _address_space() + settings.memory_limit_bytes
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _rss() -> int:
    """This process's resident set size, bytes (``/proc/self/statm``)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_BYTES


def _address_space() -> int:
    """This process's virtual memory size, bytes (``VmSize``)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _render_task(
    graph_bytes: bytes, source: bytes | None, carrier: dict[str, str], deadline_s: float | None
) -> Any:
    """Worker side of :meth:`RenderPool.render`."""
    assert _WORKER is not None
    worker = _WORKER
    graph = edit_pb2.EditGraph.FromString(graph_bytes)

    async def render() -> Any:
        data = source if source is not None else (await worker.origin.fetch(graph.source)).data
        return await worker.executor.render(graph, data)

    return worker.run(render, carrier, deadline_s)


def _source_task(
    method: str, source_bytes: bytes, carrier: dict[str, str], deadline_s: float | None
) -> bytes:
    """Worker side of :meth:`RenderPool.passthrough` and :meth:`RenderPool.probe`:
    the Executor ``method`` on the fetched source, its reply serialised."""
    assert _WORKER is not None
    worker = _WORKER
    source = edit_pb2.Source.FromString(source_bytes)

    async def call() -> bytes:
        reply = await getattr(worker.executor, method)(await worker.origin.fetch(source))
        return reply.SerializeToString()

    return worker.run(call, carrier, deadline_s)


def _ping() -> int:
    return os.getpid()


class RenderPool:
    """Supervised worker processes that run renders.

    Args:
        settings: passed to every worker.
        workers: number of worker processes (renders in parallel).
        max_renders: renders after which a worker is replaced (0 = never).
    """

    def __init__(self, settings: WorkerSettings, workers: int, max_renders: int = 200) -> None:
        self.workers = workers
        self._pool = pebble.ProcessPool(
            max_workers=workers,
            max_tasks=max_renders,
            initializer=_init_worker,
            initargs=(settings,),
            context=multiprocessing.get_context("spawn"),
        )

    async def start(self) -> None:
        """Start every worker and wait until each has initialised."""
        await asyncio.gather(*(self._call(_ping, (), 120.0) for _ in range(self.workers)))

    async def render(
        self, graph: edit_pb2.EditGraph, source: bytes | None, timeout_s: float | None
    ) -> Any:
        """Render ``graph`` in a worker (``source``: the encoded bytes, or None
        for the worker to fetch them from the origin).

        Returns:
            transform_svc.executor.Rendered.

        Raises:
            TransformError: the render's own errors; timeout (504) when it ran
                past ``timeout_s`` (its worker is killed); render_failed (503)
                when its worker died (native crash, killed by the kernel).
        """
        args = (graph.SerializeToString(), source, _carrier(), timeout_s)
        return await self._call(_render_task, args, timeout_s)

    async def passthrough(
        self, source: edit_pb2.Source, timeout_s: float | None
    ) -> transform_pb2.RenderReply:
        """``orig-true`` in a worker: the checked source bytes.

        Raises:
            TransformError: as :meth:`render`.
        """
        args = ("passthrough", source.SerializeToString(), _carrier(), timeout_s)
        return transform_pb2.RenderReply.FromString(await self._call(_source_task, args, timeout_s))

    async def probe(
        self, source: edit_pb2.Source, timeout_s: float | None
    ) -> transform_pb2.ProbeReply:
        """The source's header in a worker (untrusted bytes are only parsed
        there).

        Raises:
            TransformError: as :meth:`render`.
        """
        args = ("probe", source.SerializeToString(), _carrier(), timeout_s)
        return transform_pb2.ProbeReply.FromString(await self._call(_source_task, args, timeout_s))

    async def _call(self, func: Any, args: tuple[Any, ...], timeout_s: float | None) -> Any:
        future = self._pool.schedule(func, args=args, timeout=timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            raise timed_out(f"rendering took longer than {timeout_s:.0f} s") from exc
        except pebble.ProcessExpired as exc:
            reason = _exit_reason(exc.exitcode)
            log.warning("render worker %s died (%s)", exc.pid, reason)
            raise render_failed(f"the render stopped unexpectedly ({reason})") from exc
        except TransformError:
            raise
        except asyncio.CancelledError:
            future.cancel()  # stops the worker if the task is running
            raise

    def close(self) -> None:
        """Stop the workers (running renders are abandoned)."""
        self._pool.stop()
        self._pool.join(timeout=10)


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            pass
    return f"exit code {exitcode}"


def _carrier() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier
