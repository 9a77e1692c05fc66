"""Invalid input is refused with 400 and changes nothing; the JSON Schema reading of integers.

"Changes nothing" is checked after the refused requests, sent together: the group's calendar ids
(`results=all`) and the full records of the suite's own calendars are as before.
"""

from __future__ import annotations

import functools
from typing import Any

from calendar_spec.walk import merged

from ...client import calendar_path, collection_path
from ...context import SuiteContext
from ...http import Exchange
from ...registry import rule
from ...spec_facts import OPERATIONS, SPEC
from ...unchanged import refused_together

LAYER = "semantic"
NAMES_THE_FIELD = "invalid.rules"  # the ASM rule that says a 400 is JSON naming the field


def _refused(ctx: SuiteContext, attempts: list[tuple[str, Any, tuple[str, ...]]], target: int,
             what: str) -> None:
    """Send each (method, body, fields) and expect 400, nothing changed, and - where CONTRACT.md's
    "a JSON body naming the field" holds (ASM: invalid.rules, whose failure it is) - the answer
    naming one of `fields` (a request with several problems may be answered about any of them).
    The attempts go out together (unchanged.refused_together) and are judged in order."""

    def send(method: str, body: Any) -> Exchange:
        path = collection_path(ctx.group_id) if method == "POST" else calendar_path(ctx.group_id, target)
        if isinstance(body, bytes):
            return ctx.api.request(method, path, body=body, content_type="application/json")
        return ctx.api.request(method, path, json_body=body)

    def judge(position: int, exchange: Exchange) -> None:
        ctx.expect_status(exchange, 400, what=f"{what} is answered 400")
        fields = attempts[position][2]
        if fields and ctx.applies(NAMES_THE_FIELD):
            text = exchange.content.decode("utf-8", "replace")
            ctx.expect(
                exchange.is_json() and any(field in text for field in fields),
                f"the 400 answer is JSON naming the field (one of {', '.join(fields)})",
                expected=f"a JSON body that names one of {list(fields)}",
                exchange=exchange,
                rule=NAMES_THE_FIELD,
            )

    refused_together(ctx, [functools.partial(send, method, body) for method, body, _ in attempts], what,
                     judge, [target])


@rule("invalid.rejected", layer=LAYER, writes=True)
def rejected(ctx: SuiteContext) -> None:
    """What no reading can take: malformed JSON, an array or object where a scalar belongs, a
    `calendar` that is not an object, a string over its documented limit."""
    target = ctx.own_calendar()["id"]
    name = ctx.name("invalid")
    too_long = (name + "x" * 256)[:256]
    bad_fields: list[dict[str, Any]] = [
        {"sort": [12]},
        {"generate_interval": {"minutes": 15}},
        {"city": ["Paris"]},
        {"publicname": {"text": "x"}},
        {"zipcode": {}},
        {"publicname": "p" * 256},
        {"address": "a" * 256},
        {"zipcode": "1" * 17},
        {"city": "c" * 65},
    ]
    attempts: list[tuple[str, Any, tuple[str, ...]]] = [
        ("POST", b'{"calendar": {"name": "' + name.encode() + b'"', ()),
        ("POST", {"calendar": "not an object"}, ("calendar",)),
        ("POST", {"calendar": {"name": too_long}}, ("name",)),
        ("POST", {"calendar": {"name": [name]}}, ("name",)),
        ("POST", {"calendar": {"name": {}}}, ("name",)),
        *[("POST", {"calendar": {"name": name, **bad}}, tuple(bad)) for bad in bad_fields],
        ("PUT", b'{"calendar": {"city": ', ()),
        ("PUT", {"calendar": {"name": too_long}}, ("name",)),
        ("PUT", {"calendar": ["city"]}, ("calendar",)),
        *[("PUT", {"calendar": bad}, tuple(bad)) for bad in bad_fields],
        # a body that is not an object at all: no `calendar` can be read from it
        ("POST", [{"calendar": {"name": name}}], ()),
        ("POST", b'"' + name.encode() + b'"', ()),
        ("PUT", b"12", ()),
        ("PUT", b"null", ()),
    ]
    _refused(ctx, attempts, target, "malformed JSON, a value no reading takes or a string over its limit")


