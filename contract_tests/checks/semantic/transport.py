"""Transport rules: path aliases, JSON bodies, date format."""

from __future__ import annotations

import functools
import re

from ...context import SuiteContext
from ...registry import rule

LAYER = "semantic"
SUFFIXES = ("", ".json")  # a path bare, and its .json twin
TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")


def _same_answer(ctx: SuiteContext, plain, variant, what: str) -> None:
    ctx.expect(
        variant.status == plain.status,
        f"{what} answers the same status as the bare path",
        expected=f"status {plain.status}",
        exchange=variant,
    )
    ctx.expect(
        variant.json() == plain.json() and variant.json() is not None,
        f"{what} answers the same JSON body as the bare path",
        expected=f"the body of {plain.curl()}: {plain.body_text(200)}",
        exchange=variant,
    )


@rule("transport.json-suffix", layer=LAYER, retry=True)
def json_suffix_reads(ctx: SuiteContext) -> None:
    # sort=id everywhere: two answers are compared, and the order of ties is left open. The rule
    # writes too (json_suffix_writes), so it runs beside the rules that write: the reads it
    # compares hold the group still.
    calendar_id = ctx.some_calendar_id()
    reads = [("GET .../calendars.json", functools.partial(ctx.api.list, params))
             for params in ([("results", "all"), ("sort", "id")],
                            [("results", 2), ("startIndex", 1), ("sort", "id")])]
    reads.append(("GET .../calendars/{id}.json", functools.partial(ctx.api.show, calendar_id)))
    with ctx.alone():  # the six reads of one still moment, side by side
        answers = ctx.side_by_side([functools.partial(read, suffix=suffix)
                                    for _, read in reads for suffix in SUFFIXES])
    for (what, _), bare, json in zip(reads, answers[::2], answers[1::2], strict=True):
        _same_answer(ctx, bare, json, what)


@rule("transport.json-suffix", layer=LAYER, writes=True)
def json_suffix_writes(ctx: SuiteContext) -> None:
    """PUT and DELETE of `{id}.json` act on the calendar as the bare path does (a deployment may
    route the suffix for reads only)."""
    calendar = ctx.new_calendar("json-suffix")
    for suffix in SUFFIXES:
        value = ctx.name(f"publicname{suffix or '-bare'}")
        with ctx.must_succeed():
            exchange = ctx.api.update(calendar["id"], {"publicname": value}, suffix=suffix)
        ctx.expect_2xx(exchange, f"PUT .../calendars/{{id}}{suffix} of our calendar succeeds")
        ctx.expect(ctx.show_body(calendar["id"]).get("publicname") == value,
                   f"PUT .../calendars/{{id}}{suffix} changes the calendar", expected=f"publicname {value!r}",
                   exchange=exchange)
    with ctx.must_succeed():
        deleted = ctx.api.delete(calendar["id"], suffix=".json")
    ctx.expect_2xx(deleted, "DELETE .../calendars/{id}.json of our calendar succeeds")
    ctx.expect_deleted(ctx.api.show(calendar["id"]), True,
                       "after DELETE .../calendars/{id}.json the calendar shows deleted true")


@rule("transport.json-suffix", layer=LAYER, retry=True)
def json_suffix_login(ctx: SuiteContext) -> None:
    # The same user: each login's cookie, used before the next login (which may end the session
    # of the one before), sees the same calendars. CONTRACT.md does not state the login's body.
    # Both lists of one still moment (the rule runs beside the rules that write, see above).
    seen = []
    with ctx.one_session(), ctx.alone():
        for suffix in ("", ".json"):
            login = ctx.api.login(suffix=suffix)
            ctx.expect_status(login, 200, what="login with the right credentials answers 200")
            cookie = ctx.expect_session_cookie(login)
            seen.append(ctx.api.list([("results", "all"), ("sort", "id")], auth=None, cookie=cookie))
    ctx.expect(
        [exchange.status for exchange in seen] == [200, 200] and seen[0].json() == seen[1].json(),
        "/sessions/login.json logs in the same user as /sessions/login",
        expected="the cookie of each login lists the same calendars",
        actual=f"statuses {[exchange.status for exchange in seen]}",
        exchange=seen[1],
    )


@rule("transport.format-param", layer=LAYER, retry=True)
def format_param(ctx: SuiteContext) -> None:
    params = [("results", "all"), ("sort", "id")]
    plain = ctx.api.list(params)
    _same_answer(ctx, plain, ctx.api.list([*params, ("format", "json")]), "GET .../calendars?format=json")
    _same_answer(
        ctx,
        plain,
        ctx.api.list([*params, ("format", "json")], suffix=".json"),
        "GET .../calendars.json?format=json",
    )
    calendar_id = ctx.some_calendar_id()
    _same_answer(
        ctx,
        ctx.api.show(calendar_id),
        ctx.api.show(calendar_id, params=[("format", "json")]),
        "GET .../calendars/{id}?format=json",
    )


@rule("transport.json-body", layer=LAYER, writes=True)
def json_body(ctx: SuiteContext) -> None:
    created = ctx.create_own({"name": ctx.name("json-body")})
    ctx.expect_2xx(created, "a JSON body wrapped in `calendar` is accepted by POST")
    calendar_id = ctx.calendar_body(created)["id"]
    updated = ctx.api.update(calendar_id, {"city": "Nantes"})
    ctx.expect_2xx(updated, "a JSON body wrapped in `calendar` is accepted by PUT")
    ctx.expect(
        (updated.json() or {}).get("city") == "Nantes",
        "the PUT body was read",
        expected="city 'Nantes'",
        exchange=updated,
    )


@rule("transport.date-format", layer=LAYER)
def date_format(ctx: SuiteContext) -> None:
    records = list(ctx.baseline)
    if not ctx.read_only:
        records.append(ctx.own_calendar())
    if not records:
        ctx.expect(True, "no calendar to read")
        return
    shown = ctx.api.show(records[0]["id"])
    records.append(ctx.calendar_body(shown))
    for record in records:
        for key in ("created_at", "updated_at"):
            value = record.get(key)
            ctx.expect(
                isinstance(value, str) and TIMESTAMP.match(value),
                f"calendar {record.get('id')}: {key} reads YYYY-MM-DD HH:MM:SS",
                expected='"YYYY-MM-DD HH:MM:SS"',
                actual=f"{key} = {value!r}",
                exchange=shown if record is records[-1] else None,
                operation="GET /api/v1/groups/{group_id}/calendars",
            )
