"""Create: 201 with the new calendar, defaults (read from the spec), `sort` assigned, refusals."""

from __future__ import annotations

import functools
from typing import Any

import calendar_spec
from calendar_spec.walk import merged

from ...context import SuiteContext, short
from ...model import Skip
from ...registry import rule
from ...unchanged import expect_unchanged, snapshot

LAYER = "semantic"
MAX_SORT = 2147483647
ELSEWHERE_ABOVE = 100  # how far above this group's largest sort another group's is set


@functools.cache
def spec_defaults(level: str) -> dict[str, Any]:
    """The `default` of each Calendar field in the spec at `level`."""
    spec = calendar_spec.load_spec(level)
    defaults = {}
    for name, prop in merged(spec, {"$ref": "#/components/schemas/Calendar"})["properties"].items():
        node = merged(spec, prop)
        if "default" in node:
            defaults[name] = node["default"]
    return defaults


def documented_defaults() -> dict[str, Any]:
    """create.defaults (DOC): the defaults the documented view of the spec keeps."""
    return spec_defaults("documented")


def assumed_defaults() -> dict[str, Any]:
    """create.defaults-assumed (ASM): the defaults only the strict spec states."""
    documented = documented_defaults()
    return {k: v for k, v in spec_defaults("strict").items() if k not in documented}


def _expect_values(
    ctx: SuiteContext, body: dict[str, Any], wanted: dict[str, Any], what: str, exchange
) -> None:
    differs = ctx.differences(wanted, body)
    ctx.expect(
        not differs,
        what,
        expected=short(wanted, 400),
        actual=f"(expected, got): {short(differs, 400)}",
        exchange=exchange,
    )


@rule("create.created", layer=LAYER, writes=True)
def created(ctx: SuiteContext) -> None:
    fields = ctx.full_fields("created")
    exchange = ctx.create_own(fields)
    ctx.expect_status(exchange, 201, what="POST answers 201 Created")
    body = ctx.calendar_body(exchange)
    ctx.expect(
        body["id"] not in {r["id"] for r in ctx.baseline},
        "the created calendar has a new id",
        expected="an id not listed before",
        actual=f"id {body['id']}",
        exchange=exchange,
    )
    _expect_values(
        ctx,
        body,
        {**fields, "group_id": ctx.group_id},
        "the created calendar has the values sent and the path's group",
        exchange,
    )
    shown = ctx.api.show(body["id"])
    ctx.expect_status(shown, 200, what="show(id) of the created calendar answers 200")
    _expect_values(ctx, ctx.calendar_body(shown), body, "show(id) returns the created calendar", shown)
    listed = {r["id"]: r for r in ctx.records()}
    ctx.expect(
        body["id"] in listed,
        "the created calendar is listed",
        expected=f"id {body['id']} in the list (every page)",
        actual=f"{len(listed)} ids listed",
        exchange=ctx.last_exchange(),
    )


@rule("create.defaults", layer=LAYER, writes=True)
def defaults(ctx: SuiteContext) -> None:
    _check_defaults(ctx, documented_defaults(), "omitted fields take their documented defaults")


@rule("create.defaults-assumed", layer=LAYER, writes=True)
def defaults_assumed(ctx: SuiteContext) -> None:
    """Omitted optional text is "" or null: the kit answers null, CONTRACT.md allows either."""
    wanted = assumed_defaults()
    exchange = ctx.create_own({"name": ctx.name("defaults")})
    ctx.expect_2xx(exchange, "POST with only a name succeeds")
    body = ctx.calendar_body(exchange)
    differs = {
        key: (value, body.get(key, "<missing>"))
        for key, value in wanted.items()
        if body.get(key, "<missing>") != value
        and not (value is None and key not in ("calendarset_id",) and body.get(key) == "")
    }
    ctx.expect(not differs, "omitted fields take the kit's defaults", expected=short(wanted, 400),
               actual=f"(expected, got): {short(differs, 400)}", exchange=exchange)


