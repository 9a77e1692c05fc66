"""JSON request bodies: media type, size, strict decoding, then the spec's schema."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

from ..contract import Contract, Operation
from ..contract.problems import field_problems, summary
from ..errors import BadRequest

_SURROGATE = re.compile('[\ud800-\udfff]')


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


# Longer integers are beyond every field's bounds; Python would refuse 4,300 digits with a
# message about its own settings.
MAX_INTEGER_DIGITS = 100


def _number(text: str) -> float | int:
    """A number with a fraction or an exponent, as its value is (JSON Schema reads 1.0 as an
    integer): a float, unless the float lost what the text says - an integer too long for a
    float's 53 bits is read exactly, and a fraction a float would round away is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is too large")
    if value.is_integer():
        exact = Decimal(text)
        if exact != value:
            if exact != exact.to_integral_value():
                raise ValueError(f"the number {text[:40]} has a fraction too fine to hold")
            return int(exact)
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-')):,} digits is beyond any field's bounds")
    return int(text)


def _no_constants(text: str) -> Any:
    raise ValueError(f"{text} is not valid JSON")


def decode_json(raw: bytes) -> Any:
    """Parse strictly: UTF-8 only, no NaN/Infinity, no duplicate keys, bounded nesting."""
    if not raw.strip():
        raise BadRequest.field("body", "is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest.field("body", f"is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_number,
            parse_int=_integer,
            parse_constant=_no_constants,
        )
        _reject_lone_surrogates(value)
        return value
    except RecursionError:
        raise BadRequest.field("body", "is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise BadRequest.field(
            "body", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except ValueError as exc:
        raise BadRequest.field("body", f"is not valid JSON: {exc}") from None


def _reject_lone_surrogates(value: Any) -> None:
    """JSON may spell a lone UTF-16 surrogate (\\ud800); it is not a character, so refuse it."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise BadRequest.field("body", "contains an unpaired UTF-16 surrogate escape")
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_lone_surrogates(key)
            _reject_lone_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _reject_lone_surrogates(item)


def require_json_media_type(mimetype: str) -> None:
    """POST/PUT bodies must say `application/json` (charset allowed); anything else is a 400,
    never a 415, which the API does not use."""
    if mimetype != "application/json":
        shown = mimetype or "none"
        raise BadRequest.field(
            "Content-Type", f"must be application/json for a JSON body (got {shown})"
        )


def validated_body(contract: Contract, operation: Operation, body: Any, settings: Any) -> dict[str, Any]:
    """The body, valid under the operation's request schema, integral floats made integers.

    Before the schema judges it, the body is read as the settings answer the open questions:
    unknown keys next to `calendar` dropped (`top_level_keys: ignored`), Rails-style 0/1 for
    `deleted` and digit strings for integers taken (`deleted_input`, `string_integers`)."""
    body = _as_answered(contract, body, settings)
    validator = operation.body_validators["application/json"]
    problems = field_problems(validator.iter_errors(body), "body", nested_in_root=False)
    if problems:
        raise BadRequest(f"Invalid request body: {summary(problems)}", problems)
    calendar = body.get("calendar")
    if isinstance(calendar, dict):
        for name, value in calendar.items():
            if isinstance(value, float) and contract.field_types.get(name) == "integer":
                calendar[name] = int(value)
        if settings.blank_name == "refused" and isinstance(calendar.get("name"), str) \
                and not calendar["name"].strip():
            raise BadRequest.field("calendar.name", "must not be blank")
    return body


_DIGITS = re.compile(r"-?[0-9]{1,19}")


def _as_answered(contract: Contract, body: Any, settings: Any) -> Any:
    if not isinstance(body, dict):
        return body
    if settings.top_level_keys == "ignored":
        body = {key: value for key, value in body.items() if key in ("calendar", "apikey")}
    calendar = body.get("calendar")
    if not isinstance(calendar, dict):
        return body
    if settings.unknown_calendar_keys == "ignored":
        calendar = body["calendar"] = {key: value for key, value in calendar.items()
                                       if key in contract.field_types}
    if settings.deleted_input == "also_0_1" and type(calendar.get("deleted")) is int \
            and calendar["deleted"] in (0, 1):
        calendar["deleted"] = bool(calendar["deleted"])
    if settings.string_integers == "coerced":
        for name, value in calendar.items():
            if contract.field_types.get(name) == "integer" and isinstance(value, str) \
                    and _DIGITS.fullmatch(value):
                calendar[name] = int(value)
    return body
