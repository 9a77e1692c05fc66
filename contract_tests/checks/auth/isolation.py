"""Isolation between groups: what the user may not access answers 404, like what does not exist.

- other-group-404 needs a group the main user may NOT access: the second identity's group
  (`--other-user/--other-password/--other-group-id`).
- other-group-calendar-404 probes, through the user's own group path, ids that are not in the
  user's own `results=all` list: the gaps between the user's ids, ids just beyond them and next
  to the calendars the suite created, and (with a second identity) the other group's ids.
  Writes only ever go to calendars the suite created (with the second identity) or are empty
  updates (`{"calendar": {}}`), so a leaking server cannot damage anyone else's data.
"""

from __future__ import annotations

import functools

from ...context import SuiteContext
from ...http import Exchange
from ...model import NO_SECOND_IDENTITY, Skip
from ...registry import rule
from ...unchanged import refused_together

LAYER = "auth"
MAX_PROBES = 40
SUFFIXES = ("", ".json")  # the bare path and its `.json` twin (CONTRACT.md: the same resource)


def _other(ctx: SuiteContext):
    if ctx.other_api is None:
        raise Skip(
            "needs a second identity whose group the main user may not access "
            "(--other-user, --other-password, --other-group-id)",
            why=NO_SECOND_IDENTITY,
        )
    return ctx.other_api


def _other_target(ctx: SuiteContext) -> int:
    """A calendar of the other group that the suite created with the second identity."""
    other = _other(ctx)
    return ctx.shared_once("other-target", lambda: ctx.new_calendar("other-group", api=other)["id"])


@rule("isolation.other-group-404", layer=LAYER)
def other_group_reads(ctx: SuiteContext) -> None:
    other = _other(ctx)
    group = other.group_id
    for suffix in SUFFIXES:
        ctx.expect_status(
            ctx.api.list(group=group, suffix=suffix),
            404,
            what=f"the list{suffix} of group {group}, which the user may not access, answers 404",
        )
        for calendar_id in ctx.record_ids(api=other)[:5]:
            ctx.expect_status(
                ctx.api.show(calendar_id, group=group, suffix=suffix),
                404,
                what=f"a calendar of group {group} through that group's path{suffix} answers 404",
            )


@rule("isolation.other-group-404", layer=LAYER)
def session_of_its_own_user(ctx: SuiteContext) -> None:
    """A session cookie stays its own user's, whoever logged in since: a deployment that looks
    sessions up wrongly (the latest login's user) would let one user read another's group."""
    other = _other(ctx)
    with ctx.one_session():
        login = ctx.api.login()
        ctx.expect_status(login, 200, what="login with the right credentials answers 200")
        cookie = ctx.expect_session_cookie(login)
        ctx.expect_2xx(other.login(), "the second identity's login succeeds")
        theirs = ctx.api.list(group=other.group_id, auth=None, cookie=cookie)
        own = ctx.api.list(auth=None, cookie=cookie)
    # 401: a deployment may end a session when another begins; never the other group's data
    ctx.expect(
        theirs.status in (401, 404),
        f"after user {other.identity.user} logged in, {ctx.identity.user}'s cookie still may not read "
        f"group {other.group_id}",
        expected="404 (or 401, the session ended)",
        exchange=theirs,
    )
    ctx.expect(
        own.status in (200, 401),
        f"after user {other.identity.user} logged in, {ctx.identity.user}'s cookie still reads "
        f"group {ctx.group_id}",
        expected="200 (or 401, the session ended)",
        exchange=own,
    )


@rule("isolation.other-group-404", layer=LAYER, writes=True)
def other_group_writes(ctx: SuiteContext) -> None:
    other = _other(ctx)
    group = other.group_id
    target = _other_target(ctx)
    # What the attempts would leave is looked for by its content - a calendar of our name, the
    # target's city or deletion - not as any change of the group: group `group` is another user's,
    # on a staging server in use, and others may write to it meanwhile.
    foreign = ctx.name("foreign-group")
    with ctx.alone():  # the comparison sees no other check's write
        before = ctx.show_body(target, api=other)
        what = f"a write to group {group}, which the user may not access"
        attempts = refused_together(ctx, [
            functools.partial(ctx.api.create, {"name": foreign}, group=group),
            functools.partial(ctx.api.update, target, {"city": "Intrus"}, group=group),
            functools.partial(ctx.api.delete, target, group=group),
        ], what, lambda _, exchange: ctx.expect_status(exchange, 404, what=f"{what}, answers 404"))
        appeared = [record["id"] for record in ctx.records(api=other) if record.get("name") == foreign]
        ctx.expect(
            not appeared,
            f"nothing appears in group {group}",
            expected=f"no calendar named {foreign!r}",
            actual=f"calendars {appeared}",
            exchange=attempts[0],
        )
        after = ctx.show_body(target, api=other)
        changed = {key: (before.get(key), after.get(key)) for key in ("city", "deleted")
                   if before.get(key) != after.get(key)}
        ctx.expect(
            not changed,
            f"calendar {target} of group {group} is left untouched",
            expected=f"city and deleted as before ({before.get('city')!r}, {before.get('deleted')!r})",
            actual=f"changed (before, after): {changed}",
            exchange=attempts[-1],
        )


