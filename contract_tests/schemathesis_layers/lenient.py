"""Readings of a query that CONTRACT.md leaves open, and that invalid.parameters-refused (ASM: "a
value no reading can take is refused") must therefore not count against a deployment:

- an empty value read as absent (`results=` as no `results`: Rails' `params[:results].presence`);
- a scalar key given twice read as one of its values, the first (werkzeug) or the last (Rack,
  Django, PHP).

schemathesis' negative cases make a query invalid in exactly these ways too (`results=""`, an
integer "became array"). Every independent server of tests/independent reads them so, and the
suite used to fail them at strict for it, or not, by the seed. The kit's mock refuses both: that
passes as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema

from mock_server.api.params import coerce

ABSENT = None


def valid_when_read_leniently(parameters: Iterable[Any], uri: str) -> bool:
    """Whether some open reading of the query `uri` sent makes every one of the operation's query
    `parameters` (schemathesis' OpenApiParameter: name, is_required, definition) valid."""
    given: dict[str, list[str]] = {}
    for name, value in parse_qsl(urlsplit(uri).query, keep_blank_values=True):
        given.setdefault(name, []).append(value)
    return all(_some_reading_valid(parameter, given.get(parameter.name, [])) for parameter in parameters)


def _some_reading_valid(parameter: Any, values: Sequence[str]) -> bool:
    schema = parameter.definition.get("schema", {})
    validator = jsonschema.Draft202012Validator(schema)
    for reading in _readings(values, schema.get("type") == "array"):
        if reading is ABSENT:
            if not parameter.is_required:
                return True
        elif isinstance(reading, list):
            items = schema.get("items", {})
            if validator.is_valid([coerce(item, items, integral_decimals=True) for item in reading]):
                return True
        elif validator.is_valid(coerce(reading, schema, integral_decimals=True)):
            return True
    return False


def _readings(values: Sequence[str], is_array: bool) -> list[Any]:
    """What a deployment may take the values of one key for: absent, a list, or one value."""
    if is_array:
        items = [value for value in values if value != ""]
        return [items if items else ABSENT]
    if not values:
        return [ABSENT]
    return [ABSENT if value == "" else value for value in dict.fromkeys((values[0], values[-1]))]
