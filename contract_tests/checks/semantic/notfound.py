"""Unknown calendar ids and unknown groups answer 404 and change nothing."""

from __future__ import annotations

import functools

from ...context import UNKNOWN_ID, SuiteContext
from ...registry import rule
from ...unchanged import refused_together

LAYER = "semantic"


@rule("notfound.unknown", layer=LAYER)
def unknown_reads(ctx: SuiteContext) -> None:
    ctx.expect_status(ctx.api.show(UNKNOWN_ID), 404, what="an unknown calendar id answers 404")
    ctx.expect_status(ctx.api.list(group=UNKNOWN_ID), 404, what="an unknown group answers 404")
    ctx.expect_status(
        ctx.api.show(ctx.some_calendar_id(), group=UNKNOWN_ID),
        404,
        what="a calendar under an unknown group answers 404",
    )


@rule("notfound.unknown", layer=LAYER, writes=True)
def unknown_writes(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    name = ctx.name("unknown-group")
    attempts = [
        functools.partial(ctx.api.update, UNKNOWN_ID, {"city": "Nowhere"}),
        functools.partial(ctx.api.delete, UNKNOWN_ID),
        functools.partial(ctx.api.create, {"name": name}, group=UNKNOWN_ID),
        functools.partial(ctx.api.update, target, {"city": "Nowhere"}, group=UNKNOWN_ID),
        functools.partial(ctx.api.delete, target, group=UNKNOWN_ID),
    ]
    refused_together(
        ctx, attempts, "requests to unknown ids and groups",
        lambda _, exchange: ctx.expect_status(exchange, 404,
                                              what="an unknown calendar id or group answers 404"),
        [target])
