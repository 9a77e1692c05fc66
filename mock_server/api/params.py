"""Query and path parameters: read from the raw request, coerced, validated by the spec."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from calendar_spec.like import LikePattern

from ..calendars.listing import Condition
from ..contract import FORM_TYPE, Contract, Operation, Parameter
from ..contract.problems import Problems, field_problems, summary
from ..errors import SECOND_QUESTION_MARK_HINT, BadRequest, NotFound

# Digits only, and few enough that int() stays cheap (it is quadratic in the digits, and
# Python refuses more than 4,300): a few microseconds at most. A longer number is refused.
MAX_DIGITS = 4000
_INTEGER = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}")
_OVERLONG_INTEGER = re.compile(rf"[+-]?[0-9]{{{MAX_DIGITS + 1},}}")
# A query integer written as an integral decimal (`results=25.0`): the integer, as JSON Schema
# reads 25.0 (and as a Rails deployment's to_i does); a client serialising a float sends it so.
_INTEGRAL_DECIMAL = re.compile(rf"([+-]?[0-9]{{1,{MAX_DIGITS}}})\.0{{1,16}}")
# No leading zeros: `conditions[00]` read as index 0 would replace a part of `conditions[0]` unseen.
_CONDITION_KEY = re.compile(r"conditions\[(0|[1-9][0-9]{0,5})\]\[(field|op|value)\]")
_ITEM_SUFFIX = re.compile(r"\[[0-9]+\]$")
_BOOLEAN_WORDS = {"true": True, "1": True, "false": False, "0": False}


def coerce(raw: str, schema: Mapping[str, Any], *, integral_decimals: bool = False) -> Any:
    """The typed value `raw` stands for under `schema`; left as text when it fits no type.
    With `integral_decimals` (the query), `25.0` is the integer 25."""
    for branch in schema.get("anyOf", ()):
        value = coerce(raw, branch, integral_decimals=integral_decimals)
        if value is not raw:
            return value
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.fullmatch(raw):
        return int(raw)
    if kind == "integer" and integral_decimals and (whole := _INTEGRAL_DECIMAL.fullmatch(raw)):
        return int(whole[1])
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def _problems(param: Parameter, value: Any) -> dict[str, list[str]]:
    return field_problems(param.validator.iter_errors(value), param.name)


def path_values(operation: Operation, raw: Mapping[str, str]) -> dict[str, Any]:
    """Path ids; one that is not a valid id answers 404, like an id that does not exist."""
    values = {}
    for param in operation.path_params:
        values[param.name] = value = coerce(raw[param.name], param.schema)
        problems = _problems(param, value)
        if problems:
            raise NotFound(summary(problems), problems)
    return values


def query_values(contract: Contract, operation: Operation, args: Mapping[str, Sequence[str]],
                 form: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The operation's declared query parameters, typed, with the spec's defaults filled in;
    its `conditions` (as `conditions`) when it takes them; every problem - with the query, the
    conditions and a form body's fields - reported in one 400.

    Keys the operation does not declare are ignored; a scalar key given twice is refused.
    """
    values, problems = parse_query(operation, args)
    if operation.has_conditions:
        values["conditions"], found = conditions(contract, args)
        problems.update(found)
    if form:
        problems.update(form_problems(contract, operation, form))
    if problems:
        raise query_error(problems, args)
    return {**operation.query_defaults, **values} if operation.query_defaults else values


