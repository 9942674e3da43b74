"""The environment variable each setting is read from: ``IMGMESH_<NAME>``,
or a peer's own name where a field declares one (imgproxy's ``IMGPROXY_*``,
read as an existing deployment sets them)."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

PREFIX = "IMGMESH_"


def env_name(name: str, field: FieldInfo) -> str:
    """The variable of the settings field ``name``: its alias's first choice
    when it has one, else ``IMGMESH_`` + the name in capitals."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        if isinstance(first, str):
            return first
    if isinstance(alias, str):
        return alias
    return PREFIX + name.upper()