def _probe_ids(ctx: SuiteContext, own: list[int]) -> tuple[list[int], set[int]]:
    """Ids not in the user's list, and those of them known to belong to another group."""
    known = set(own)
    foreign: set[int] = set()
    if ctx.other_api is not None:
        foreign = set(ctx.record_ids(api=ctx.other_api)) | set(ctx.other_created)
    candidates: list[int] = sorted(foreign)[:10]
    if own:
        low, high = min(own), max(own)
        # Ids between ours, spread evenly: sampled, never enumerated (ids handed out at random
        # up to 2^31 put billions between the lowest and the highest).
        spread = (low + (high - low) * k // 64 for k in range(1, 64))
        gaps = [i for i in dict.fromkeys(spread) if i not in known]
        candidates += gaps[::max(1, len(gaps) // 15)][:15]
        candidates += list(range(high + 1, high + 11))
        candidates += [i for i in range(max(1, low - 5), low)]
    for calendar_id in ctx.created_ids():
        candidates += [calendar_id - 2, calendar_id - 1, calendar_id + 1, calendar_id + 2]
    seen: list[int] = []
    for candidate in candidates:
        if candidate >= 1 and candidate not in known and candidate not in seen:
            seen.append(candidate)
    return seen[:MAX_PROBES], foreign


@rule("isolation.other-group-calendar-404", layer=LAYER, retry=True)
def other_group_calendar_reads(ctx: SuiteContext) -> None:
    own = ctx.record_ids()
    probes, foreign = _probe_ids(ctx, own)
    if not probes:
        raise Skip("no id to probe")
    # The `.json` twin of a path is the same resource (transport.json-suffix), so it is probed
    # too: a deployment may route it apart, and forget the group scope there.
    # The probes are independent reads (the rule runs alone: nothing moves meanwhile), judged in order.
    pairs = [(i, s) for i in probes for s in SUFFIXES]
    shown = ctx.side_by_side([functools.partial(ctx.api.show, i, suffix=s) for i, s in pairs])
    for (calendar_id, suffix), exchange in zip(pairs, shown, strict=True):
        body = exchange.json() if isinstance(exchange.json(), dict) else {}
        if calendar_id in foreign:
            ctx.expect_status(
                exchange,
                404,
                what=f"calendar {calendar_id} of another group, through the user's "
                f"own group path{suffix}, answers 404",
            )
        elif exchange.status == 200:
            # Not in the user's list, yet shown: only acceptable as a calendar of the user's own group
            # (e.g. a soft-deleted one a deployment hides from the list; that is another rule's matter).
            ctx.expect(
                body.get("group_id") == ctx.group_id,
                f"calendar {calendar_id}, not in the user's list, is not shown from another group "
                f"(GET .../calendars/{calendar_id}{suffix})",
                expected=f"404 (or a calendar of group {ctx.group_id})",
                exchange=exchange,
            )
        else:
            ctx.expect_status(
                exchange, 404, what=f"calendar {calendar_id}{suffix}, not in the user's list, answers 404"
            )


# retry: the probes are ids just past the group's, the very ids a deployment hands out next: another
# client's create between a probe's GET (404) and its PUT makes a calendar the user may write.
# The re-run probes past the list as it is then (and another client's writes leave it unjudged).
@rule("isolation.other-group-calendar-404", layer=LAYER, writes=True, alone=True, retry=True)
def other_group_calendar_writes(ctx: SuiteContext) -> None:
    own = ctx.record_ids()
    probes, _ = _probe_ids(ctx, own)
    firsts = probes[:20]
    shown = ctx.side_by_side([functools.partial(ctx.api.show, calendar_id) for calendar_id in firsts])
    missing = [i for i, exchange in zip(firsts, shown, strict=True) if exchange.status == 404]

    def judge(position: int, exchange: Exchange) -> None:
        ctx.expect(
            not 200 <= exchange.status < 300,
            f"calendar {missing[position]} answers 404 to GET, so a PUT to it through the user's path "
            "is not served either",
            expected="404 (no 2xx)",
            exchange=exchange,
        )

    # An empty update: harmless even if it leaks.
    refused_together(ctx, [functools.partial(ctx.api.update, calendar_id, {}) for calendar_id in missing],
                     "PUTs to ids the user's path answers 404 to", judge)


# No retry: the target is a calendar the suite made in the other group, which no other client
# writes, so a change after the refused writes is theirs. And a re-run could not show it again:
# a DELETE that answered 404 yet soft-deleted the calendar has nothing left to delete.
@rule("isolation.other-group-calendar-404", layer=LAYER, writes=True, alone=True)
def other_group_calendar_left_untouched(ctx: SuiteContext) -> None:
    target = _other_target(ctx)
    before = ctx.show_body(target, api=ctx.other_api)
    attempts = [ctx.api.update(target, {"city": "Intrus"}), ctx.api.delete(target)]
    for exchange in attempts:
        ctx.expect_status(
            exchange,
            404,
            what=f"calendar {target} of group {ctx.other_api.group_id}, written "
            "through the user's own group path, answers 404",
        )
    after = ctx.show_body(target, api=ctx.other_api)
    ctx.expect(
        after == before,
        f"calendar {target} of group {ctx.other_api.group_id} is left untouched",
        expected=str(before),
        actual=str(after),
        exchange=attempts[-1],
    )
