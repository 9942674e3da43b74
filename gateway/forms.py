"""Reading a form body (multipart/form-data or urlencoded), for every dialect."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from gateway.errors import RequestError


async def read_form(request: web.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """Multipart/urlencoded body -> (text fields, file parts).

    Raises:
        RequestError: the body is not a form.
        web.HTTPRequestEntityTooLarge: body over the upload limit (413).
    """
    try:
        form = await request.post()
    except web.HTTPException:
        raise
    except (ValueError, HttpProcessingError, AssertionError, LookupError) as exc:
        # malformed multipart: bad boundary, part headers over aiohttp's limits, ...
        raise RequestError(
            "invalid_parameter",
            "the request body is not a readable multipart/form-data or urlencoded form",
            "body",
            "multipart/form-data or application/x-www-form-urlencoded",
        ) from exc
    texts: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
        else:
            texts[name] = str(value)
    return texts, files