# `conditions` entries no reading can take: an operator S4 does not list, an entry without its
# operator, an operator without its field; and more of them, or of keys not of the form
# `conditions[i][field|op|value]`, than an error body would list one by one.
ODD_CONDITIONS: list[list[tuple[str, str]]] = [
    [("conditions[0][field]", "name"), ("conditions[0][op]", "resembles"), ("conditions[0][value]", "x")],
    [("conditions[0][field]", "name"), ("conditions[0][value]", "x")],
    [("conditions[0][op]", "="), ("conditions[0][value]", "x")],
    [(f"conditions[{index}][{part}]", value) for index in range(40)
     for part, value in (("field", "name"), ("op", "resembles"), ("value", "x"))],
    [(f"conditions[{index}]x", "name") for index in range(40)],
]


@rule("invalid.query", layer=LAYER)
def odd_conditions(ctx: SuiteContext) -> None:
    """Invalid input is answered 400 (S5); the docs list the operators (S4) but not what another
    one is, so a refusal (4xx) and an entry ignored (2xx) both pass; a 5xx does not."""
    for params in ODD_CONDITIONS:
        exchange = ctx.api.list(params)
        ctx.expect(exchange.status < 500,
                   "a conditions entry with an unlisted operator, or missing its field or operator, "
                   "or many such entries or malformed keys, are refused or ignored, not a server error",
                   expected="4xx, or 2xx with the entry ignored", actual=f"{exchange.status}",
                   exchange=exchange)


def _bad_values(schema: dict[str, Any]) -> list[str]:
    """Query values the parameter's schema refuses: below an integer's minimum, not a number,
    not one of an enum's choices; nothing for a free string."""
    kinds = [merged(SPEC, branch) for branch in schema.get("anyOf", [schema])]
    bad = []
    for kind in kinds:
        kind = merged(SPEC, kind.get("items", kind)) if kind.get("type") == "array" else kind
        if kind.get("type") == "integer":
            bad += ([str(kind["minimum"] - 1)] if "minimum" in kind else []) + ["abc"]
        elif "enum" in kind:
            bad.append("zz-not-a-choice")
    return [value for value in dict.fromkeys(bad)
            if not any(value == branch.get("const") for branch in kinds)]


BAD_LIST_PARAMETERS = [(merged(SPEC, parameter)["name"], value)
                       for parameter in OPERATIONS["listCalendars"][2]["parameters"]
                       if merged(SPEC, parameter)["in"] == "query"
                       for value in _bad_values(merged(SPEC, merged(SPEC, parameter)["schema"]))]


@rule("invalid.parameters-refused", layer=LAYER)
def bad_parameters(ctx: SuiteContext) -> None:
    """A list parameter with a value its schema refuses, alone on the request, is refused (4xx):
    not read as the default, as 0 or as nothing (how is undocumented: ASM)."""
    for name, value in BAD_LIST_PARAMETERS:
        exchange = ctx.api.list([(name, value)])
        ctx.expect(400 <= exchange.status < 500, f"{name}={value!r} is refused",
                   expected="a 4xx", actual=exchange.summary(), exchange=exchange)


@rule("invalid.strict-types", layer=LAYER, writes=True)
def strict_types(ctx: SuiteContext) -> None:
    """JSON Schema's reading of types (ASM): a deployment that coerces (Rails reads "12" as 12)
    keeps the documented contract, so this holds at strict level only."""
    target = ctx.own_calendar()["id"]
    name = ctx.name("strict-types")
    bad_fields: list[dict[str, Any]] = [
        {"sort": "12"},
        {"generate_interval": 1.5},
        {"mintime_rdv": True},
        {"maxrdv_period": "131400"},
        {"publicname": 5},
        {"calendarset_id": "x"},
    ]
    attempts: list[tuple[str, Any, tuple[str, ...]]] = [
        ("POST", {"calendar": {"name": 123}}, ("name",)),
        *[("POST", {"calendar": {"name": name, **bad}}, tuple(bad)) for bad in bad_fields],
        ("PUT", {"calendar": {"name": False}}, ("name",)),
        *[("PUT", {"calendar": bad}, tuple(bad)) for bad in bad_fields],
    ]
    _refused(ctx, attempts, target, "1.5, \"12\" or true for an integer, a number for a string")


