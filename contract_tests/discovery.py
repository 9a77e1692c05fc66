"""What the suite learns from the API before it checks anything; it assumes no fixture data.

- the group's calendars (`results=all`): ids, the calendarsets in use (read from the records);
- the interventions in use: ids given as options, else probed through the list's own
  `intervention_ids[]` filter (1 .. probe limit); an id whose filter answers calendars is in use;
- which resources beyond the Calendar one (spec tags marked x-optional-resource) the deployment
  serves: one whose list answers 404 for the group whose calendars it lists is not served,
  unless a record of it the calendars name (an intervention or calendarset in use) answers 200:
  then the list's 404 is a fault its rules judge, not a resource left out.
"""

from __future__ import annotations

import functools

from . import schedule
from .client import member_id
from .context import SuiteContext
from .model import DEFAULT_INTERVENTION_PROBES, CheckFailed
from .spec_facts import OPERATIONS, OPTIONAL_RESOURCES


def discover(ctx: SuiteContext) -> list[str]:
    """Fill `ctx.baseline`, `ctx.calendarsets`, `ctx.interventions`; return notes for the summary."""
    notes: list[str] = []
    ctx.baseline = ctx.records()
    given_sets = list(ctx.options.calendarset_ids or ())
    in_use = sorted({r["calendarset_id"] for r in ctx.baseline if isinstance(r.get("calendarset_id"), int)})
    ctx.calendarsets = list(dict.fromkeys([*given_sets, *in_use]))
    ids = list(ctx.options.intervention_ids or ())
    probed = not ids
    if probed:
        ids = list(range(1, int(ctx.options.intervention_probes or DEFAULT_INTERVENTION_PROBES) + 1))
    # Independent reads: side by side (--concurrency), kept in id order.
    resources = list(OPTIONAL_RESOURCES.items())
    jobs = [functools.partial(_intervention, ctx, intervention_id) for intervention_id in ids]
    jobs += [functools.partial(ctx.api.list, [("results", 1)], operation=operations[0])
             for _, operations in resources]
    answers = schedule.run_all(jobs, ctx.concurrency, True)
    for intervention_id, found in zip(ids, answers[:len(ids)], strict=True):
        if found is not None and (found or not probed):
            ctx.interventions[intervention_id] = found
    for (resource, operations), exchange in zip(resources, answers[len(ids):], strict=True):
        if exchange.status == 404 and _record_answers(ctx, operations):
            notes.append(f"the {resource} list answers 404 for group {ctx.group_id} but a record of it "
                         "answers 200: the deployment serves them, their rules are checked")
        elif exchange.status == 404:
            why = (f"the deployment does not serve the {resource} (GET {OPERATIONS[operations[0]][1]} "
                   f"answers 404 for group {ctx.group_id}, whose calendars it lists): beyond the Calendar "
                   "resource")
            ctx.unserved.update(dict.fromkeys(operations, why))
            notes.append(why + "; its rules are not checked, its operations not generated")
    if not ctx.interventions:
        ctx.cache["no-interventions"] = (
            "no intervention in use was found" + (f" among ids 1..{len(ids)}" if probed else "")
            + "; pass --intervention-id ID (repeatable) to check the intervention filters"
        )
    notes.append(
        f"discovered {len(ctx.baseline)} calendars in group {ctx.group_id}, calendarsets in use "
        f"{ctx.calendarsets or 'none'}, interventions in use {sorted(ctx.interventions) or 'none'}"
        + (f" (probed ids 1..{len(ids)})" if probed else " (given)")
    )
    return notes


def _record_answers(ctx: SuiteContext, operations: list[str]) -> bool:
    """Whether the show of the resource (`operations[1]`) answers 200 for the first record of it
    the group's calendars name: one read, none when the calendars name none."""
    show = operations[1] if len(operations) > 1 else None
    in_use = {"intervention_id": sorted(ctx.interventions), "calendarset_id": ctx.calendarsets}
    known = in_use.get(member_id(show), []) if show is not None else []
    return bool(known) and ctx.api.show_one(show, known[0]).status == 200


def _intervention(ctx: SuiteContext, intervention_id: int) -> list[int] | None:
    """The ids the intervention filter lists, or None when the list cannot be read."""
    try:
        return ctx.record_ids([("intervention_ids[]", intervention_id)])
    except CheckFailed as failed:
        if failed.exchange is not None and failed.exchange.status >= 500:
            # kept for the intervention checks: a filter that crashes must fail them, not skip them
            ctx.cache.setdefault("intervention-probe-error", failed)
        return None
