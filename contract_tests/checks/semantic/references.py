"""What calendars refer to: interventions (DOC S7, S12) and calendarsets (their path is ours).

- the interventions list answers the envelope of every collection, of the path's group, and
  each listed intervention is answered by id;
- `calendars?intervention_ids[]=i` and `interventions?calendar_ids[]=c` read one association:
  over a sample of the interventions and calendars the lists show, the pairs agree exactly
  (one id at a time: how several combine is left to `list.intervention-all`);
- a calendar's calendarset_id names a calendarset of its group (calendars the kit wrote are
  left out: whether an unknown calendarset_id is refused is open).

CONTRACT.md encodes the Calendar resource alone: a deployment that does not serve these
resources (discovery.py) has these rules "not served", never failed.
"""

from __future__ import annotations

from typing import Any

from ...context import SuiteContext
from ...model import NO_DATA, NO_INTERVENTION, Skip
from ...registry import rule

LAYER = "semantic"
MAX_INTERVENTIONS = 8
MAX_CALENDARS = 16
MAX_SHOWN = 8
OWN_PREFIX = "contract-kit-"  # the names of the calendars any run of the suite creates
ENVELOPE = ("records", "totalRecords", "startIndex", "recordsReturned", "pageSize", "sort", "dir")


def _listed(ctx: SuiteContext, operation: str, params: list[tuple[str, Any]] | None = None) -> list[dict]:
    return ctx.records(params or [], operation=operation)


def _in_group(ctx: SuiteContext, records: list[dict], what: str) -> None:
    strays = [(r["id"], r.get("group_id")) for r in records
              if "group_id" in r and r["group_id"] != ctx.group_id]
    ctx.expect(not strays, f"the {what} list holds only records of group {ctx.group_id}",
               expected=f"group_id {ctx.group_id}", actual=f"(id, group_id): {strays[:10]}",
               exchange=ctx.last_exchange())


@rule("resources.interventions", layer=LAYER, retry=True)
def interventions_list_and_show(ctx: SuiteContext) -> None:
    ctx.require_served("listInterventions", "getIntervention")
    exchange = ctx.api.list([("sort", "id"), ("dir", "desc")], operation="listInterventions")
    ctx.expect_status(exchange, 200, what="GET …/interventions answers 200")
    body = ctx.list_envelope(exchange)
    missing = [key for key in ENVELOPE if key not in body]
    ctx.expect(not missing, "the interventions list answers the list envelope (S5)",
               expected=", ".join(ENVELOPE), actual=f"missing {missing}", exchange=exchange)
    records = body["records"]
    ctx.expect(body.get("recordsReturned") == len(records) <= (body.get("pageSize") or 0),
               "recordsReturned = len(records) <= pageSize", expected=f"recordsReturned {len(records)}",
               actual=f"recordsReturned {body.get('recordsReturned')}, pageSize {body.get('pageSize')}",
               exchange=exchange)
    ctx.expect(body.get("sort") in ("id", None) and body.get("dir") in ("desc", None),
               "sort and dir echo the request, or are null (as for calendars)",
               expected="sort 'id' or null, dir 'desc' or null",
               actual=f"sort {body.get('sort')!r}, dir {body.get('dir')!r}", exchange=exchange)
    listed = _listed(ctx, "listInterventions")
    _in_group(ctx, listed, "interventions")
    if not listed:
        raise Skip("the group lists no intervention", why=NO_INTERVENTION)
    for record in listed[:MAX_SHOWN]:
        shown = ctx.api.show_one("getIntervention", record["id"])
        ctx.expect_status(shown, 200, what=f"GET of listed intervention {record['id']} answers 200")
        answered = ctx.json_object(shown)
        ctx.expect(answered.get("id") == record["id"], "an intervention is answered by its id",
                   expected=f"id {record['id']}", actual=f"id {answered.get('id')!r}", exchange=shown)


