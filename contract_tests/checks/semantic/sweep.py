"""Rules over every exchange the semantic and auth checks made (run last)."""

from __future__ import annotations

from ...context import SuiteContext
from ...registry import rule
from ...spec_facts import STATUSES

LAYER = "semantic"


@rule("transport.json-responses", layer=LAYER, final=True)
def json_responses(ctx: SuiteContext) -> None:
    """A success with a body is application/json; an error body's shape and media type are
    left open (CONTRACT.md), so only "JSON when the deployment says so" holds for errors."""
    for exchange in list(ctx.journal):
        if not exchange.content.strip():
            continue
        if 200 <= exchange.status < 300:
            ctx.expect(
                exchange.content_type.split(";")[0].strip() == "application/json" and exchange.is_json(),
                "every successful response with a body is application/json",
                expected="Content-Type application/json and a JSON body",
                actual=exchange.typed_summary(),
                exchange=exchange,
            )
        else:
            ctx.expect_json_when_said(exchange)


@rule("transport.status-set", layer=LAYER, final=True)
def status_set(ctx: SuiteContext) -> None:
    for exchange in list(ctx.journal):
        ctx.expect(
            exchange.status in STATUSES,
            "only 200, 201, 400, 401, 403, 404, 405 and 500 are answered",
            expected=", ".join(map(str, sorted(STATUSES))),
            exchange=exchange,
        )
