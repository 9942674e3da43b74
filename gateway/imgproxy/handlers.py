"""The imgproxy URL handler: ``GET /imgproxy/<signature>/<options>/<source>``
(and the root path when ``IMGMESH_ROOT_DIALECT=imgproxy``) -> signature
check -> options -> the source's header (the Probe RPC: size, frames,
format, bytes) -> imgproxy's security checks and skip_processing -> the size
after a trim (a 1 x 1 render of the trim) -> imgproxy's geometry ->
EditGraph -> render.

Statuses as imgproxy v4 answers them: 404 for a malformed path, an unknown
option or a refused argument, 403 for a signature that does not verify or a
security option that is not allowed; the mesh's own 404/413/415/422/503
otherwise; 501 for an option imgmesh does not apply yet."""

from __future__ import annotations

import mimetypes
import re

from aiohttp import web

from contract import vocabulary
from contract.facts import graph_facts
from gateway.app_state import SETTINGS
from gateway.errors import error_response
from gateway.imgproxy import geometry
from gateway.imgproxy.compile import (
    NotBuiltError,
    Stage,
    Watermark,
    compile_graph,
    pipeline_steps,
    probe_steps,
    security_error,
    skips_processing,
    source,
)
from gateway.imgproxy.config import ImgproxyConfig
from gateway.imgproxy.info import analysis_request, info_json, parse_info_path, unanswered
from gateway.imgproxy.options import OptionError, Options, pipelines
from gateway.imgproxy.path import PathError, split_signature
from gateway.imgproxy.signing import SignatureError, verify
from gateway.imgproxy.url import parse_path
from gateway.negotiation import accepted_formats
from gateway.rendering import analyze, probe, render, respond
from imgmesh.v1 import edit_pb2

PREFIX = "/imgproxy"
INFO_PREFIX = "/info"  # imgproxy Pro's info endpoint, under the dialect's path
UNSAFE_FILENAME = re.compile(r"[^\w.\- ]")
CONFIG = web.AppKey("imgproxy_config", ImgproxyConfig)
CODES = {
    404: "imgproxy_invalid_url",
    403: "imgproxy_forbidden_option",
    501: "imgproxy_option_not_supported",
}


def _option_error(exc: OptionError) -> web.Response:
    return error_response(
        CODES.get(exc.status, "imgproxy_invalid_url"), str(exc), parameter=exc.key
    )


async def _trimmed_size(
    request: web.Request,
    src: edit_pb2.Source,
    steps: list[edit_pb2.Step],
    untrimmed: tuple[int, int],
    max_frames: int,
) -> tuple[int, int] | web.StreamResponse:
    """The (W, H) px the last of ``steps``, a trim, keeps of the ``untrimmed``
    image before it: a 1 x 1 render of the steps (whose reply reports the
    box; the result cache keeps it)."""
    graph = edit_pb2.EditGraph(source=src, steps=steps)
    graph.source.max_frames = max_frames  # the frames the render itself will use
    graph.steps.add(
        resize=edit_pb2.Resize(
            crop_mode=edit_pb2.CROP_MODE_AT_MAX,
            width=edit_pb2.Dimension(px=1),
            height=edit_pb2.Dimension(px=1),
        )
    )
    graph.encode.quality = 1
    reply = await render(request, graph, graph_facts(graph))
    if isinstance(reply, web.StreamResponse):
        return reply
    if reply.HasField("trimmed"):
        return reply.trimmed.width, reply.trimmed.height
    return untrimmed


async def _watermark(request: web.Request, options: Options) -> Watermark | None | web.Response:
    """The watermark ``wm`` draws (``wmu``'s image, ``wmt``'s text or the
    configured image) with its size from its header; None when ``wm`` is off
    or there is nothing to draw."""
    config = request.app[CONFIG]
    if not options.get("watermark.opacity"):
        return None
    url = options.get("watermark.url")
    if not url and options.get("watermark.text"):
        return Watermark(
            edit_pb2.Source(), (0, 0), config.watermark_opacity, options["watermark.text"]
        )
    try:
        wm_source = source(url) if url else config.watermark
    except OptionError as exc:
        return _option_error(exc)
    if wm_source is None:
        return None
    header = await probe(request, wm_source)
    if isinstance(header, web.Response):
        return header
    return Watermark(wm_source, (header.width, header.height), config.watermark_opacity)