@rule("resources.intervention-calendars", layer=LAYER, retry=True)
def one_association_both_ways(ctx: SuiteContext) -> None:
    ctx.require_served("listInterventions")
    interventions = [r["id"] for r in _listed(ctx, "listInterventions")][:MAX_INTERVENTIONS]
    if not interventions:
        raise Skip("the group lists no intervention", why=NO_INTERVENTION)
    visible = [r["id"] for r in ctx.records()]
    by_calendars = {iid: {r["id"] for r in ctx.records([("intervention_ids[]", iid)])}
                    for iid in interventions}
    offering = sorted(set().union(*by_calendars.values()))
    # The calendars that offer something, and a few that offer none of the sample.
    calendars = sorted({*offering[:MAX_CALENDARS], *[c for c in visible if c not in offering][:4]})
    from_calendars = {(cid, iid) for iid, cids in by_calendars.items() for cid in cids if cid in calendars}
    from_interventions = set()
    for cid in calendars:
        offered = {r["id"] for r in _listed(ctx, "listInterventions", [("calendar_ids[]", cid)])}
        from_interventions |= {(cid, iid) for iid in offered if iid in by_calendars}
    only_calendars = sorted(from_calendars - from_interventions)
    only_interventions = sorted(from_interventions - from_calendars)
    ctx.expect(
        not only_calendars and not only_interventions,
        "calendars?intervention_ids[]=i lists calendar c exactly when interventions?calendar_ids[]=c "
        "lists intervention i",
        expected=f"the same (calendar, intervention) pairs both ways, over interventions {interventions}",
        actual=f"only through intervention_ids[]: {only_calendars[:10]}; "
               f"only through calendar_ids[]: {only_interventions[:10]}",
        exchange=ctx.last_exchange(),
    )
    everything = {r["id"]: r for r in _listed(ctx, "listInterventions")}
    sets = sorted({r["interventionset_id"] for r in everything.values()
                   if isinstance(r.get("interventionset_id"), int)})[:3]
    for interventionset_id in sets:
        kept = _listed(ctx, "listInterventions", [("interventionset_id", interventionset_id)])
        strays = [r["id"] for r in kept if r["id"] not in everything
                  or r.get("interventionset_id", interventionset_id) != interventionset_id]
        ctx.expect(not strays, f"interventionset_id={interventionset_id} keeps a subset: the interventions "
                   "of that interventionset", expected="a subset of the list, of that interventionset",
                   actual=f"ids {strays[:10]}", exchange=ctx.last_exchange())


@rule("resources.calendarset-of-group", layer=LAYER, retry=True)
def calendarsets_of_the_group(ctx: SuiteContext) -> None:
    ctx.require_served("listCalendarsets", "getCalendarset")
    calendarsets = _listed(ctx, "listCalendarsets")
    _in_group(ctx, calendarsets, "calendarsets")
    listed = {record["id"] for record in calendarsets}
    used = sorted({c["calendarset_id"] for c in ctx.records()
                   if isinstance(c.get("calendarset_id"), int)
                   and not str(c.get("name", "")).startswith(OWN_PREFIX)})
    if not used and not listed:
        raise Skip("no calendar of the group has a calendarset", why=NO_DATA)
    ctx.expect(set(used) <= listed, "every calendarset a calendar names is in the group's calendarsets list",
               expected=f"{used} within the listed {sorted(listed)}",
               actual=f"missing {sorted(set(used) - listed)}", exchange=ctx.last_exchange())
    for calendarset_id in used[:MAX_SHOWN]:
        shown = ctx.api.show_one("getCalendarset", calendarset_id)
        ctx.expect_status(shown, 200, what=f"GET of calendarset {calendarset_id}, which a calendar names, "
                          "answers 200")
        body = ctx.json_object(shown)
        ctx.expect((body.get("id"), body.get("group_id", ctx.group_id)) == (calendarset_id, ctx.group_id),
                   "a calendarset is answered by its id, in the path's group",
                   expected=f"id {calendarset_id}, group_id {ctx.group_id}",
                   actual=f"id {body.get('id')!r}, group_id {body.get('group_id')!r}", exchange=shown)
