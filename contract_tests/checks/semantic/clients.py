"""What real clients send: apikey in the body, JSON Content-Type without a body, a second `?`,
login by `/sessions/login.json` and the cookie afterwards."""

from __future__ import annotations

from ...client import calendar_path
from ...context import SuiteContext
from ...registry import rule

LAYER = "semantic"


@rule("clients.apikey-in-body", layer=LAYER, writes=True)
def apikey_in_body(ctx: SuiteContext) -> None:
    key = ctx.identity.apikey
    created = ctx.create_own({"apikey": key, "calendar": {"name": ctx.name("apikey-body")}},
                             wrap=False, apikey=None)
    ctx.expect_2xx(created, "POST with the apikey at the top level of the JSON body is accepted")
    calendar_id = ctx.calendar_body(created)["id"]
    updated = ctx.api.request(
        "PUT",
        calendar_path(ctx.group_id, calendar_id),
        apikey=None,
        json_body={"apikey": key, "calendar": {"city": "Rennes"}},
    )
    ctx.expect_2xx(updated, "PUT with the apikey at the top level of the JSON body is accepted")
    ctx.expect(
        (updated.json() or {}).get("city") == "Rennes",
        "the PUT was applied",
        expected="city 'Rennes'",
        exchange=updated,
    )


@rule("clients.json-content-type-without-body", layer=LAYER)
def json_content_type_reads(ctx: SuiteContext) -> None:
    header = {"Content-Type": "application/json"}
    ctx.expect_status(
        ctx.api.list(headers=header),
        200,
        what="GET list with Content-Type application/json and no body answers 200",
    )
    ctx.expect_status(
        ctx.api.show(ctx.some_calendar_id(), headers=header),
        200,
        what="GET show with Content-Type application/json and no body answers 200",
    )


@rule("clients.json-content-type-without-body", layer=LAYER, writes=True)
def json_content_type_delete(ctx: SuiteContext) -> None:
    calendar = ctx.new_calendar("ct-delete")
    exchange = ctx.api.delete(calendar["id"], headers={"Content-Type": "application/json"})
    ctx.expect_2xx(exchange, "DELETE with Content-Type application/json and no body succeeds")


@rule("clients.second-question-mark", layer=LAYER)
def second_question_mark(ctx: SuiteContext) -> None:
    intervention = min(ctx.interventions, default=1)
    for raw in (f"intervention_ids%5B%5D={intervention}?format=json", "results=5?format=json"):
        exchange = ctx.api.list(raw_query=raw)
        ctx.expect(
            exchange.status in (200, 400),
            "a second ? in the query answers 200 or a clear 400",
            expected="200 or 400 (never a server error)",
            exchange=exchange,
        )
        if exchange.status == 200:
            ctx.list_envelope(exchange)
        ctx.expect_json_when_said(exchange)


@rule("clients.login-json-cookie", layer=LAYER, retry=True)
def login_json_cookie(ctx: SuiteContext) -> None:
    with ctx.one_session():
        login = ctx.api.login(suffix=".json", form=True)
        ctx.expect_status(login, 200, what="POST /api/v1/sessions/login.json (form-encoded) logs in")
        cookie = ctx.expect_session_cookie(login)
        with_cookie = ctx.api.list([("results", "all"), ("sort", "id")], auth=None, cookie=cookie)
    ctx.expect_status(with_cookie, 200, what="a request with only the cookie (no Basic) is served")
    with_basic = ctx.api.list([("results", "all"), ("sort", "id")])
    ctx.expect(
        with_cookie.json() == with_basic.json(),
        "the cookie identifies the same user as Basic",
        expected="the same list as with Basic",
        exchange=with_cookie,
    )
