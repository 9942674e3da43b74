"""Reading an existing ``thumbor.conf``: its settings that mean something
here become the ``thumbor_*`` settings of the same name (``SECURITY_KEY`` ->
``thumbor_security_key``).

thumbor.conf is Python (https://thumbor.readthedocs.io/en/latest/configuration.html);
it is parsed, never run: only top-level ``NAME = <literal>`` assignments are
read (``ast.literal_eval``), anything else is ignored.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LOG = logging.getLogger("imgmesh.gateway.thumbor")
PREFIX = "thumbor_"


def read_conf(path: Path, names: Iterable[str]) -> dict[str, Any]:
    """The literal settings of the thumbor.conf at ``path`` whose
    ``thumbor_<name>`` is in ``names``, keyed by that field name.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not Python (a syntax error), naming the line.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=path.name)
    except SyntaxError as exc:
        raise ValueError(f"{path.name} line {exc.lineno}: not a thumbor.conf") from exc
    wanted = set(names)
    found: dict[str, Any] = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            continue
        field = PREFIX + node.targets[0].id.lower()
        if field not in wanted:
            continue
        try:
            found[field] = ast.literal_eval(node.value)
        except ValueError:
            LOG.warning("%s: %s is not a literal; ignored", path.name, node.targets[0].id)
    return found
