"""Custom metadata values checked against the account's custom metadata
fields (ImageKit's schema types Text, Textarea, Number, Date, Boolean,
SingleSelect, MultiSelect with their limits, select options, defaults and
``isValueRequired``;
https://imagekit.io/docs/api-reference/custom-metadata-fields/create-custom-metadata-field).

An account with no fields keeps free-form ``customMetadata``; once it has
one, every key must name a field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from asset_svc.errors import invalid

TYPES = ("Text", "Textarea", "Number", "Date", "Boolean", "SingleSelect", "MultiSelect")


def _refuse(name: str, why: str) -> Exception:
    return invalid("customMetadata", f"customMetadata.{name}: {why}")


def _date(name: str, value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise _refuse(name, "a date is an ISO 8601 string")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _refuse(name, "a date is an ISO 8601 string") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value) and abs(value) < 1e15
    except OverflowError:  # an integer beyond any float
        return False


def check_value(name: str, value: Any, schema: Mapping[str, Any]) -> None:
    """Raise when ``value`` does not fit the field's ``schema``.

    Raises:
        AssetError: invalid_parameter naming ``customMetadata.<name>``.
    """
    kind = schema.get("type")
    lo, hi = schema.get("minValue"), schema.get("maxValue")
    options = schema.get("selectOptions") or []
    if kind in ("Text", "Textarea"):
        if not isinstance(value, str):
            raise _refuse(name, "the value is text")
        if len(value) < (schema.get("minLength") or 0):
            raise _refuse(name, f"at least {schema['minLength']} characters")
        if schema.get("maxLength") is not None and len(value) > schema["maxLength"]:
            raise _refuse(name, f"at most {schema['maxLength']} characters")
    elif kind == "Number":
        if not _number(value):
            raise _refuse(name, "the value is a number")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise _refuse(name, f"the value is {lo}..{hi}")
    elif kind == "Date":
        when = _date(name, value)
        early = lo is not None and when < _date(name, lo)
        if early or (hi is not None and when > _date(name, hi)):
            raise _refuse(name, f"the date is {lo}..{hi}")
    elif kind == "Boolean":
        if not isinstance(value, bool):
            raise _refuse(name, "the value is true or false")
    elif kind == "SingleSelect":
        if value not in options:
            raise _refuse(name, f"one of {options}")
    elif kind == "MultiSelect":
        if not isinstance(value, list) or not all(v in options for v in value):
            raise _refuse(name, f"a list of {options}")
        if len(value) < (schema.get("minLength") or 0) or (
            schema.get("maxLength") is not None and len(value) > schema["maxLength"]
        ):
            raise _refuse(name, "the number of choices is out of range")
    else:
        raise _refuse(name, f"the field's type is not one of {TYPES}")


def check_schema(schema: Any) -> None:
    """Raise when a field's ``schema`` is malformed (its default included).

    Raises:
        AssetError: invalid_parameter naming ``schema``.
    """
    if not isinstance(schema, dict) or schema.get("type") not in TYPES:
        raise invalid("schema", "schema.type is one of " + ", ".join(TYPES))
    kind = schema["type"]
    if kind in ("SingleSelect", "MultiSelect"):
        options = schema.get("selectOptions")
        if not isinstance(options, list) or not options or len(options) > 100:
            raise invalid("schema", "selectOptions lists 1..100 options")
    for key in ("minLength", "maxLength"):
        if key in schema and not (_number(schema[key]) and schema[key] >= 0):
            raise invalid("schema", f"schema.{key} is a number >= 0")
    for key in ("minValue", "maxValue"):
        if key not in schema:
            continue
        if kind == "Number" and not _number(schema[key]):
            raise invalid("schema", f"schema.{key} is a number for a Number field")
        if kind == "Date":
            _date(key, schema[key])
    if schema.get("selectOptions") is not None and not isinstance(schema["selectOptions"], list):
        raise invalid("schema", "selectOptions is a list")
    if schema.get("defaultValue") is not None:
        check_value("defaultValue", schema["defaultValue"], schema)


def apply(
    values: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]], *, creating: bool
) -> dict[str, Any]:
    """``values`` checked against ``fields``; with ``creating`` (an upload,
    or an update, which replaces the whole set) the defaults filled in for
    the fields not given and the required ones insisted on.

    Raises:
        AssetError: invalid_parameter: a key that names no field, a value
            that does not fit, a required field without a value.
    """
    out = dict(values)
    if not fields:
        return out
    for name, value in values.items():
        if name not in fields:
            raise _refuse(name, "no custom metadata field has this name")
        if value is None:
            if fields[name].get("isValueRequired"):
                raise _refuse(name, "a value is required")
            continue
        check_value(name, value, fields[name])
    if creating:
        for name, schema in fields.items():
            if out.get(name) is None and schema.get("defaultValue") is not None:
                out[name] = schema["defaultValue"]
            if out.get(name) is None and schema.get("isValueRequired"):
                raise _refuse(name, "a value is required")
    return {k: v for k, v in out.items() if v is not None}
