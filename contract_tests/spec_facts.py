"""What the suite reads of the spec, read once: the operations and their paths, the
calendar's fields, the statuses the API answers, and the rule each answer stands for.
Nothing here is typed by hand: a path, a field or a status the spec changes changes here."""

from __future__ import annotations

import re
from typing import Any

import calendar_spec
from calendar_spec.walk import fill, merged, operations_by_id, path_pattern, path_suffixes

SPEC = calendar_spec.load_spec("strict")
OPERATIONS = operations_by_id(SPEC)  # operationId -> (METHOD, template, operation)
SUFFIXES = path_suffixes(SPEC)
# The fields of the contract's calendar (a deployment may add its own: those are never compared).
CALENDAR_FIELDS: tuple[str, ...] = tuple(SPEC["components"]["schemas"]["Calendar"]["properties"])
# What a client may write (read-only keys left out), each field's schema with its $refs followed.
_READABLE = merged(SPEC, {"$ref": "#/components/schemas/Calendar"})["properties"]
WRITABLE_FIELDS: dict[str, dict[str, Any]] = {
    name: merged(SPEC, schema)
    for name, schema in merged(SPEC, {"$ref": "#/components/schemas/CalendarWrite"})["properties"].items()
    if not merged(SPEC, _READABLE.get(name, {})).get("readOnly")
}
STATUSES = frozenset(SPEC["x-clicrdv-statuses"]["statuses"])  # every status the API answers
# The rule each operation's success answer stands for: its status, and its body's schema.
STATUS_RULES = {op_id: op["x-answer-rules"]["status"] for op_id, (_, _, op) in OPERATIONS.items()}
BODY_RULES = {op_id: op["x-answer-rules"]["body"] for op_id, (_, _, op) in OPERATIONS.items()}
# Resources beyond the Calendar one (tags marked x-optional-resource): each one's operations, its
# list first (the read that tells whether a deployment serves it).
OPTIONAL_RESOURCES: dict[str, list[str]] = {
    tag["name"]: sorted((op_id for op_id, (method, template, op) in OPERATIONS.items()
                         if tag["name"] in op.get("tags", ())),
                        key=lambda op_id: OPERATIONS[op_id][1].endswith("}"))
    for tag in SPEC.get("tags", []) if tag.get("x-optional-resource")
}
# Concrete paths of each template (with or without a suffix), the most specific first.
TEMPLATES: list[tuple[re.Pattern[str], str]] = sorted(
    ((path_pattern(template, SUFFIXES), template) for template in SPEC["paths"]),
    key=lambda item: -item[1].count("/"))


def path_of(operation_id: str, suffix: str = "", **values: Any) -> str:
    """The path of an operation with its parameters filled in (`.json` as `suffix`)."""
    return fill(OPERATIONS[operation_id][1], **values) + suffix


def path_values(operation_id: str, path: str) -> dict[str, str] | None:
    """The parameters of a concrete `path` of the operation, or None if it is not one."""
    found = path_pattern(OPERATIONS[operation_id][1], SUFFIXES).fullmatch(path)
    return found.groupdict() if found else None


def template_of(path: str) -> str | None:
    """The spec's template a concrete path belongs to."""
    return next((template for pattern, template in TEMPLATES if pattern.fullmatch(path)), None)


def sample_value(schema: dict[str, Any], text: str, offset: int) -> Any:
    """A valid value of `schema` unlike its default: `text` cut to fit for a string, the
    default (or 0) plus `offset` for an integer, within 32 bits (what every deployment takes)."""
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "string" in kinds:
        return text[: schema.get("maxLength", len(text))]
    if "integer" in kinds:
        base, highest = schema.get("default") or 0, min(schema.get("maximum", 2**31 - 1), 2**31 - 1)
        return max(schema.get("minimum", base), min(base + offset, highest))
    if "boolean" in kinds:
        return not schema.get("default", False)
    raise ValueError(f"no sample for a field of schema {schema}")
