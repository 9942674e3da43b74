"""Operation registry: one small unit per EditGraph step type, registered by the
name of its ``Step.op`` oneof field. The executor looks ops up here, so adding
an op never touches the executor (thumbor's filter registry, imgproxy's
ordered step functions).

An op is either sync (``(image, params, ctx) -> image``, run on a worker
thread) or async (``async (image, params, ctx) -> image``, run on the event
loop, e.g. a Triton call). An op may also provide a *load fusion*: when it is
the first step, it gets the encoded bytes instead of a decoded image so it can
use libvips shrink-on-load (``thumbnail_buffer``); a *reduced load*: when it
is the first step and its result does not depend on the source's full
resolution, it decodes the source smaller and the op then runs on that (face
detection before a cover crop); and a *prepare* coroutine that completes its
parameters before it runs (e.g. face detection).

Each op also declares whether it is *sequential*: it reads its input once, top
to bottom (point operations, small convolutions, embeds, composites over the
input, and async ops that copy their input to memory first). The executor
streams a source (libvips ``access=sequential``, shrink-on-load) only when every
step after the load is sequential; otherwise it decodes with random access or
materialises the shrunk image, since a second pass over a sequential JPEG/PNG/
TIFF decode fails with "out of order read". An op wrongly marked sequential is
caught by ``tests/mesh/test_op_matrix.py``, which runs every registered op on every
source format.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pyvips

from transform_svc.context import RenderContext

SyncOp = Callable[[pyvips.Image, Any, RenderContext], pyvips.Image]
AsyncOp = Callable[[pyvips.Image, Any, RenderContext], Awaitable[pyvips.Image]]
LoadFusion = Callable[[bytes, Any, RenderContext], "pyvips.Image | None"]
Prepare = Callable[[pyvips.Image, Any, RenderContext], Awaitable[tuple[pyvips.Image, Any]]]


@dataclass
class RegisteredOp:
    """An op and how to run it."""

    name: str
    func: SyncOp | AsyncOp
    is_async: bool
    fuse_load: LoadFusion | None = None
    reduce_load: LoadFusion | None = None
    prepare: Prepare | None = None
    prepare_applies: Callable[[Any], bool] | None = None
    sequential: bool = False

    def needs_prepare(self, params: Any) -> bool:
        """True if this step must run its async preparation first."""
        return self.prepare is not None and bool(
            self.prepare_applies is None or self.prepare_applies(params)
        )


REGISTRY: dict[str, RegisteredOp] = {}


def register(
    name: str, *, sequential: bool = False
) -> Callable[[SyncOp | AsyncOp], SyncOp | AsyncOp]:
    """Decorator: register ``func`` as the op for ``Step.<name>``; ``sequential``
    when it reads its input once, top to bottom (see the module docstring).

    Raises:
        ValueError: ``name`` is already registered.
    """

    def decorate(func: SyncOp | AsyncOp) -> SyncOp | AsyncOp:
        if name in REGISTRY:
            raise ValueError(f"op {name!r} registered twice")
        REGISTRY[name] = RegisteredOp(
            name, func, inspect.iscoroutinefunction(func), sequential=sequential
        )
        return func

    return decorate


def register_load_fusion(name: str) -> Callable[[LoadFusion], LoadFusion]:
    """Decorator: give the already-registered op ``name`` a shrink-on-load path.

    The fusion returns the loaded-and-applied image, or None to decline (the
    executor then loads normally and calls the op).
    """

    def decorate(func: LoadFusion) -> LoadFusion:
        REGISTRY[name].fuse_load = func
        return func

    return decorate


def register_reduced_load(name: str) -> Callable[[LoadFusion], LoadFusion]:
    """Decorator: give the already-registered op ``name`` a reduced decode
    for when its load fusion declines. It gets the bytes and the op's
    *unresolved* params and returns the upright sRGB source decoded smaller
    (the op still runs on it), or None to decode at full size. It must only
    reduce where the op's output does not change but for resampling (px
    targets, not ratios of the current size)."""

    def decorate(func: LoadFusion) -> LoadFusion:
        REGISTRY[name].reduce_load = func
        return func

    return decorate


def register_prepare(name: str, applies: Callable[[Any], bool]) -> Callable[[Prepare], Prepare]:
    """Decorator: give the already-registered op ``name`` an async preparation
    run on the event loop before it, for the params where ``applies(params)``
    (e.g. resolving fo-face into a focus box with a detector in Triton). It
    returns the (possibly materialised) image and the completed parameters."""

    def decorate(func: Prepare) -> Prepare:
        REGISTRY[name].prepare = func
        REGISTRY[name].prepare_applies = applies
        return func

    return decorate


def load_all() -> None:
    """Import every module of this package so each op registers itself. A
    module is named after the ``Step`` field of the op it registers
    (``ops/<name>.py`` holds ``@register("<name>")``); ``resize_focus`` serves
    ``resize`` (its detected-focus preparation). ``tests/unit/test_ops_layout.py``
    checks both rules."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