def _check_defaults(ctx: SuiteContext, wanted: dict[str, Any], what: str) -> None:
    exchange = ctx.create_own({"name": ctx.name("defaults")})
    ctx.expect_2xx(exchange, "POST with only a name succeeds")
    body = ctx.calendar_body(exchange)
    _expect_values(ctx, body, wanted, f"{what} (in the POST answer)", exchange)
    shown = ctx.api.show(body["id"])
    ctx.expect_status(shown, 200)
    _expect_values(ctx, ctx.calendar_body(shown), wanted, f"{what} (as shown afterwards)", shown)


@rule("create.sort-assigned", layer=LAYER, writes=True, retry=True, alone=True)
def sort_assigned(ctx: SuiteContext) -> None:
    sorts = [r["sort"] for r in ctx.records() if isinstance(r.get("sort"), int)]
    largest = max(sorts, default=0)
    if largest >= MAX_SORT - ELSEWHERE_ABOVE:
        raise Skip(f"the group's largest sort is {largest}: +1 would leave the 32-bit range")
    created = [_create_without_sort(ctx, largest + step) for step in (1, 2)]
    # "Largest" is the group's largest now, not the largest ever seen: lowered, then raised by PUT.
    lowered = ctx.api.update(created[1], {"sort": largest})
    ctx.expect_2xx(lowered, "PUT of a lower sort succeeds")
    _create_without_sort(ctx, largest + 2, "after the largest sort was lowered by PUT")
    raised = ctx.api.update(created[0], {"sort": largest + 10})
    ctx.expect_2xx(raised, "PUT of a higher sort succeeds")
    _create_without_sort(ctx, largest + 11, "after a sort was raised by PUT")
    if ctx.other_api is not None:
        # "In the group": a larger sort in another group (one of ours there) counts for nothing.
        try:
            elsewhere = ctx.new_calendar("sort-elsewhere", {"sort": largest + ELSEWHERE_ABOVE},
                                         api=ctx.other_api)
        except Skip:  # the other group's footprint bound: what came before stays checked
            return
        ctx.expect(elsewhere.get("sort") == largest + ELSEWHERE_ABOVE,
                   f"a calendar of group {ctx.other_api.group_id} takes the sort it was given",
                   expected=f"sort {largest + ELSEWHERE_ABOVE}", actual=f"sort {elsewhere.get('sort')!r}")
        _create_without_sort(ctx, largest + 12, f"with sort {largest + ELSEWHERE_ABOVE} in group "
                                                f"{ctx.other_api.group_id}, which is not this group's")


def _create_without_sort(ctx: SuiteContext, wanted: int, when: str = "") -> int:
    exchange = ctx.create_own({"name": ctx.name("sort")})
    ctx.expect_2xx(exchange, "POST without sort succeeds")
    body = ctx.calendar_body(exchange)
    ctx.expect(
        body.get("sort") == wanted,
        "an omitted sort becomes the group's largest sort + 1" + (f" ({when})" if when else ""),
        expected=f"sort {wanted}",
        actual=f"sort {body.get('sort')!r}",
        exchange=exchange,
    )
    return body["id"]


@rule("create.name-required", layer=LAYER, writes=True)
def name_required(ctx: SuiteContext) -> None:
    with ctx.alone():  # the comparison sees no other check's write
        before = snapshot(ctx)
        for fields in ({"publicname": ctx.name("no-name")}, {}):
            exchange = ctx.api.create(fields)
            ctx.expect_status(exchange, 400, what="a body without name is refused with 400")
            expect_unchanged(ctx, before, "a POST without name", exchange)


@rule("create.group-id-match", layer=LAYER, writes=True)
def group_id_match(ctx: SuiteContext) -> None:
    with ctx.alone():  # the comparison sees no other check's write
        before = snapshot(ctx)
        others = {ctx.group_id + 1, ctx.options.other_group_id or ctx.group_id + 1}
        for other in sorted(others - {ctx.group_id}):
            exchange = ctx.api.create({"name": ctx.name("group-mismatch"), "group_id": other})
            ctx.expect(
                400 <= exchange.status < 500,
                "a body group_id other than the path's is refused",
                expected="a 4xx status",
                exchange=exchange,
            )
            expect_unchanged(ctx, before, "a POST whose group_id differs from the path's", exchange)
