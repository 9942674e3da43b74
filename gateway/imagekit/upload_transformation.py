"""The upload's ``transformation`` field (ImageKit: ``{"pre": "<tr>",
"post": [{"type": "transformation", "value": "<tr>"}, ...]}``), compiled with
the URL grammar into the edit graphs asset_svc runs: ``pre`` over the uploaded
bytes (the stored file is its result), each ``post`` item over the stored file,
exactly as the file's URL with ``?tr=<value>`` compiles (no ``Accept``, no
client hints), so that URL is a cache hit afterwards. Reference:
https://imagekit.io/docs/api-reference/upload-file/upload-file#transformation
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract import json_text
from contract.facts import graph_facts
from gateway import model_choice
from gateway.errors import RequestError
from gateway.imagekit.urlgrammar import ClientHints, build_graph, split_request
from gateway.negotiation import accepted_formats
from imgmesh.v1 import asset_pb2, edit_pb2

FIELD = "transformation"
POST_TYPES = ("transformation",)  # gif-to-video, thumbnail, abs: video, not served here
MAX_VALUE = 2000  # characters of one transformation string
ALLOWED = '{"pre": "<transformation>", "post": [{"type": "transformation", "value": "..."}]}'


def compile_tr(tr: str, named: Mapping[str, str], name: str) -> edit_pb2.EditGraph:
    """A transformation string -> its edit graph (source left for asset_svc).

    Raises:
        RequestError: the grammar's error, or invalid_parameter naming ``name``.
    """
    if not isinstance(tr, str) or not tr.strip() or len(tr) > MAX_VALUE:
        raise RequestError(
            "invalid_parameter", f"{name} is a transformation string of 1..{MAX_VALUE}", name
        )
    chain, source = split_request("/_", tr, named)
    built = build_graph(chain, source, accepted_formats(None), ClientHints())
    model_choice.apply(graph_facts(built.graph), None)
    return built.graph


def parse(raw: str, named: Mapping[str, str]) -> tuple[edit_pb2.EditGraph | None, list[Any]]:
    """(pre graph or None, post items) of the multipart ``transformation`` field.

    Raises:
        RequestError: invalid_parameter naming ``transformation`` (or the
            grammar's error for a value).
    """
    try:
        value = json_text.loads(raw)
    except json_text.JsonTextError:
        value = None
    if not isinstance(value, dict) or set(value) - {"pre", "post"}:
        raise RequestError("invalid_parameter", f"{FIELD} is {ALLOWED}", FIELD, ALLOWED)
    pre = compile_tr(value["pre"], named, f"{FIELD}.pre") if "pre" in value else None
    post_raw = value.get("post", [])
    if not isinstance(post_raw, list):
        raise RequestError("invalid_parameter", f"{FIELD}.post is a list", f"{FIELD}.post")
    post = []
    for item in post_raw:
        if not isinstance(item, dict) or item.get("type") not in POST_TYPES:
            raise RequestError(
                "invalid_parameter",
                f"{FIELD}.post items have type {', '.join(POST_TYPES)} (no video types)",
                f"{FIELD}.post",
                ", ".join(POST_TYPES),
            )
        graph = compile_tr(item.get("value"), named, f"{FIELD}.post.value")
        post.append(asset_pb2.PostTransformation(value=item["value"], graph=graph))
    return pre, post
