"""A refused request changes nothing: snapshots of the group before and after, and the guard
that brackets every write the suite sends while it is on."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .context import SuiteContext, short
from .footprint import of_another_run
from .http import Exchange
from .others import others_write, unjudged
from .spec_facts import path_values


def snapshot(ctx: SuiteContext, extra_ids: Iterable[int] = (), seen: frozenset[int] | None = None
             ) -> dict[str, Any]:
    """The group's calendar ids and totalRecords, and the full records of our own calendars
    and of `extra_ids` (None for one that does not answer 200); with `seen`, as if the group
    held only those calendars and `extra_ids` (an engine's partition: other engines write
    elsewhere meanwhile, see schemathesis_layers.partitions).

    The last snapshot is read again only if a write was sent or answered since: the one taken
    after a refused write is the one taken before the next (a request or two fewer per write).
    A view of `seen` calendars is never kept here: writes elsewhere may be in flight."""
    extra = list(extra_ids)
    if seen is not None:
        return _within(_snapshot(ctx, extra), seen | set(extra))
    writes = ctx.gate.writes
    last = ctx.cache.get("last-snapshot")
    if last is not None and last[0] == writes and set(extra) <= last[1]["own"].keys():
        return last[1]
    taken = _snapshot(ctx, extra)
    if ctx.gate.writes == writes:  # no write went out or came back while it was read
        ctx.cache["last-snapshot"] = (writes, taken)
    return taken


def _within(taken: dict[str, Any], seen: frozenset[int]) -> dict[str, Any]:
    """`taken` as if the group held only the calendars `seen` (totalRecords: those listed).
    Whatever changes elsewhere - another engine's writes, and what a faulty deployment does
    beside them - cannot show in it, whether engines run side by side or one at a time."""
    ids = [calendar_id for calendar_id in taken["ids"] if calendar_id in seen]
    return {"ids": ids, "total": len(ids), "own": {k: v for k, v in taken["own"].items() if k in seen},
            "kits": frozenset(), "seen": seen}


def _snapshot(ctx: SuiteContext, extra: list[int]) -> dict[str, Any]:
    apart = [calendar_id for calendar_id in extra if calendar_id not in ctx.created]
    (records, total), *shows = ctx.side_by_side(
        [ctx.records_and_total, *(functools.partial(_shown, ctx, cid) for cid in apart)])
    fetched = dict(zip(apart, shows, strict=True))
    own = {record["id"]: record for record in records if record["id"] in ctx.created}
    for calendar_id in extra:
        if calendar_id not in own:
            own[calendar_id] = fetched[calendar_id] if calendar_id in fetched else _shown(ctx, calendar_id)
    return {"ids": sorted(record["id"] for record in records), "total": total,
            "own": own,
            # another run's calendars: two CI jobs may share a group
            "kits": frozenset(record["id"] for record in records
                              if of_another_run(record.get("name"), ctx.run_id))}


def _shown(ctx: SuiteContext, calendar_id: int) -> Any:
    shown = ctx.api.show(calendar_id)
    return shown.json() if shown.status == 200 else None


def expect_unchanged(ctx: SuiteContext, before: dict[str, Any], what: str,
                     exchange: Exchange | Sequence[Exchange] | None) -> dict[str, Any]:
    """Fails (CheckFailed) on any difference; the snapshot taken after, when there is none.
    `exchange`: the request judged, or the requests sent together (refused_together), of which
    a failure names the likeliest cause."""
    after = snapshot(ctx, before["own"], before.get("seen"))
    together = ""
    if isinstance(exchange, Sequence):
        sent = list(exchange)
        exchange = _culprit(before, after, sent) if sent else None
        together = f" (one of {len(sent)} refused requests sent together)" if len(sent) > 1 else ""
    answered = f"the request answered {exchange.summary() if exchange else '-'}{together}"
    added, removed, total = _moved(before, after)
    none_moved = not added and not removed and after["total"] == total
    same = none_moved and all(after["own"].get(calendar_id) == record
                              for calendar_id, record in before["own"].items())
    if not same and others_write(ctx):
        raise unjudged(f"{what}: the group differs after it (added {added}, removed {removed})")
    ctx.expect(
        none_moved,
        f"{what} changes nothing: no calendar appears or vanishes",
        expected=f"the same calendar ids and totalRecords ({total}) before and after",
        actual=f"added {added}, removed {removed}, totalRecords {after['total']}; {answered}",
        exchange=exchange,
    )
    for calendar_id, record in before["own"].items():
        diff = _differences(record, after["own"].get(calendar_id))
        ctx.expect(
            not diff,
            f"{what} changes nothing: calendar {calendar_id} is as before",
            expected="the calendar unchanged",
            actual=f"changed fields (before, after): {short(diff, 400)}; {answered}",
            exchange=exchange,
        )
    return after


def _differences(record: Any, now: Any) -> dict[str, tuple[Any, Any]]:
    """A calendar's fields that differ between two snapshots, as (before, after); "(calendar)"
    when it is missing from one of them (or is not a record in one)."""
    if isinstance(record, dict) and isinstance(now, dict):
        return {key: (record.get(key), now.get(key)) for key in set(record) | set(now)
                if record.get(key) != now.get(key)}
    return {} if record == now else {"(calendar)": (record, now)}


def refused_together(ctx: SuiteContext, sends: Sequence[Callable[[], Exchange]], what: str,
                     judge: Callable[[int, Exchange], None], extra_ids: Iterable[int] = ()) -> list[Exchange]:
    """Send `sends`, writes the contract has the deployment refuse, side by side (up to
    --concurrency; one by one at 1) inside one hold of the group alone, between one snapshot
    before and one after rather than the guard's pair each: at 50 ms a round trip, 30 refusals
    take 5 round trips rather than 60. `judge` gets each answer's position in `sends` and the
    answer, in order (its status); then the group must be as it was, and a difference names the
    answer likeliest to have caused it (`_culprit`) and that it was sent with others.
    Returns the answers, in order."""
    if not sends:
        return []
    with ctx.alone():  # the comparison sees no other check's write
        before = snapshot(ctx, extra_ids)
        guarded = ctx.api.guard is not None
        guard_refusals(ctx, False)  # judged together below, not one by one
        try:
            exchanges = ctx.side_by_side(list(sends), writes=True)
        finally:
            guard_refusals(ctx, guarded)
        for position, exchange in enumerate(exchanges):
            judge(position, exchange)
        expect_unchanged(ctx, before, what, exchanges)
    return exchanges


def _culprit(before: dict[str, Any], after: dict[str, Any], sent: list[Exchange]) -> Exchange:
    """Of requests sent together, the first (in the order given, whatever the order they were
    answered in) aimed at a calendar that changed and sending one of the fields that changed;
    else the first aimed at a changed calendar; else the first POST when a calendar appeared,
    the first DELETE when one vanished; else the last."""
    changed = {calendar_id: set(diff) for calendar_id, record in before["own"].items()
               if (diff := _differences(record, after["own"].get(calendar_id)))}
    aimed = [(_aimed_at(exchange.path), exchange) for exchange in sent]
    for calendar_id, exchange in aimed:
        if calendar_id in changed and changed[calendar_id] & _sent_fields(exchange):
            return exchange
    for calendar_id, exchange in aimed:
        if calendar_id in changed:
            return exchange
    added, removed, _ = _moved(before, after)
    for method, moved in (("POST", added), ("DELETE", removed)):
        if moved:
            for exchange in sent:
                if exchange.method == method:
                    return exchange
    return sent[-1]


def _aimed_at(path: str) -> int | None:
    """The calendar a request's path names, if it names one."""
    found = path_values("getCalendar", path)
    return int(found["calendar_id"]) if found and found["calendar_id"].isdigit() else None


