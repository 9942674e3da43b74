"""The outbound URL rules: one function for what a webhook may call and one
for what an edit graph may fetch, shared by asset_svc (checked at upload) and
transform_svc (checked at fetch)."""

from __future__ import annotations

import pytest

from outbound.ssrf import check_origin_url, check_url

ALLOWED = frozenset({"cdn.example.com", "10.0.0.7"})
PRIVATE = frozenset({"10.0.0.7"})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://cdn.example.com/bg.png", None),
        ("http://CDN.example.com:8080/bg.png", None),  # host names are case-insensitive
        ("http://10.0.0.7/bg.png", None),  # allowed and listed as private
        ("https://example.com/bg.png", "host 'example.com' is not an allowed origin"),
        ("http://10.0.0.8/bg.png", "host '10.0.0.8' is not an allowed origin"),
        ("file:///etc/passwd", "the URL must be http(s) with a host"),
        ("ftp://cdn.example.com/bg.png", "the URL must be http(s) with a host"),
        ("https:///bg.png", "the URL must be http(s) with a host"),
        ("http://[::1/bg.png", "the URL must be http(s) with a host"),  # urlsplit: ValueError
    ],
)
def test_origin_urls(url: str, reason: str | None) -> None:
    assert check_origin_url(url, ALLOWED, PRIVATE) == reason


def test_an_allowed_private_literal_still_needs_private_hosts() -> None:
    assert check_origin_url("http://10.0.0.7/x", ALLOWED, frozenset()) == (
        "10.0.0.7 is a non-public address"
    )
    assert check_url("http://169.254.169.254/latest", frozenset()) == (
        "169.254.169.254 is a non-public address"
    )
    assert check_url("https://example.com/hook", frozenset()) is None
    assert check_url("http://[::1/hook", frozenset()) == "the URL must be http(s) with a host"