async def _processing_graph(
    request: web.Request,
    options: Options,
    src: edit_pb2.Source,
    upright: tuple[int, int],
    source_format: str,
) -> edit_pb2.EditGraph | web.StreamResponse:
    """The graph imgproxy's pipelines make of a source of ``upright`` px:
    each planned on the previous one's result (a trim's size measured by
    rendering the steps before it with the trim)."""
    config = request.app[CONFIG]
    stages: list[Stage] = []
    size = upright
    try:
        for pipeline in pipelines(options):
            if trim := probe_steps(pipeline):
                before = [step for stage in stages for step in pipeline_steps(stage)]
                frames = options.get("max_animation_frames", 0)
                trimmed = await _trimmed_size(request, src, [*before, *trim], size, frames)
                if isinstance(trimmed, web.StreamResponse):
                    return trimmed
                size = trimmed
            watermark = await _watermark(request, pipeline)
            if isinstance(watermark, web.Response):
                return watermark
            plan = geometry.plan(size, pipeline)
            stages.append(Stage(pipeline, size, plan, watermark))
            size = plan.size
        return compile_graph(
            stages,
            src,
            source_format=vocabulary.format_named(source_format) or 0,
            accepted=accepted_formats(request.headers.get("Accept")),
            quality=config.quality,
            format_quality=config.format_quality,
            negotiation=(
                config.auto_webp,
                config.enforce_webp,
                config.auto_avif,
                config.enforce_avif,
            ),
        )
    except OptionError as exc:
        return _option_error(exc)
    except (ValueError, OverflowError):  # px beyond what a graph can hold (pd:4000000000)
        return error_response("impossible_edit", "the options ask for sizes beyond any image")


async def _info(request: web.Request, path: str) -> web.Response:
    """imgproxy Pro's ``/info``: the source's header as imgproxy's JSON."""
    config = request.app[CONFIG]
    try:
        o, url = parse_info_path(path, config.parser)
        if key := unanswered(o):
            raise NotBuiltError(f"info {key}")
        src = source(url)
    except OptionError as exc:
        return _option_error(exc)
    header = await probe(request, src)
    if isinstance(header, web.Response):
        return header
    limits = {**config.security, **o}
    refused = security_error(limits, (header.width, header.height), 1, header.size_bytes)
    if refused:
        return error_response("impossible_edit", refused)
    analysis = None
    if (call := analysis_request(o)) is not None:
        call.source.CopyFrom(src)
        analysis = await analyze(request, call)
        if isinstance(analysis, web.Response):
            return analysis
    body = info_json(o, header, analysis)
    return web.json_response(body, headers={"Cache-Control": "no-cache"})


async def serve(request: web.Request, prefix: str) -> web.StreamResponse:
    """Answer one imgproxy processing URL found under ``prefix``."""
    config = request.app[CONFIG]
    raw = request.raw_path.partition("?")[0]
    if prefix and raw.startswith(prefix + "/"):
        raw = raw[len(prefix) :]
    endpoint = ""
    if raw.startswith(INFO_PREFIX + "/"):
        endpoint, raw = "info", raw[len(INFO_PREFIX) :]
    try:
        signature, path = split_signature(raw)
    except PathError as exc:
        return error_response("imgproxy_invalid_url", str(exc))
    try:
        verify(signature, path, config.signing)
    except SignatureError as exc:
        return error_response("imgproxy_signature_mismatch", str(exc))
    if endpoint == "info":
        return await _info(request, path)
    try:
        options, url = parse_path(path, config.parser)
        src = source(url)
    except OptionError as exc:
        return _option_error(exc)
    for key, default in config.security.items():
        options.setdefault(key, default)
    header = await probe(request, src)  # the size the geometry is planned on
    if isinstance(header, web.StreamResponse):
        return header
    upright = (header.width, header.height)
    source_format = vocabulary.media_type_format(header.content_type)
    vector = source_format == "svg"
    if refused := security_error(options, upright, header.frames, header.size_bytes, vector=vector):
        return error_response("impossible_edit", refused)
    skip = (config.skip_processing, config.always_rasterize_svg)
    if skips_processing(options, source_format, *skip):
        graph = edit_pb2.EditGraph(source=src, encode=edit_pb2.Encode(original=True))
    else:
        built = await _processing_graph(request, options, src, upright, source_format)
        if isinstance(built, web.StreamResponse):
            return built
        graph = built
    reply = await render(request, graph, graph_facts(graph))
    if isinstance(reply, web.StreamResponse):
        return reply
    headers = {}
    if config.auto_webp or config.enforce_webp or config.auto_avif or config.enforce_avif:
        headers["Vary"] = "Accept"
    if "filename" in options or options.get("return_attachment"):
        name = options.get("filename") or url.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "image"
        name = UNSAFE_FILENAME.sub("_", name)[:200]  # no quotes or line breaks in the header
        ext = mimetypes.guess_extension(reply.content_type) or ""
        kind = "attachment" if options.get("return_attachment") else "inline"
        headers["Content-Disposition"] = f'{kind}; filename="{name}{ext}"'
    return await respond(request, reply, headers, cache_control=f"max-age={config.ttl}, public")


async def prefixed_handler(request: web.Request) -> web.StreamResponse:
    """``/imgproxy/...``."""
    return await serve(request, PREFIX)


async def root_handler(request: web.Request) -> web.StreamResponse:
    """The root path, when imgproxy is the root dialect."""
    return await serve(request, "")


def add_routes(app: web.Application) -> None:
    """Register ``/imgproxy/{tail}`` (GET and HEAD); the dialect's config is
    built from the settings (presets validated, keys decoded).

    Raises:
        ValueError: malformed IMGPROXY_* settings.
    """
    app[CONFIG] = ImgproxyConfig.from_settings(app[SETTINGS])
    app.router.add_get(PREFIX + "/{tail:.+}", prefixed_handler, name="imgproxy")
