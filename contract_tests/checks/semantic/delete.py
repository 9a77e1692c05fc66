"""Delete is soft: the calendar stays, `deleted` true; restore by PUT `deleted: false`."""

from __future__ import annotations

from typing import Any

from ...context import SuiteContext, short
from ...registry import rule

LAYER = "semantic"
MOVING = ("deleted", "updated_at")  # what a delete or restore may change


def _same_except(
    ctx: SuiteContext, before: dict[str, Any], after: dict[str, Any], what: str, exchange
) -> None:
    differs = ctx.differences(before, after, ignore=MOVING)
    ctx.expect(
        not differs,
        what,
        expected="every other field as before",
        actual=f"(before, after): {short(differs, 400)}",
        exchange=exchange,
    )


@rule("delete.soft", layer=LAYER, writes=True)
def soft(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("delete-soft", ctx.full_fields("delete-soft"))
    before = ctx.show_body(calendar["id"])
    deleted = ctx.api.delete(calendar["id"])
    ctx.expect_2xx(deleted, "DELETE of our calendar succeeds")
    exchange = ctx.api.show(calendar["id"])
    ctx.expect_status(exchange, 200, what="after DELETE the calendar still exists (show answers 200)")
    after = ctx.expect_deleted(exchange, True, "after DELETE the calendar shows deleted true")
    _same_except(ctx, before, after, "DELETE changes nothing else of the calendar", exchange)


@rule("delete.status-200", layer=LAYER, writes=True)
def status_200(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("delete-status")
    ctx.expect_status(ctx.api.delete(calendar["id"]), 200, what="a successful DELETE answers 200")


@rule("delete.body", layer=LAYER, writes=True)
def body(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("delete-body")
    exchange = ctx.api.delete(calendar["id"])
    ctx.expect_2xx(exchange)
    answered = ctx.calendar_body(exchange, "DELETE answers the calendar")
    ctx.expect(
        answered.get("id") == calendar["id"] and ctx.deleted(answered) is True,
        "DELETE answers the calendar with deleted true",
        expected=f"id {calendar['id']}, deleted true",
        exchange=exchange,
    )


@rule("delete.idempotent", layer=LAYER, writes=True)
def idempotent(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("delete-twice")
    ctx.expect_2xx(ctx.api.delete(calendar["id"]))
    again = ctx.api.delete(calendar["id"])
    ctx.expect_status(again, 200, what="DELETE of a deleted calendar answers 200 again")
    ctx.expect(
        ctx.deleted(ctx.show_body(calendar["id"])) is True, "it stays deleted", expected="deleted true"
    )


@rule("restore.put-deleted-false", layer=LAYER, writes=True)
def restore(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("restore", ctx.full_fields("restore"))
    before = ctx.show_body(calendar["id"])
    # Timestamps have one-second resolution: a delete or restore in the create's second would
    # hide one that moves created_at, and whether it did would depend on the run's speed.
    ctx.wait_after_change(calendar["id"])
    ctx.expect_2xx(ctx.api.delete(calendar["id"]), "DELETE of our calendar succeeds")
    exchange = ctx.api.update(calendar["id"], {"deleted": False})
    ctx.expect_status(exchange, 200, what="PUT {calendar: {deleted: false}} answers 200")
    ctx.expect_deleted(exchange, False, "the PUT answer shows deleted false")
    shown = ctx.api.show(calendar["id"])
    ctx.expect_status(shown, 200)
    after = ctx.expect_deleted(shown, False, "after the restore the calendar shows deleted false")
    _same_except(ctx, before, after, "delete then restore gives the calendar back as it was", shown)


@rule("restore.put-deleted-true", layer=LAYER, writes=True)
def put_deleted_true(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("put-deleted")
    exchange = ctx.api.update(calendar["id"], {"deleted": True})
    ctx.expect_status(exchange, 200, what="PUT {calendar: {deleted: true}} answers 200")
    shown = ctx.api.show(calendar["id"])
    ctx.expect_status(shown, 200, what="the calendar still exists")
    ctx.expect_deleted(shown, True, "PUT deleted true soft-deletes")
