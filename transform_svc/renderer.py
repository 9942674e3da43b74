"""Render with a result cache, conditional requests and the async AI budget.

* Key = sha256(deterministically serialised EditGraph without the source
  bytes, source version). The output ETag is derived from it, so an
  ``If-None-Match`` for a local file is answered from a stat alone.
* Successful outputs are cached; outputs of AI steps without expiry
  (they are the expensive ones), others for ``ttl_s``. Failures are
  remembered in memory for ``failure_ttl_s`` so a broken URL isn't re-rendered
  on every hit.
* Concurrent identical renders share one computation. With an AI budget, a
  render still running when the budget is spent gets an *intermediate* reply;
  it goes on, and the next request gets the cached result (ImageKit's async
  AI behaviour, https://imagekit.io/docs/ai-transformations).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from prometheus_client import Counter

from contract.facts import GraphFacts, graph_facts
from contract.limits import GraphLimitError, Limits, check_graph
from grpcutil.deadline import DEADLINE
from imgmesh.v1 import edit_pb2, transform_pb2
from transform_svc.cache import ResultCache
from transform_svc.context import RenderContext
from transform_svc.errors import TransformError, invalid, limit_exceeded, too_large
from transform_svc.ops.model_edit import require_model
from transform_svc.origin import Fetched, Origin, SourceInfo
from transform_svc.workers import RenderPool

log = logging.getLogger("transform_svc.renderer")

CACHE_LOOKUPS = Counter("imgmesh_transform_cache_lookups_total", "Result cache lookups", ["result"])

MAX_FAILURES = 10_000  # remembered failures kept at most
# Source headers kept in memory: most are under 1 KB; the EXIF a header can
# carry is at most 64 KB (one JPEG APP1 segment), so at most about 128 MB.
MAX_PROBES = 2_000


def graph_digest(graph: edit_pb2.EditGraph) -> str:
    """sha256 of the graph with inline source bytes replaced by nothing (the
    source version covers them)."""
    normalised = edit_pb2.EditGraph()
    normalised.CopyFrom(graph)
    if normalised.source.WhichOneof("kind") == "inline_bytes":
        normalised.source.inline_bytes = b""
    return hashlib.sha256(normalised.SerializeToString(deterministic=True)).hexdigest()


def result_key(graph: edit_pb2.EditGraph, info: SourceInfo, layers: list[str]) -> str:
    """Cache key: the graph, the source's version and every layer source's version."""
    text = "|".join([graph_digest(graph), info.validator, *layers])
    return hashlib.sha256(text.encode()).hexdigest()


def purge_key(source: edit_pb2.Source) -> str | None:
    """The result-cache entry that holds a source's purge stamp: a library
    file by account and path (any version, signed or not), a local-origin file
    by its path, a URL by itself; None for sources no URL names (inline
    bytes, canvases)."""
    kind = source.WhichOneof("kind")
    if kind == "library":
        name = f"library|{source.library.account}|{source.library.path}"
    elif kind == "origin_path":
        name = f"origin|{source.origin_path}"
    elif kind == "url":
        name = f"url|{source.url}"
    else:
        return None
    return hashlib.sha256(b"purge|" + name.encode()).hexdigest()


def etag_for(key: str) -> str:
    return f'"{key[:32]}"'


@dataclass
class _Failure:
    expires: float
    error: TransformError


def set_custom_focus(facts: GraphFacts, coordinates: str) -> None:
    """Set ``focus_box`` = the file's ``customCoordinates`` (``x,y,w,h`` px of
    the source) on each of the graph's own fo-custom resizes, in place
    (ImageKit: https://imagekit.io/docs/image-resize-and-crop#focus---fo)."""
    x, y, w, h = (int(v) for v in coordinates.split(","))
    for resize in facts.custom_focus:
        resize.focus_box.CopyFrom(edit_pb2.Box(left=x, top=y, width=w, height=h))


class Renderer:
    """Cache-aware front of the render workers (one per process).

    Args:
        origin: stats and fetches sources (local sources are read by the worker).
        pool: the render worker processes.
        cache: the result cache.
        ctx: for the model-slot preflight (the Triton client).
        limits: bounds every graph is checked against.
        render_timeout_s: deadline of a render when the call has none (s).
        ttl_s: expiry of non-AI outputs in the cache (s); failure_ttl_s: of failures.
    """

    def __init__(
        self,
        origin: Origin,
        pool: RenderPool,
        cache: ResultCache,
        ctx: RenderContext,
        *,
        limits: Limits | None = None,
        render_timeout_s: float = 60.0,
        ttl_s: float | None = 86_400.0,
        failure_ttl_s: float = 10.0,
    ) -> None:
        self.origin = origin
        self.pool = pool
        self.cache = cache
        self.ctx = ctx
        self.limits = limits or Limits()
        self.render_timeout_s = render_timeout_s
        self.ttl_s = ttl_s
        self.failure_ttl_s = failure_ttl_s
        self._inflight: dict[str, asyncio.Task[transform_pb2.RenderReply]] = {}
        self._failures: dict[str, _Failure] = {}
        self._probes: OrderedDict[str, transform_pb2.ProbeReply] = OrderedDict()

    async def render(self, request: transform_pb2.RenderRequest) -> transform_pb2.RenderReply:
        """Answer one Render call.

        Raises:
            TransformError: from fetching or rendering (possibly remembered).
        """
        graph = request.graph  # ours: fo-custom boxes are set on it in place
        facts = graph_facts(graph)  # the one walk of this graph in transform_svc
        try:
            check_graph(graph, self.limits, facts)
        except GraphLimitError as exc:
            maker = too_large if exc.code == "image_too_large" else limit_exceeded
            raise maker(exc.message) from exc
        await self.preflight(facts)
        if graph.encode.original:
            return await self.pool.passthrough(graph.source, self._timeout())
        fetched: Fetched | None = None
        info = await self.origin.stat(graph.source)
        if info is None:  # URL sources: the version is known once the bytes are here
            fetched = await self.origin.fetch(graph.source)
            info = fetched.info
        if info.custom_coordinates:
            set_custom_focus(facts, info.custom_coordinates)
        layers = [await self.origin.stat(src) for src in facts.layer_sources]
        layer_versions = [layer.validator if layer else "" for layer in layers]
        stamp = await self._purge_stamp(graph.source)
        key = result_key(graph, info, [*layer_versions, stamp] if stamp else layer_versions)
        if request.if_none_match and request.if_none_match == etag_for(key):
            return transform_pb2.RenderReply(
                not_modified=True, etag=etag_for(key), last_modified_unix=info.last_modified_unix
            )
        self._raise_remembered(key)
        cached = await self.cache.get(key)
        CACHE_LOOKUPS.labels("hit" if cached else "miss").inc()
        if cached:
            reply = transform_pb2.RenderReply.FromString(cached)
            reply.cache_hit = True
            return reply
        task = self._inflight.get(key) or self._start(key, graph, facts.has_ai, fetched, info)
        if request.ai_budget_ms and facts.has_ai:
            done, _ = await asyncio.wait({task}, timeout=request.ai_budget_ms / 1000)
            if not done:
                return transform_pb2.RenderReply(intermediate=True)
        reply = await asyncio.shield(task)
        return reply

    async def probe(self, request: transform_pb2.ProbeRequest) -> transform_pb2.ProbeReply:
        """Answer one Probe call: the source's header, read by a worker; for a
        source with a version (local, inline, library), cached under it in
        the result cache and in memory (the newest MAX_PROBES), so a source
        seen before costs no worker.

        Raises:
            TransformError: from fetching or reading the header.
        """
        info = await self.origin.stat(request.source)
        if info is None:
            return await self.pool.probe(request.source, self._timeout())
        text = request.source.SerializeToString(deterministic=True) + info.validator.encode()
        key = hashlib.sha256(b"probe|" + text).hexdigest()
        self._raise_remembered(key)
        if key in self._probes:  # headers are small: the newest MAX_PROBES are kept here too
            self._probes.move_to_end(key)
            return self._probes[key]
        cached = await self.cache.get(key)
        CACHE_LOOKUPS.labels("hit" if cached else "miss").inc()
        if cached:
            reply = transform_pb2.ProbeReply.FromString(cached)
        else:
            try:
                reply = await self.pool.probe(request.source, self._timeout())
            except TransformError as exc:
                self._remember(key, exc)
                raise
            await self.cache.set(key, reply.SerializeToString(), self.ttl_s)
        self._probes[key] = reply
        if len(self._probes) > MAX_PROBES:
            self._probes.popitem(last=False)
        return reply

    async def purge(self, source: edit_pb2.Source) -> None:
        """Make every cached render of ``source`` miss: a new purge stamp goes
        into the result cache, and the stamp is part of every result key of
        that source. With Redis the stamp reaches every replica at once; a
        disk cache is one replica's own. Old entries are never read again and
        age out by LRU before the stamp does, since the stamp is read on every
        render of the source. Memoised failures of the source are dropped.

        Raises:
            TransformError: invalid for a source no URL names.
        """
        key = purge_key(source)
        if key is None:
            raise invalid("only a file or URL source can be purged")
        await self.cache.set(key, str(time.time_ns()).encode(), None)
        self._failures.clear()

    async def _purge_stamp(self, source: edit_pb2.Source) -> str:
        """The source's purge stamp ("" when it was never purged)."""
        key = purge_key(source)
        stamp = await self.cache.get(key) if key else None
        return stamp.decode() if stamp else ""

    async def preflight(self, facts: GraphFacts) -> None:
        """Refuse before any work when a step's model slot is empty (501).

        Raises:
            TransformError: model_unavailable (501) naming the model slot.
        """
        for edit in facts.model_edits:
            await require_model(edit, self.ctx)

    def _timeout(self) -> float:
        """Seconds left of the call's deadline (the configured timeout without one)."""
        deadline = DEADLINE.get()
        if deadline is None:
            return self.render_timeout_s
        return max(0.05, deadline - time.monotonic())

    def _start(
        self,
        key: str,
        graph: edit_pb2.EditGraph,
        has_ai: bool,
        fetched: Fetched | None,
        info: SourceInfo,
    ) -> asyncio.Task[transform_pb2.RenderReply]:
        task = asyncio.create_task(
            self._compute(key, graph, has_ai, fetched, info, self._timeout())
        )
        self._inflight[key] = task
        task.add_done_callback(lambda t: self._finished(key, t))
        return task

    def _finished(self, key: str, task: asyncio.Task[transform_pb2.RenderReply]) -> None:
        """Forget a finished render. Its exception is retrieved here: every
        caller may have gone (deadline passed, client hung up) while the
        shielded render ran on, and an unretrieved one would be logged as
        "Task exception was never retrieved". A TransformError is remembered by
        _compute; anything else is logged here."""
        self._inflight.pop(key, None)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, TransformError):
            log.error("render %s failed", key[:16], exc_info=error)

    async def _compute(
        self,
        key: str,
        graph: edit_pb2.EditGraph,
        has_ai: bool,
        fetched: Fetched | None,
        info: SourceInfo,
        timeout_s: float,
    ) -> transform_pb2.RenderReply:
        try:  # a local source is read by the worker itself (no bytes cross the boundary)
            out = await self.pool.render(graph, fetched.data if fetched else None, timeout_s)
        except TransformError as exc:
            self._remember(key, exc)
            raise
        reply = transform_pb2.RenderReply(
            image=out.data,
            content_type=out.content_type,
            width=out.width,
            height=out.height,
            has_alpha=out.has_alpha,
            etag=etag_for(key),
            last_modified_unix=info.last_modified_unix,
            source_width=out.source[0],
            source_height=out.source[1],
            source_frames=out.source_frames,
        )
        reply.MergeFrom(out.report)
        ttl = None if has_ai else self.ttl_s
        await self.cache.set(key, reply.SerializeToString(), ttl)
        return reply

    def _remember(self, key: str, error: TransformError) -> None:
        """Keep a failure for failure_ttl_s; expired ones are dropped when the
        table grows past MAX_FAILURES, so random bad URLs can't grow memory."""
        now = time.monotonic()
        if len(self._failures) >= MAX_FAILURES:
            self._failures = {k: f for k, f in self._failures.items() if f.expires > now}
            if len(self._failures) >= MAX_FAILURES:
                self._failures.clear()
        self._failures[key] = _Failure(now + self.failure_ttl_s, error)

    def _raise_remembered(self, key: str) -> None:
        failure = self._failures.get(key)
        if failure is None:
            return
        if failure.expires < time.monotonic():
            del self._failures[key]
            return
        raise failure.error