def form_problems(contract: Contract, operation: Operation,
                  form: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """What is wrong with a form body: its fields under the spec's form schema, and a field it
    declares (or the apikey) given twice - as ambiguous as a repeated query key. Other keys are
    ignored."""
    validator = operation.body_validators[FORM_TYPE]
    problems = field_problems(validator.iter_errors({key: given[0] for key, given in form.items()}),
                              "body", nested_in_root=False)
    read = {*operation.form_fields, contract.apikey_name}
    problems.update({key: ["is given more than once"] for key in sorted(read) if len(form.get(key, ())) > 1})
    return problems


def parse_query(
    operation: Operation, args: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The typed values and, per parameter, what is wrong; repeated scalar keys are ambiguous."""
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for param in operation.query_params:
        given = args.get(param.name)
        if not given:
            continue
        if any(_OVERLONG_INTEGER.fullmatch(item) for item in given):
            problems[param.name] = [f"is a number of more than {MAX_DIGITS:,} digits"]
            continue
        if param.is_array:
            items = param.schema.get("items", {})
            value: Any = [coerce(item, items, integral_decimals=True) for item in given]
        elif len(given) > 1:
            problems[param.name] = ["is given more than once"]
            continue
        else:
            value = coerce(given[0], param.schema, integral_decimals=True)
        found = _problems(param, value)
        if found:
            problems.update(found)
        else:
            values[param.name] = value
    return values, problems


def query_error(problems: dict[str, list[str]], args: Mapping[str, Sequence[str]]) -> BadRequest:
    """One 400 for all `problems`, with a hint when a refused value holds a second '?'."""
    message = summary(problems)
    # A problem names its parameter, or an item of it (`intervention_ids[][3]`).
    named = {_ITEM_SUFFIX.sub("", name) for name in problems} | set(problems)
    if any("?" in item for key, given in args.items() if key in named for item in given):
        message += SECOND_QUESTION_MARK_HINT
    return BadRequest(message, problems)


def conditions(
    contract: Contract, args: Mapping[str, Sequence[str]]
) -> tuple[tuple[Condition, ...], dict[str, list[str]]]:
    """`conditions[i][field|op|value]`, numbered 0, 1, 2 ... with no gap, each one complete.

    Returns the parsed conditions and, keyed by parameter, every problem found. Keys that
    merely start with "conditions" (`conditions_x`) are unknown keys, ignored like others.
    """
    parts: dict[int, dict[str, str]] = {}
    problems = Problems()
    for key, given in args.items():
        if key != "conditions" and not key.startswith("conditions["):
            continue
        match = _CONDITION_KEY.fullmatch(key)
        if match is None:
            problems.add({key: ["is not of the form conditions[i][field|op|value] (i: 0, 1, 2 ..., "
                                "no leading zero)"]})
        elif len(given) > 1:
            problems.add({key: ["is given more than once"]})
        else:
            parts.setdefault(int(match[1]), {})[match[2]] = given[0]
    if sorted(parts) != list(range(len(parts))):
        problems.add({"conditions": ["must be numbered 0, 1, 2 ... without gaps"]})
    if problems:
        return (), problems.listed()
    parsed = []
    for index in sorted(parts):
        if problems.full and not contract.condition_validator.is_valid(parts[index]):
            problems.unlisted += 1  # found at once; explaining it would cost more than it is worth
            continue
        condition, found = _condition(contract, index, parts[index])
        problems.add(found)
        if condition is not None:
            parsed.append(condition)
    return tuple(parsed), problems.listed()


def _condition(
    contract: Contract, index: int, raw: dict[str, str]
) -> tuple[Condition | None, dict[str, list[str]]]:
    name = f"conditions[{index}]"
    problems = field_problems(contract.condition_validator.iter_errors(raw), name)
    if problems:
        return None, {
            f"{name}[{key.removeprefix(name + '.')}]" if key.startswith(name + ".") else key: value
            for key, value in problems.items()
        }
    field, op, text = raw["field"], raw["op"], raw["value"]
    kind = contract.field_types[field]
    try:
        if op in ("like", "not like"):
            return Condition(field, op, LikePattern(text), text), {}
        if op in ("in", "not in"):
            items = frozenset(_typed(item.strip(), kind) for item in text.split(","))
            return Condition(field, op, items, text), {}
        return Condition(field, op, _typed(text, kind), text), {}
    except ValueError as error:
        return None, {f"{name}[value]": [str(error)]}


def _typed(text: str, kind: str) -> Any:
    if kind == "integer":
        if not _INTEGER.fullmatch(text):
            raise ValueError("must be an integer for this field")
        return int(text)
    if kind == "boolean":
        if text.lower() not in _BOOLEAN_WORDS:
            raise ValueError("must be true, false, 1 or 0 for this field")
        return _BOOLEAN_WORDS[text.lower()]
    return text
