"""The API keys file: account ids are unique, well formed, and never an API's
first path segment (its library URLs would be shadowed by the API)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.accounts import RESERVED_IDS, ApiKeys
from gateway.app import create_app
from gateway.route_fallbacks import family
from gateway.settings import GatewaySettings


def keys_file(tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({f"key-{i}": {"images": 1, "id": v} for i, v in enumerate(ids)}))
    return path


def test_ordinary_ids_load(tmp_path: Path) -> None:
    keys = ApiKeys.load(keys_file(tmp_path, ["acme", "shop-2"]))
    assert keys.ids == {"acme", "shop-2"}


@pytest.mark.parametrize("reserved", sorted(RESERVED_IDS))
def test_an_id_an_api_path_starts_with_is_refused(tmp_path: Path, reserved: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        ApiKeys.load(keys_file(tmp_path, ["acme", reserved]))


@pytest.mark.parametrize("bad", [["a", "a"], ["Upper"], ["x" * 65], ["a/b"]])
def test_malformed_or_repeated_ids_are_refused(tmp_path: Path, bad: list[str]) -> None:
    with pytest.raises(ValueError):
        ApiKeys.load(keys_file(tmp_path, bad))


def test_every_api_family_starts_with_a_reserved_id() -> None:
    """A new API route under a new first segment must reserve it too."""
    app = create_app(GatewaySettings())
    firsts = {f.split("/")[1] for r in app.router.resources() if (f := family(r.canonical))}
    assert firsts and firsts <= RESERVED_IDS, firsts - RESERVED_IDS