@rule("invalid.rules", layer=LAYER, writes=True)
def rules(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    name = ctx.name("invalid-rule")
    attempts: list[tuple[str, Any, tuple[str, ...]]] = [
        ("POST", {"calendar": {"name": name, "colour": "red"}}, ("colour",)),
        ("POST", {"name": name}, ("calendar", "name")),
        ("POST", {"calendar": {"name": ""}}, ("name",)),
        ("POST", {"calendar": {"name": name, "mintime_rdv": -1}}, ("mintime_rdv",)),
        ("POST", {"calendar": {"name": name, "maxrdv_period": -1}}, ("maxrdv_period",)),
        ("POST", {"calendar": {"name": name, "mintime_annulation": -1}}, ("mintime_annulation",)),
        ("POST", {"calendar": {"name": name, "generate_interval": -1}}, ("generate_interval",)),
        ("POST", {"calendar": {"name": name, "deleted": "yes"}}, ("deleted",)),
        ("PUT", {"calendar": {"colour": "red"}}, ("colour",)),
        ("PUT", {"city": "Brest"}, ("calendar", "city")),
        ("PUT", {"calendar": {"name": ""}}, ("name",)),
        ("PUT", {"calendar": {"mintime_annulation": -5}}, ("mintime_annulation",)),
        ("PUT", {"calendar": {"generate_interval": -1}}, ("generate_interval",)),
    ]
    _refused(ctx, attempts, target, "an unknown key, a missing wrapper, an empty name or a negative timing")


@rule("invalid.integral-float", layer=LAYER, writes=True)
def integral_float(ctx: SuiteContext) -> None:
    stamp = "2001-02-03 04:05:06"
    sent = {
        "name": ctx.name("integral"),
        "generate_interval": 20.0,
        "mintime_rdv": 0,
        "maxrdv_period": 0,
        "mintime_annulation": 0,
        "id": 987654321,
        "created_at": stamp,
        "updated_at": stamp,
    }
    exchange = ctx.create_own(sent)
    ctx.expect_status(
        exchange,
        201,
        what="20.0 is the integer 20, timing values may be 0, read-only keys "
        "are ignored: the POST is accepted",
    )
    body = ctx.calendar_body(exchange)
    wanted = {"generate_interval": 20, "mintime_rdv": 0, "maxrdv_period": 0, "mintime_annulation": 0}
    ctx.expect(
        all(body.get(k) == v for k, v in wanted.items()),
        "the values are stored as integers",
        expected=str(wanted),
        exchange=exchange,
    )
    ctx.expect(
        body.get("id") != 987654321 and body.get("created_at") != stamp,
        "id and created_at in a body are ignored",
        expected=f"a new id and a fresh created_at, not 987654321 / {stamp}",
        exchange=exchange,
    )
    target = body["id"]
    exchange = ctx.api.update(target, {"sort": 7.0, "id": target + 1, "updated_at": stamp})
    ctx.expect_status(exchange, 200, what="PUT with sort 7.0 and read-only keys is accepted")
    body = ctx.calendar_body(exchange)
    ctx.expect(
        body.get("sort") == 7 and body.get("id") == target,
        "sort 7.0 is stored as 7; id is ignored",
        expected=f"sort 7, id {target}",
        exchange=exchange,
    )
    # the create sent 0 for three timing fields; generate_interval 0 too (a 0-minute interval
    # refused as "must be positive" once went unseen)
    exchange = ctx.api.update(target, {"generate_interval": 0})
    ctx.expect_status(exchange, 200, what="PUT with generate_interval 0 (timing values may be 0) is accepted")
    ctx.expect(
        ctx.calendar_body(exchange).get("generate_interval") == 0,
        "generate_interval 0 is stored as 0",
        expected="generate_interval 0",
        exchange=exchange,
    )
