"""Query and path parameters: read from the raw request, coerced, validated by the spec."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .contract import Contract, Operation, Parameter
from .errors import BadRequest, NotFound
from .listing import Condition, ListQuery, like_pattern
from .problems import field_problems, summary

# Digits only, and few enough that int() stays cheap: longer numbers are reported as not integers.
_INTEGER = re.compile(r"[+-]?[0-9]{1,40}")
_CONDITION_KEY = re.compile(r"conditions\[([0-9]{1,6})\]\[(field|op|value)\]")
_BOOLEAN_WORDS = {"true": True, "1": True, "false": False, "0": False}


def coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    """The typed value `raw` stands for under `schema`; left as text when it fits no type."""
    for branch in schema.get("anyOf", ()):
        value = coerce(raw, branch)
        if value is not raw:
            return value
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.fullmatch(raw):
        return int(raw)
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _validated(param: Parameter, value: Any, error: type[BadRequest] | type[NotFound]) -> Any:
    problems = field_problems(param.validator.iter_errors(value), param.name)
    if problems:
        raise error(summary(problems), problems)
    return value


def path_values(operation: Operation, raw: Mapping[str, str]) -> dict[str, Any]:
    """Path ids; one that is not a valid id answers 404, like an id that does not exist."""
    values = {}
    for param in operation.path_params:
        values[param.name] = _validated(param, coerce(raw[param.name], param.schema), NotFound)
    return values


def query_values(operation: Operation, args: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Declared query parameters, typed; repeated scalar keys are refused as ambiguous."""
    values: dict[str, Any] = {}
    for param in operation.query_params:
        given = args.get(param.name)
        if not given:
            continue
        if param.is_array:
            items = param.schema.get("items", {})
            value: Any = [coerce(item, items) for item in given]
        elif len(given) > 1:
            raise BadRequest.field(param.name, "is given more than once")
        else:
            value = coerce(given[0], param.schema)
        try:
            values[param.name] = _validated(param, value, BadRequest)
        except BadRequest as error:
            if any("?" in item for item in given):
                error.message += " (the query has a second '?': separate parameters with '&')"
            raise
    return values


def list_query(
    contract: Contract, operation: Operation, args: Mapping[str, Sequence[str]]
) -> ListQuery:
    """The list operation's query: declared parameters (spec defaults filled in) and conditions."""
    defaults = {p.name: p.schema["default"] for p in operation.query_params if "default" in p.schema}
    values = {**defaults, **query_values(operation, args)}
    results = values.get("results")
    return ListQuery(
        intervention_ids=tuple(values.get("intervention_ids[]", ())),
        calendarset_ids=tuple(values.get("calendarset_ids[]", ())),
        results=None if results == "all" else results,
        start_index=values.get("startIndex", 0),
        sort=values.get("sort"),
        dir=values.get("dir"),
        search=values.get("search"),
        conditions=conditions(contract, args),
    )


def conditions(contract: Contract, args: Mapping[str, Sequence[str]]) -> tuple[Condition, ...]:
    """`conditions[i][field|op|value]`, numbered 0, 1, 2 ... with no gap, each one complete."""
    parts: dict[int, dict[str, str]] = {}
    for key, given in args.items():
        if not key.startswith("conditions"):
            continue
        match = _CONDITION_KEY.fullmatch(key)
        if match is None:
            raise BadRequest.field(key, "is not of the form conditions[i][field|op|value]")
        if len(given) > 1:
            raise BadRequest.field(key, "is given more than once")
        parts.setdefault(int(match[1]), {})[match[2]] = given[0]
    if not parts:
        return ()
    limit = contract.limits.get("max-conditions", 50)
    if len(parts) > limit:
        raise BadRequest.field("conditions", f"has more than {limit} conditions")
    if sorted(parts) != list(range(len(parts))):
        raise BadRequest.field("conditions", "must be numbered 0, 1, 2 ... without gaps")
    return tuple(_condition(contract, index, parts[index]) for index in sorted(parts))


def _condition(contract: Contract, index: int, raw: dict[str, str]) -> Condition:
    name = f"conditions[{index}]"
    problems = field_problems(contract.condition_validator.iter_errors(raw), name)
    if problems:
        renamed = {
            f"{name}[{key.removeprefix(name + '.')}]" if key.startswith(name + ".") else key: value
            for key, value in problems.items()
        }
        raise BadRequest(summary(renamed), renamed)
    field, op, text = raw["field"], raw["op"], raw["value"]
    kind = contract.field_types[field]
    where = f"{name}[value]"
    if op in ("like", "not like"):
        return Condition(field, op, like_pattern(text))
    if op in ("in", "not in"):
        return Condition(field, op, tuple(_typed(item.strip(), kind, where) for item in text.split(",")))
    return Condition(field, op, _typed(text, kind, where))


def _typed(text: str, kind: str, where: str) -> Any:
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise BadRequest.field(where, "must be an integer for this field")
        return int(text)
    if kind == "boolean":
        if text.lower() not in _BOOLEAN_WORDS:
            raise BadRequest.field(where, "must be true, false, 1 or 0 for this field")
        return _BOOLEAN_WORDS[text.lower()]
    return text
