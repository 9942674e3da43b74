"""Property-based fuzzing of the two request parsers: random input may only be
refused with the documented 400/401/422-type errors, never crash (HTTP 500).

1. ImageKit URL grammar (gateway.imagekit.urlgrammar): ``split_request`` then
   ``build_graph`` (plus ``accepted_formats`` and ``signing.verify``, the rest
   of what ``gateway.app.image_handler`` runs before rendering). Allowed:
   RequestError (400), SignatureError (401).
2. Photoroom parsers: ``edit.parse`` then ``edit.build`` (/v2/edit) and
   ``segment.build`` (/v1/segment). Allowed: RequestError (incl. ConflictError,
   400) and UnprocessableError (422).

Strings are drawn without lone surrogates (hypothesis' default alphabet): aiohttp
rejects raw non-ASCII bytes in the request line and yarl leaves invalid UTF-8
percent-escapes encoded, so no surrogate reaches the parsers over HTTP.

Pure parsing: no fixture, mesh or model is needed (part of ``make test``;
alone: ``.venv/bin/python -m pytest -q tests/test_fuzz_parsers.py``).

FUZZ_EXAMPLES=N scales every property test (400 by default, ~20 s on 2 busy cores;
e.g. 20000 for a long local run); FUZZ_RANDOM=1 draws from a fresh seed instead
of the fixed, derandomized one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import string
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contract.object_classes import ALIASES, COCO_CLASSES
from gateway.errors import RequestError
from gateway.imagekit.signing import SignatureError, unsigned_part, verify
from gateway.imagekit.urlgrammar import ClientHints, build_graph, split_request
from gateway.imagekit.urlgrammar.layers import TEXT_KEYS
from gateway.imagekit.urlgrammar.params import (
    CROP_KEYS,
    EFFECTS,
    FOCUS_NAMES,
    FORMATS,
    GRADIENT_DIRECTIONS,
    PARAMS,
)
from gateway.negotiation import accepted_formats
from gateway.photoroom import edit, segment
from gateway.photoroom import fields as pf
from imgmesh.v1 import edit_pb2

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "400"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),  # FUZZ_RANDOM=1: a new seed each run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

URL_ERRORS = (RequestError,)
PHOTOROOM_ERRORS = (RequestError, pf.UnprocessableError)

# Python 3.11+ refuses int() of strings over 4300 digits (ValueError).
INT_DIGIT_LIMIT = 4300
HUGE_DIGITS = st.integers(INT_DIGIT_LIMIT - 5, INT_DIGIT_LIMIT + 50).map(lambda n: "7" * n)

# Characters that look like digits/separators but are not ASCII: Arabic-Indic
# and fullwidth digits (str.isdigit and re's \d accept them), superscripts
# (isdigit but not \d, int() refuses them), fractions, whitespace variants.
TRICKY_CHARS = "١٢٣٠۵०１２０²³¹½⁰₀\u00a0\u2007\u200b\u3000\x85\x1c\t\n\r\x00-_,:.@/%#+"
TRICKY = st.text(alphabet=TRICKY_CHARS + string.digits, min_size=1, max_size=6)


def _pair(name: str, value: str) -> tuple[str, str]:
    return name, value


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --------------------------------------------------------------------------------------
# ImageKit URL grammar
# --------------------------------------------------------------------------------------

NAMED = {
    "thumb": "w-100,h-100",
    "chain": "n-thumb:e-grayscale",
    "self": "n-self",
    "deep": "n-chain,n-thumb",
    "layered": "l-text,i-hi,l-end",
    "broken": "w-nope",
    "empty": "",
}

URL_KEYS = sorted({*PARAMS, *TEXT_KEYS, "l", "n", "ik", "ar", "zz", "W", "e-"})
URL_WORDS = sorted(
    {
        *FOCUS_NAMES,
        *FORMATS,
        *(v for modes in CROP_KEYS.values() for v in modes),
        *EFFECTS,
        *GRADIENT_DIRECTIONS,
        *COCO_CLASSES[:10],
        *list(ALIASES)[:5],
        *NAMED,
        "auto",
        "true",
        "false",
        "max",
        "custom",
        "image",
        "text",
        "end",
        "genfill",
        "genimg",
        "prompt",
        "prompte",
        "h",
        "v",
        "h_v",
        "v_h",
        "b_i",
        "bl",
        "st",
        "x",
        "y",
        "az",
        "el",
        "ld",
        "from",
        "to",
        "sp",
        "red",
        "Red",
        "transparent",
        "FF0000",
        "ff000080",
        "00000000",
        "photos@@a.jpg",
        "..",
        "@@",
        "N",
    }
)
NO_SEPARATORS = str.maketrans("", "", ",:/")  # keep most chains well-formed
URL_ATOMS = st.one_of(
    st.sampled_from(URL_WORDS),
    st.integers(-(10**6), 10**7).map(str),
    st.integers(0, 10**5).map(lambda n: f"N{n}"),
    st.floats(0, 1e5, allow_nan=False).map(lambda x: f"{x:.3f}"),
    st.floats(0, 1, allow_nan=False).map(lambda x: f"{x:.4f}".lstrip("0")),
    st.from_regex(r"[0-9A-Fa-f]{6}([0-9]{2})?", fullmatch=True),
    st.text(max_size=6).map(lambda t: "prompte-" + _b64(t)),
    st.text(max_size=6).map(lambda t: "prompte-" + t),
    st.text(max_size=6).map(lambda t: "prompt-" + t),
    TRICKY.map(lambda t: t.translate(NO_SEPARATORS)),
    st.text(max_size=6).map(lambda t: t.translate(NO_SEPARATORS)),
    HUGE_DIGITS,
)
# A parameter value: 0-4 atoms joined by one of ImageKit's inner separators.
URL_VALUES = st.tuples(
    st.lists(URL_ATOMS, max_size=4), st.sampled_from(["-", "_", "", ".", "-", "_"])
).map(lambda t: t[1].join(t[0]))
# Tokens that parse, so that random chains also get past the first parameter.
VALID_TOKENS = [
    "w-300", "h-200", "w-0.5", "w-auto", "ar-4-3", "c-at_max", "cm-pad_resize", "cm-extract",
    "fo-face", "fo-dog", "z-0.8", "x-10", "y-N20", "xc-5", "dpr-2", "dpr-auto", "bg-FF0000",
    "bg-red", "rt-90", "rt-N45", "fl-h_v", "bl-10", "q-80", "f-webp", "f-auto", "lo-true",
    "pr-false", "di-a@@b.jpg", "t-true", "t-20", "b-5_FF0000", "r-max", "r-20", "e-bgremove",
    "e-grayscale", "e-contrast", "e-sharpen", "e-sharpen-10", "e-usm-2-2-0.8-0.024",
    "e-shadow-bl-15_st-40_x-N5", "e-gradient-ld-top_from-red_sp-0.5", "e-dropshadow-az-10",
    "e-upscale", "e-retouch", "e-genvar", "e-changebg-prompt-sky", "e-edit-prompte-aGk",
    "bg-genfill", "bg-genfill-prompt-sea", "i-photos@@b.jpg", "lx-10", "ly-N10", "lfo-top",
    "fs-40", "co-000000", "ff-Open_Sans", "pa-10_20", "tg-b_i", "ia-center",
]  # fmt: skip
TOKEN_MUTATIONS: list[Callable[[str, str], str]] = [
    lambda token, atom: token.partition("-")[0] + "-" + atom,  # another value
    lambda token, atom: token + "-" + atom,
    lambda token, atom: token + "_" + atom,
    lambda token, atom: token[:-1],
    lambda token, atom: token.replace("-", "-N", 1),
    lambda token, atom: token.replace("-", "--", 1),
    lambda token, atom: token.upper(),
]
MUTATED_TOKENS = st.tuples(
    st.sampled_from(VALID_TOKENS), URL_ATOMS, st.sampled_from(TOKEN_MUTATIONS)
).map(lambda t: t[2](t[0], t[1]))
SIMPLE_TOKENS = st.one_of(
    st.sampled_from(VALID_TOKENS),
    st.sampled_from(VALID_TOKENS),
    st.sampled_from(VALID_TOKENS),
    MUTATED_TOKENS,
    MUTATED_TOKENS,
    st.sampled_from(["l-image", "l-text", "l-end", "l-video", "l-"]),
    st.sampled_from([*NAMED, "missing"]).map(lambda name: "n-" + name),
    st.tuples(
        st.sampled_from(["i-", "ie-"]),
        st.one_of(
            st.sampled_from(["photos@@b.jpg", "a.png", "@@..@@x", "Hello world", ""]),
            st.text(max_size=8).map(_b64),
            st.text(max_size=8),
        ),
    ).map("".join),
    st.sampled_from(URL_KEYS),
    st.tuples(st.sampled_from(URL_KEYS), URL_VALUES).map("-".join),
)
# A whole layer: "l-image,i-<path>[,<tokens>],l-end" (the l-end sometimes missing).
LAYERS = st.tuples(
    st.sampled_from(
        [
            "l-image,i-photos@@b.jpg",
            "l-image,ie-" + _b64("photos/b.jpg"),
            "l-image",
            "l-text,i-Hello",
            "l-text,ie-" + _b64("Hi there"),
            "l-text",
        ]
    ),
    st.lists(st.tuples(st.sampled_from([",", ",", ":"]), SIMPLE_TOKENS), max_size=4),
    st.sampled_from([",l-end", ",l-end", ",l-end", ",l-end", ",l-end", ""]),
).map(lambda t: t[0] + "".join(sep + token for sep, token in t[1]) + t[2])
URL_TOKENS = st.one_of(SIMPLE_TOKENS, SIMPLE_TOKENS, LAYERS)
# Tokens joined by "," (same step) and ":" (chained steps).
TRANSFORMATIONS = st.tuples(
    st.sampled_from(["", "", "w-300,h-200,", "w-100,h-100,cm-pad_resize,", "w-50,cm-extract,"]),
    URL_TOKENS,
    st.lists(st.tuples(st.sampled_from([",", ",", ",", ":", ":", " , "]), URL_TOKENS), max_size=4),
).map(lambda t: t[0] + t[1] + "".join(sep + token for sep, token in t[2]))
TEXT_TOKENS = [
    "fs-40", "co-000000", "co-red", "ff-Open_Sans", "pa-10", "pa-10_20", "pa-1_2_3", "pa-1_2_3_4",
    "tg-b_i", "tg-i", "ia-center", "ia-left", "lx-10", "ly-N10", "lfo-top", "lfo-bottom_right",
    "bg-FFFFFF80", "w-200", "i-Hello", "ie-" + _b64("héllo"),
]  # fmt: skip


def _mutant(tokens: list[str]) -> st.SearchStrategy[str]:
    """One of ``tokens``, or one of them mutated."""
    return st.one_of(
        st.sampled_from(tokens),
        st.sampled_from(tokens),
        st.tuples(st.sampled_from(tokens), URL_ATOMS, st.sampled_from(TOKEN_MUTATIONS)).map(
            lambda t: t[2](t[0], t[1])
        ),
    )


LAYER_UNITS = st.one_of(
    st.lists(_mutant(TEXT_TOKENS), max_size=5).map(
        lambda tokens: ",".join(["l-text", "i-Hi", *tokens, "l-end"])
    ),
    st.lists(_mutant(VALID_TOKENS), max_size=4).map(
        lambda tokens: ",".join(["l-image", "i-photos@@b.jpg", *tokens, "l-end"])
    ),
)
# Mostly-valid chains (no separators inside values, layers always closed), so
# that most examples get past the tokenizer into the value parsers.
STEP_CHAINS = st.lists(
    st.lists(
        st.one_of(_mutant(VALID_TOKENS), _mutant(VALID_TOKENS), LAYER_UNITS),
        min_size=1,
        max_size=5,
    ).map(",".join),
    min_size=1,
    max_size=3,
).map(":".join)
SOURCES = st.one_of(
    st.just("photos/a.jpg"),
    st.just("photos/a.jpg"),
    st.sampled_from(["a.png", "x/y/", "", "tr:w-1", "ik-genimg-x"]),
    st.text(max_size=12),
)
GENIMG = st.one_of(
    st.just(""),
    st.just("ik-genimg/"),
    st.text(max_size=8).map(lambda t: f"ik-genimg-prompt-{t}/"),
    st.text(max_size=8).map(lambda t: f"ik-genimg-prompte-{_b64(t)}/"),
    st.text(max_size=8).map(lambda t: f"ik-genimg-prompte-{t}/"),
    URL_VALUES.map(lambda v: f"ik-genimg-{v}/"),
)
# "/[ik-genimg-.../][tr:<chain>/]<source>"
GRAMMAR_PATHS = st.tuples(
    st.sampled_from(["/", "", "//"]),
    st.one_of(st.just(""), st.just(""), GENIMG),
    st.one_of(st.just(""), TRANSFORMATIONS.map(lambda t: f"tr:{t}/")),
    SOURCES,
).map("".join)

ACCEPT = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.lists(
        st.tuples(
            st.sampled_from(["image/avif", "image/webp", "IMAGE/WEBP", "*/*", "image/*", ""]),
            st.sampled_from(["", ";q=0", ";q=0.5", ";q=x", ";q=nan", ";q=-1", "; Q = 1"]),
        ).map("".join),
        max_size=4,
    ).map(",".join),
)
# What gateway.app.client_hints can produce: 0 < value < 100000.
HINTS = st.builds(
    ClientHints,
    dpr=st.one_of(st.none(), st.floats(1e-9, 99_999.99, exclude_min=True)),
    width=st.one_of(st.none(), st.integers(1, 99_999)),
)


def run_url_pipeline(
    path: str, tr: str | None, accept: str | None, hints: ClientHints
) -> edit_pb2.EditGraph | None:
    """What image_handler does before the render; None when refused with a 400."""
    accepted = accepted_formats(accept)
    assert all(isinstance(fmt, int) for fmt in accepted)
    try:
        chain, source = split_request(path, tr, NAMED)
        built = build_graph(chain, source, accepted, hints)
    except URL_ERRORS as exc:
        json.dumps(exc.to_json())  # the 400 body must be serialisable
        return None
    built.graph.SerializeToString()  # must go over gRPC
    if built.content_dpr is not None:
        f"{built.content_dpr:g}"  # noqa: B018 - the Content-DPR header formatting
    return built.graph


@FUZZ
@given(path=st.text(), tr=st.one_of(st.none(), st.text()), accept=ACCEPT, hints=HINTS)
def test_url_random_text(path: str, tr: str | None, accept: str | None, hints: ClientHints) -> None:
    run_url_pipeline(path, tr, accept, hints)


@FUZZ
@given(
    path=GRAMMAR_PATHS,
    tr=st.one_of(st.none(), TRANSFORMATIONS),
    accept=ACCEPT,
    hints=HINTS,
)
def test_url_grammar_aware(
    path: str, tr: str | None, accept: str | None, hints: ClientHints
) -> None:
    run_url_pipeline(path, tr, accept, hints)


@FUZZ
@given(tr=STEP_CHAINS, hints=HINTS)
def test_url_step_chains(tr: str, hints: ClientHints) -> None:
    run_url_pipeline("/photos/a.jpg", tr, "image/avif,image/webp", hints)


SIG_KEYS = st.one_of(st.none(), st.just(""), st.just("private_key"), st.text(max_size=10))
QUERY_PARTS = st.one_of(
    st.text(max_size=10),
    st.from_regex(r"ik-s=[0-9a-fA-F]{40}", fullmatch=True),
    st.text(max_size=6).map(lambda t: "ik-s=" + t),
    st.one_of(st.integers(0, 10**11).map(str), TRICKY, st.text(max_size=6)).map(
        lambda t: "ik-t=" + t
    ),
    st.sampled_from(["tr=w-100", "ik-s", "ik-t", "=", "&"]),
)


@FUZZ
@given(
    key=SIG_KEYS,
    path=st.text(max_size=20).map(lambda p: "/" + p),
    query=st.lists(QUERY_PARTS, max_size=4).map("&".join),
    required=st.booleans(),
)
def test_verify_random(key: str | None, path: str, query: str, required: bool) -> None:
    try:
        verify(key, path, query, required=required, now=1_700_000_000)
    except SignatureError:
        pass


@FUZZ
@given(
    key=st.text(min_size=1, max_size=10),
    path=st.text(max_size=20).map(lambda p: "/" + p),
    extra=st.lists(st.sampled_from(["tr=w-100", "a=1", "b=%20"]), max_size=2).map("&".join),
    expiry=st.one_of(st.integers(0, 10**11).map(str), TRICKY, st.text(max_size=6)),
)
def test_verify_correctly_signed(key: str, path: str, extra: str, expiry: str) -> None:
    """A signature that matches (made by the key holder) over any ik-t value."""
    assume(not set(expiry) & set("&=#+%"))  # parse_qsl would read these differently
    query = "&".join(p for p in (extra, f"ik-t={expiry}") if p)
    message = unsigned_part(path, query) + expiry
    signature = hmac.new(key.encode(), message.encode(), hashlib.sha1).hexdigest()
    try:
        verify(key, path, f"{query}&ik-s={signature}", required=True, now=1_700_000_000)
    except SignatureError:
        pass


# Known inputs: each must be refused with a documented error, not crash.
KNOWN_URL_CASES = [
    ("/a.jpg", "w-" + "1" * (INT_DIGIT_LIMIT + 1)),
    ("/a.jpg", "q-" + "1" * (INT_DIGIT_LIMIT + 1)),
    ("/a.jpg", "l-text,i-x,fs-" + "1" * (INT_DIGIT_LIMIT + 1) + ",l-end"),
    ("/a.jpg", "e-edit-prompte-é"),
    ("/a.jpg", "l-image,ie-é,l-end"),
    ("/a.jpg", "l-text,ie-é,l-end"),
    ("/ik-genimg-prompte-é/a.jpg", None),
]


@pytest.mark.parametrize(("path", "tr"), KNOWN_URL_CASES, ids=lambda v: ascii(v)[:30])
def test_url_known_inputs(path: str, tr: str | None) -> None:
    run_url_pipeline(path, tr, None, ClientHints())


@pytest.mark.parametrize(
    ("key", "query"),
    [
        ("k", "ik-s=%C3%A9"),  # raw form
        ("k", "ik-s=é"),  # what request.query_string (decoded by yarl) passes
    ],
)
def test_verify_known_inputs(key: str, query: str) -> None:
    try:
        verify(key, "/a.jpg", query, required=False)
    except SignatureError:
        pass


def test_verify_signed_non_ascii_expiry() -> None:
    message = unsigned_part("/a.jpg", "ik-t=²") + "²"
    signature = hmac.new(b"k", message.encode(), hashlib.sha1).hexdigest()
    try:
        verify("k", "/a.jpg", f"ik-t=²&ik-s={signature}", required=True)
    except SignatureError:
        pass


# --------------------------------------------------------------------------------------
# Photoroom /v2/edit and /v1/segment
# --------------------------------------------------------------------------------------


# Near misses of an enum value: case changes, cut, extra character, padding.
MUTATIONS: list[Callable[[str], str]] = [
    str,
    str,
    str.upper,
    str.lower,
    str.capitalize,
    lambda w: w[:-1],
    lambda w: w + "s",
    lambda w: f" {w} ",
    lambda w: w + "\n",
    lambda w: w.replace(".", ""),
    lambda w: w.replace("ai.", ""),
]


def near(words: tuple[str, ...] | list[str]) -> st.SearchStrategy[str]:
    """One of ``words``, often mutated."""
    return st.one_of(
        st.sampled_from(words),
        st.sampled_from(words),
        st.tuples(st.sampled_from(words), st.sampled_from(MUTATIONS)).map(lambda t: t[1](t[0])),
    )


NUMBER_TEXT = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(-2, 2, allow_nan=False).map(lambda x: f"{x:.4f}"),
    st.floats(0, 0.2, allow_nan=False).map(repr),
    st.sampled_from(["0", "1", "0.0", ".5", "5.", "-0", "1e-3", "inf", "nan", "0x10", "1_0"]),
    TRICKY,
    HUGE_DIGITS,
)
LENGTH_TEXT = st.one_of(
    NUMBER_TEXT,
    NUMBER_TEXT.map(lambda n: n + "%"),
    NUMBER_TEXT.map(lambda n: n + "px"),
    st.sampled_from(["10%", "0.1", "100px", "49%", "50%", "0.49", "0.5", "px", "%", "1 px"]),
)
COLOR_TEXT = st.one_of(
    st.from_regex(r"#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})", fullmatch=True),
    st.sampled_from(["red", "RED", "Transparent", "rebeccapurple", "#", "#12", "grey50"]),
    TRICKY,
)
OUTPUT_SIZE_TEXT = st.one_of(
    st.sampled_from(["auto", "originalImage", "croppedSubject", "custom", "0x0", "x1"]),
    st.tuples(NUMBER_TEXT, NUMBER_TEXT).map(lambda wh: f"{wh[0]}x{wh[1]}"),
    HUGE_DIGITS.map(lambda d: f"{d}x1"),
)


def valid_values(parser: Callable[[str, str], Any]) -> st.SearchStrategy[str]:
    """Values the parser should accept (or nearly), found from what the parser is."""
    if isinstance(parser, partial):
        kw = parser.keywords
        if parser.func is pf.enum:
            return near(kw["allowed"])
        if parser.func is pf.integer:
            return st.one_of(st.integers(kw["lo"], kw["hi"]).map(str), NUMBER_TEXT)
        if parser.func is pf.number:
            lo, hi = kw["lo"], kw["hi"]
            return st.one_of(st.floats(lo, hi).map(repr), NUMBER_TEXT)
    if parser is pf.boolean:
        return st.sampled_from(["true", "false", "TRUE", "0", "1", " true", "yes", ""])
    if parser is pf.length:
        return LENGTH_TEXT
    if parser is pf.color:
        return COLOR_TEXT
    if parser is pf.output_size:
        return OUTPUT_SIZE_TEXT
    if parser is pf.uuid_text:
        return st.one_of(st.uuids().map(str), st.text(max_size=40))
    if parser is pf.text:
        return st.one_of(st.text(min_size=1, max_size=20), st.just(" "), st.just("x" * 2001))
    # URLs (imageUrl, background.imageUrl, ...) are passed through as text.
    return st.one_of(st.just("https://example.com/a.jpg"), st.text(max_size=20))


EDIT_VALUES = {
    name: st.one_of(valid_values(parser), valid_values(parser), st.text(max_size=8))
    for name, parser in edit.PARAMETERS.items()
}
EDIT_NAMES = sorted(EDIT_VALUES)
UNKNOWN_NAMES = [*edit.FILES, "image_file", "ImageUrl", "padding.top", "", "x"]


EDIT_SOURCES = st.sampled_from(
    [*["right"] * 8, "imageUrl", "imageFile", "imageFromPrompt.prompt", "none"]
)
EDIT_PARAMS = st.lists(
    st.one_of([EDIT_VALUES[n].map(partial(_pair, n)) for n in EDIT_NAMES]),
    max_size=5,
)
EDIT_JUNK = st.one_of(
    st.just({}), st.just({}), st.tuples(st.sampled_from(UNKNOWN_NAMES), st.text(max_size=8))
)
EDIT_FILES = st.one_of(
    st.just({}),
    st.just({}),
    st.dictionaries(st.sampled_from(edit.FILES), st.binary(max_size=8), max_size=2),
)
# (fields, files, post): mostly a source plus 0-5 near-valid parameters.
EDIT_REQUESTS = st.tuples(
    st.booleans(), EDIT_SOURCES, st.binary(max_size=16), EDIT_PARAMS, EDIT_JUNK, EDIT_FILES
).map(lambda t: _edit_request(*t))


def _edit_request(
    post: bool,
    source: str,
    image: bytes,
    params: list[tuple[str, str]],
    junk: dict[str, str] | tuple[str, str],
    files: dict[str, bytes],
) -> tuple[dict[str, str], dict[str, bytes], bool]:
    fields: dict[str, str] = {}
    files = dict(files)
    if source == "right":  # the source the method takes
        source = "imageFile" if post else "imageUrl"
    if source == "imageFile":
        files["imageFile"] = image
    elif source == "imageUrl":
        fields["imageUrl"] = "https://example.com/a.jpg"
    elif source != "none":
        fields[source] = "a cat"
    fields.update(params)
    if junk:
        fields[junk[0]] = junk[1]
    return fields, files, post


def build_or_reject(build: Callable[[], edit_pb2.EditGraph]) -> None:
    """A REST parser either builds a serialisable graph or raises one of its
    documented errors (a RequestError whose JSON body serialises)."""
    try:
        graph = build()
    except PHOTOROOM_ERRORS as exc:
        if isinstance(exc, RequestError):
            json.dumps(exc.to_json())
        return
    assert isinstance(graph, edit_pb2.EditGraph)
    graph.SerializeToString()


def run_edit(fields: dict[str, str], files: dict[str, bytes], post: bool) -> None:
    build_or_reject(lambda: edit.build(edit.parse(fields, files, post=post)))


@FUZZ
@given(
    fields=st.dictionaries(
        st.one_of(st.sampled_from(EDIT_NAMES), st.text(max_size=10)), st.text(), max_size=6
    ),
    files=st.dictionaries(
        st.one_of(st.sampled_from(edit.FILES), st.text(max_size=10)), st.binary(), max_size=3
    ),
    post=st.booleans(),
)
def test_edit_random(fields: dict[str, str], files: dict[str, bytes], post: bool) -> None:
    run_edit(fields, files, post)


@FUZZ
@given(request=EDIT_REQUESTS)
def test_edit_near_valid(request: tuple[dict[str, str], dict[str, bytes], bool]) -> None:
    run_edit(*request)


KNOWN_EDIT_CASES = [
    {"outputSize": "originalImage", "maxWidth": "1" * (INT_DIGIT_LIMIT + 1)},
    {"outputSize": "1" * (INT_DIGIT_LIMIT + 1) + "x100"},
    {"outputSize": "100x1" + "0" * INT_DIGIT_LIMIT},
    {"export.dpi": "1" * (INT_DIGIT_LIMIT + 1)},
    {"background.prompt": "x", "background.seed": "1" * (INT_DIGIT_LIMIT + 1)},
    {"padding": "1" * (INT_DIGIT_LIMIT + 1) + "px"},
    {"outline.color": "red", "outline.width": "1" * (INT_DIGIT_LIMIT + 1)},
]


@pytest.mark.parametrize("extra", KNOWN_EDIT_CASES, ids=lambda d: ascii(d)[:40])
def test_edit_known_inputs(extra: dict[str, str]) -> None:
    run_edit({"imageUrl": "https://example.com/a.jpg", **extra}, {}, False)


SEGMENT_VALID = {
    "format": near(["png", "jpg", "webp", "jpeg"]),
    "channels": near(["rgba", "alpha"]),
    "size": near(["preview", "medium", "hd", "full"]),
    "crop": valid_values(pf.boolean),
    "despill": valid_values(pf.boolean),
    "bg_color": COLOR_TEXT,
}
SEGMENT_VALUES = {k: st.one_of(v, st.text(max_size=8)) for k, v in SEGMENT_VALID.items()}


SEGMENT_FORMS = st.tuples(
    st.lists(
        st.one_of([SEGMENT_VALUES[n].map(partial(_pair, n)) for n in segment.FIELDS]),
        max_size=6,
    ).map(dict),
    st.one_of(st.just({}), st.just({}), st.sampled_from([{"image_file": "x"}, {"Format": "png"}])),
    st.one_of(st.none(), st.just(b""), st.binary(min_size=1, max_size=16)),
).map(lambda t: ({**t[0], **t[1]}, t[2]))


def run_segment(fields: dict[str, str], image: bytes | None) -> None:
    build_or_reject(lambda: segment.build(fields, image))


@FUZZ
@given(
    fields=st.dictionaries(
        st.one_of(st.sampled_from(segment.FIELDS), st.text(max_size=8)), st.text(), max_size=6
    ),
    image=st.one_of(st.none(), st.binary(max_size=16)),
)
def test_segment_random(fields: dict[str, str], image: bytes | None) -> None:
    run_segment(fields, image)


@FUZZ
@given(form=SEGMENT_FORMS)
def test_segment_near_valid(form: tuple[dict[str, str], bytes | None]) -> None:
    run_segment(*form)
