"""Show: the bare calendar, equal to its record in the list, also when soft-deleted."""

from __future__ import annotations

import calendar_spec

from ...context import SuiteContext, short
from ...footprint import own_ids
from ...model import READ_ONLY, Skip
from ...registry import rule

LAYER = "semantic"
MAX_SHOWN = 25


def _sample(records: list[dict], limit: int = MAX_SHOWN) -> list[dict]:
    if len(records) <= limit:
        return records
    step = len(records) / limit
    return [records[int(i * step)] for i in range(limit)]


@rule("show.calendar", layer=LAYER, retry=True)
def show_matches_list(ctx: SuiteContext) -> None:
    records = ctx.records()
    if not records and ctx.read_only:
        raise Skip("the group has no calendar to show", why=READ_ONLY)
    if not records:
        ctx.own_calendar()
        records = ctx.records()
    for record in _sample(records):
        exchange = ctx.api.show(record["id"])
        ctx.expect_status(exchange, 200, what=f"GET of listed calendar {record['id']} answers 200")
        body = ctx.calendar_body(exchange)
        ctx.expect(
            "calendar" not in body or "id" in body,
            "the calendar is bare, not wrapped",
            expected="a bare calendar",
            exchange=exchange,
        )
        differs = ctx.differences(record, body)
        ctx.expect(
            not differs,
            f"calendar {record['id']} shows as it is listed",
            expected="every listed field with the same value",
            actual=f"(listed, shown): {short(differs, 400)}",
            exchange=exchange,
        )


@rule("show.deleted", layer=LAYER)
def show_deleted_listed(ctx: SuiteContext) -> None:
    # Not the suite's own of earlier runs: this run may restore them (footprint.py).
    ours = set(own_ids(ctx.baseline))
    deleted = [r for r in ctx.baseline if ctx.deleted(r) is True and r["id"] not in ours][:5]
    if not deleted:
        raise Skip("no soft-deleted calendar listed to show")
    for record in deleted:
        exchange = ctx.api.show(record["id"])
        ctx.expect_status(exchange, 200, what="a soft-deleted calendar still answers 200")
        ctx.expect_deleted(exchange, True, "it shows deleted true")


@rule("show.deleted", layer=LAYER, writes=True)
def show_deleted_own(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("show-deleted")
    ctx.expect_2xx(ctx.api.delete(calendar["id"]), "DELETE of our calendar succeeds")
    exchange = ctx.api.show(calendar["id"])
    ctx.expect_status(exchange, 200, what="a soft-deleted calendar still answers 200")
    ctx.expect_deleted(exchange, True, "it shows deleted true")


@rule("show.assumed-representation", layer=LAYER, retry=True)
def assumed_representation(ctx: SuiteContext) -> None:
    """The fields the docs name but no documented answer shows are there, `deleted` a boolean."""
    assumed = _assumed_fields()
    records = ctx.records()
    if not records and not ctx.read_only:
        ctx.own_calendar()
        records = ctx.records()
    for record in _sample(records):
        exchange = ctx.api.show(record["id"])
        ctx.expect_status(exchange, 200)
        for what, calendar in (("listed", record), ("shown", ctx.calendar_body(exchange))):
            missing = sorted(field for field in assumed if field not in calendar)
            ctx.expect(
                not missing and isinstance(calendar.get("deleted"), bool),
                f"calendar {record['id']} ({what}) carries every field the docs name, deleted a boolean",
                expected=f"fields {sorted(assumed)}, deleted true or false",
                actual=f"missing {missing}, deleted {calendar.get('deleted')!r}",
                exchange=exchange,
            )


def _assumed_fields() -> set[str]:
    """The Calendar fields whose presence only the strict spec requires (the assumed allOf)."""
    calendar = calendar_spec.load_spec("strict")["components"]["schemas"]["Calendar"]
    return {field for member in calendar.get("allOf", []) for field in member.get("required", [])}
