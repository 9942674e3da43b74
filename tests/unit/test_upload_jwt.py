"""The v2 upload's JWT (gateway/imagekit/upload_jwt.py): signed HS256 with
the private key, ``kid`` the public key, every form field signed; anything
changed after signing, expired, too long-lived or unknown is refused."""

from __future__ import annotations

import time

import jwt
import pytest

from gateway.accounts import Account, ApiKeys, AuthError
from gateway.errors import RequestError
from gateway.imagekit import upload_jwt

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
PRIVATE, PUBLIC = "private_test_key", "public_test_key"
KEYS = ApiKeys({PRIVATE: Account("dev", 100, "acct", PUBLIC)})
NOW = 1_800_000_000.0


def token(fields: dict, key: str = PRIVATE, kid: str = PUBLIC, iat: float = NOW, life: int = 600):
    payload = {**fields, "iat": int(iat), "exp": int(iat) + life}
    return jwt.encode(payload, key, algorithm="HS256", headers={"kid": kid})


def form(fields: dict, tok: str) -> dict[str, str]:
    return {
        **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()},
        "token": tok,
    }


def test_a_signed_form_authenticates_its_account_once_per_token() -> None:
    fields = {"fileName": "a.png", "folder": "/x", "useUniqueFileName": False}
    tok = token(fields)
    account, claim, exp = upload_jwt.authenticate(KEYS, form(fields, tok), now=NOW)
    assert account.id == "acct" and exp == NOW + 600
    again = upload_jwt.authenticate(KEYS, form(fields, tok), now=NOW)[1]
    assert claim == again and len(claim) == 64  # the same token claims the same slot
    other = upload_jwt.authenticate(KEYS, form(fields, token(fields, iat=NOW + 1)), now=NOW)[1]
    assert other != claim


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"folder": "/elsewhere"}, 401),  # a signed field altered
        ({"tags": "extra"}, 401),  # an unsigned field added
    ],
)
def test_a_form_changed_after_signing_is_refused(change: dict, status: int) -> None:
    fields = {"fileName": "a.png", "folder": "/x"}
    sent = {**form(fields, token(fields)), **change}
    with pytest.raises(AuthError) as refused:
        upload_jwt.authenticate(KEYS, sent, now=NOW)
    assert refused.value.status == status


def test_a_signed_field_missing_from_the_form_is_refused() -> None:
    fields = {"fileName": "a.png", "folder": "/x"}
    sent = form({"fileName": "a.png"}, token(fields))
    with pytest.raises(AuthError):
        upload_jwt.authenticate(KEYS, sent, now=NOW)


@pytest.mark.parametrize(
    ("kw", "now", "status"),
    [
        ({"key": "wrong"}, NOW, 401),
        ({"kid": "nobody"}, NOW, 403),
        ({"life": 7200}, NOW, 401),
        ({}, NOW + 601, 401),  # expired
        ({"iat": NOW + 4000}, NOW, 401),  # expires over an hour ahead
    ],
)
def test_bad_tokens_are_refused(kw: dict, now: float, status: int) -> None:
    fields = {"fileName": "a.png"}
    with pytest.raises(AuthError) as refused:
        upload_jwt.authenticate(KEYS, form(fields, token(fields, **kw)), now=now)
    assert refused.value.status == status


@pytest.mark.parametrize("tok", ["", "x" * (upload_jwt.MAX_TOKEN + 1)])
def test_a_missing_or_huge_token_names_the_parameter(tok: str) -> None:
    with pytest.raises(RequestError) as refused:
        upload_jwt.authenticate(KEYS, {"fileName": "a.png", "token": tok}, now=NOW)
    assert refused.value.parameter == "token"


def test_garbage_is_a_401_not_a_crash() -> None:
    with pytest.raises(AuthError) as refused:
        upload_jwt.authenticate(KEYS, {"fileName": "a", "token": "not.a.jwt"}, now=time.time())
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("signed", "sent", "same"),
    [
        (True, "true", True),
        (False, "true", False),
        (3, "3", True),
        (["a", "b"], "a,b", True),
        (["a", "b"], '["a","b"]', True),
        ({"k": 1}, '{"k": 1}', True),
        ({"k": 1}, '{"k": 2}', False),
        ("x", "y", False),
    ],
)
def test_payload_values_compare_with_form_text(signed: object, sent: str, same: bool) -> None:
    assert upload_jwt._same(signed, sent) is same