def _sent_fields(exchange: Exchange) -> set[str]:
    """The calendar's fields a request's JSON body names (none for a body that is not JSON)."""
    try:
        body = json.loads(exchange.request_body or b"")
    except ValueError:
        return set()
    calendar = body.get("calendar") if isinstance(body, dict) else None
    return set(calendar) if isinstance(calendar, dict) else set()


def _moved(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[int], list[int], Any]:
    """The calendars that appeared and vanished between two snapshots, and the totalRecords
    `after` must show. Another run's calendars coming and going (its creates, its clean-up on a
    deployment that lists no soft-deleted calendar) are left out, and the total follows them."""
    kits = before["kits"] | after["kits"]
    added = sorted(set(after["ids"]) - set(before["ids"]) - kits)
    removed = sorted(set(before["ids"]) - set(after["ids"]) - kits)
    shift = len(after["kits"] - set(before["ids"])) - len(before["kits"] - set(after["ids"]))
    total = before["total"] + shift if isinstance(before["total"], int) else before["total"]
    return added, removed, total


def guard_refusals(ctx: SuiteContext, on: bool = True) -> None:
    """While on, every write the suite sends (POST, PUT, DELETE) is bracketed by snapshots,
    and one the deployment refuses (4xx or 5xx) must have changed nothing: not a calendar
    of ours, not the calendar it aimed at, not the group's ids or totalRecords. Not the writes
    a check fails unless they succeed (`must_succeed`), nor those judged together
    (`refused_together`)."""
    for api in (ctx.api, ctx.other_api):
        if api is not None:
            api.guard = functools.partial(_guarded, ctx) if on else None


def _guarded(ctx: SuiteContext, method: str, path: str) -> Any:
    if ctx.writes_must_succeed():  # the check fails on a refusal already
        return None
    aimed = _aimed_at(path)
    # The snapshots only read and the guard only sees writes, so it stays on: switched off, it
    # would be off for every thread, and a login beside this one (logins hold the gate shared)
    # would go unguarded.
    before = snapshot(ctx, [] if aimed is None else [aimed])

    def after(exchange: Exchange) -> None:
        if exchange.status >= 400:
            expect_unchanged(ctx, before, f"a refused {method} ({exchange.status})", exchange)

    return after
