"""Invalid input is refused with 400 and changes nothing; the JSON Schema reading of integers.

"Changes nothing" is checked after every refused request: the group's calendar ids
(`results=all`) and the full records of the suite's own calendars are as before.
"""

from __future__ import annotations

from typing import Any

from ..client import calendar_path, collection_path
from ..context import SuiteContext
from ..registry import rule

LAYER = "semantic"


def _refused(ctx: SuiteContext, attempts: list[tuple[str, Any, str | None]], target: int, what: str) -> None:
    """Send each (method, body, field) and expect 400, the field named (if given), nothing changed."""
    before = ctx.snapshot([target])
    for method, body, field in attempts:
        path = collection_path(ctx.group_id) if method == "POST" else calendar_path(ctx.group_id, target)
        if isinstance(body, bytes):
            exchange = ctx.api.request(method, path, body=body, content_type="application/json")
        else:
            exchange = ctx.api.request(method, path, json_body=body)
        ctx.expect_status(exchange, 400, what=f"{what} is answered 400")
        if field is not None:
            ctx.expect(
                exchange.is_json() and field in exchange.content.decode("utf-8", "replace"),
                f"the 400 answer is JSON naming the field `{field}`",
                expected=f"a JSON body that names {field!r}",
                exchange=exchange,
            )
        ctx.expect_unchanged(before, what, exchange)


@rule("invalid.rejected", layer=LAYER, writes=True)
def rejected(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    name = ctx.name("invalid")
    too_long = (name + "x" * 256)[:256]
    bad_fields: list[dict[str, Any]] = [
        {"sort": "12"},
        {"generate_interval": 1.5},
        {"mintime_rdv": True},
        {"maxrdv_period": "131400"},
        {"publicname": 5},
        {"city": ["Paris"]},
        {"calendarset_id": "x"},
        {"publicname": "p" * 256},
        {"address": "a" * 256},
        {"zipcode": "1" * 17},
        {"city": "c" * 65},
    ]
    attempts: list[tuple[str, Any, str | None]] = [
        ("POST", b'{"calendar": {"name": "' + name.encode() + b'"', None),
        ("POST", {"calendar": {"name": 123}}, None),
        ("POST", {"calendar": "not an object"}, None),
        ("POST", {"calendar": {"name": too_long}}, None),
        *[("POST", {"calendar": {"name": name, **bad}}, None) for bad in bad_fields],
        ("PUT", b'{"calendar": {"city": ', None),
        ("PUT", {"calendar": {"name": too_long}}, None),
        ("PUT", {"calendar": {"name": False}}, None),
        *[("PUT", {"calendar": bad}, None) for bad in bad_fields],
    ]
    _refused(ctx, attempts, target, "malformed JSON, a wrong type or a string over its limit")


@rule("invalid.rules", layer=LAYER, writes=True)
def rules(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    name = ctx.name("invalid-rule")
    attempts: list[tuple[str, Any, str | None]] = [
        ("POST", {"calendar": {"name": name, "colour": "red"}}, "colour"),
        ("POST", {"name": name}, "calendar"),
        ("POST", {"calendar": {"name": ""}}, "name"),
        ("POST", {"calendar": {"name": name, "mintime_rdv": -1}}, "mintime_rdv"),
        ("POST", {"calendar": {"name": name, "maxrdv_period": -1}}, "maxrdv_period"),
        ("POST", {"calendar": {"name": name, "mintime_annulation": -1}}, "mintime_annulation"),
        ("POST", {"calendar": {"name": name, "generate_interval": -1}}, "generate_interval"),
        ("POST", {"calendar": {"name": name, "deleted": "yes"}}, "deleted"),
        ("PUT", {"calendar": {"colour": "red"}}, "colour"),
        ("PUT", {"city": "Brest"}, "calendar"),
        ("PUT", {"calendar": {"name": ""}}, "name"),
        ("PUT", {"calendar": {"mintime_annulation": -5}}, "mintime_annulation"),
        ("PUT", {"calendar": {"generate_interval": -1}}, "generate_interval"),
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
    exchange = ctx.api.create(sent)
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
