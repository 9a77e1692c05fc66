"""Methods a path does not serve answer 405 (and change nothing)."""

from __future__ import annotations

import functools

from ...client import calendar_path, collection_path
from ...context import SuiteContext
from ...registry import rule
from ...unchanged import refused_together

LAYER = "semantic"


@rule("method.405", layer=LAYER, writes=True)
def unserved_methods(ctx: SuiteContext) -> None:
    target = ctx.own_calendar()["id"]
    body = {"calendar": {"city": "Quimper"}}
    attempts = [
        functools.partial(ctx.api.request, "PATCH", collection_path(ctx.group_id), json_body=body),
        functools.partial(ctx.api.request, "PUT", collection_path(ctx.group_id), json_body=body),
        functools.partial(ctx.api.request, "DELETE", collection_path(ctx.group_id)),
        functools.partial(ctx.api.request, "PATCH", calendar_path(ctx.group_id, target), json_body=body),
        functools.partial(ctx.api.request, "POST", calendar_path(ctx.group_id, target), json_body=body),
    ]
    refused_together(
        ctx, attempts, "requests with methods the paths do not serve",
        lambda _, exchange: ctx.expect_status(exchange, 405,
                                              what=f"{exchange.method} is not served on this path: 405"),
        [target])
