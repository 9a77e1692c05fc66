"""Methods a path does not serve answer 405 (and change nothing)."""

from __future__ import annotations

from ...client import calendar_path, collection_path
from ...context import SuiteContext
from ...registry import rule
from ...unchanged import expect_unchanged, snapshot

LAYER = "semantic"


@rule("method.405", layer=LAYER, writes=True)
def unserved_methods(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    with ctx.alone():  # the comparison sees no other check's write
        before = snapshot(ctx, [target])
        body = {"calendar": {"city": "Quimper"}}
        attempts = [
            ctx.api.request("PATCH", collection_path(ctx.group_id), json_body=body),
            ctx.api.request("PUT", collection_path(ctx.group_id), json_body=body),
            ctx.api.request("DELETE", collection_path(ctx.group_id)),
            ctx.api.request("PATCH", calendar_path(ctx.group_id, target), json_body=body),
            ctx.api.request("POST", calendar_path(ctx.group_id, target), json_body=body),
        ]
        for exchange in attempts:
            ctx.expect_status(exchange, 405, what=f"{exchange.method} is not served on this path: 405")
        expect_unchanged(ctx, before, "requests with methods the paths do not serve", attempts[-1])
