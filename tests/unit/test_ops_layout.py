"""One module per op: ``transform_svc/ops/<name>.py`` registers the op of the
``Step`` field ``<name>``, the package finds them itself, and every Step field
has an op (conditionals are expanded by the executor)."""

from __future__ import annotations

import pkgutil

from contract.steps import STEP_NAMES
from transform_svc import ops

HELPERS = {"resize_focus"}  # serves resize: its detected-focus preparation


def test_each_op_lives_in_the_module_named_after_it() -> None:
    ops.load_all()
    for name, registered in ops.REGISTRY.items():
        assert registered.func.__module__ == f"transform_svc.ops.{name}"
    modules = {m.name for m in pkgutil.iter_modules(ops.__path__)}
    assert modules == set(ops.REGISTRY) | HELPERS
    assert set(STEP_NAMES) - set(ops.REGISTRY) == {"conditional"}
    assert ops.REGISTRY["resize"].prepare is not None
