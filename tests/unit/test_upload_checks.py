"""ImageKit's upload checks (asset_svc/upload_checks.py): the grammar its
docs give, typed values (sizes in kb/mb, px), and clear refusals."""

from __future__ import annotations

import pytest

from asset_svc import upload_checks
from asset_svc.errors import AssetError

FACTS = upload_checks.facts(
    "/shop/shoes", "red.png", {"mime": "image/png", "size": 600 * 1024, "width": 800, "height": 600}
)


@pytest.mark.parametrize(
    ("text", "passes"),
    [
        ('"file.size" < "1mb"', True),
        ('"file.size" < "500kb"', False),
        ('"file.size" >= 614400', True),
        ('"file.width" > 1000', False),
        ('"file.width" <= 800 AND "file.height" = 600', True),
        ('"file.mime": "image/png"', True),
        ('"file.mime" : "IMAGE/PNG"', True),
        ('"file.mime" != "image/png"', False),
        ('"file.mime" IN ["image/jpeg", "image/png"]', True),
        ('"file.mime" NOT IN ["image/jpeg", "image/png"]', False),
        ('"request.folder": "shop/shoes"', True),
        ('"request.folder": "/shop/shoes/"', True),
        ('"request.fileName": "blue.png" OR "file.width" = 800', True),
        ('NOT ("file.width" = 800 AND "file.height" = 600)', False),
        ("'file.height' > 100 and 'file.size' < '2MB'", True),
    ],
)
def test_checks_evaluate_as_imagekit_documents(text: str, passes: bool) -> None:
    check = upload_checks.parse(text)
    assert check(FACTS) is passes
    if passes:
        upload_checks.enforce(check, FACTS)
    else:
        with pytest.raises(AssetError) as refused:
            upload_checks.enforce(check, FACTS)
        assert refused.value.code == "checks_failed"


@pytest.mark.parametrize(
    "text",
    [
        '"file.size" <',
        '"file.size" < "1mb" AND',
        '"file.colour" = "red"',
        '"file.mime" < "image/png"',
        '"file.width" > "1mb"',
        '("file.width" > 1',
        '"file.width" > 1 ]',
        "file.width > 1",
        '"file.mime" IN []',
        "(" * 40 + '"file.width" > 1' + ")" * 40,
        "NOT " * 40 + '"file.width" > 1',
        "(" * 500 + ")" * 500,
        '"file.size" < "1mb"' + " " * 1000,
    ],
)
def test_malformed_checks_are_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(AssetError) as refused:
        upload_checks.parse(text)
    assert refused.value.code == "invalid_parameter" and refused.value.parameter == "checks"
