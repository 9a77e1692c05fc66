"""The conformance and stateful layers: schemathesis' engine, pointed at the suite's own data.

conformance - examples, coverage and fuzzing phases, positive and negative cases, every built-in
              check except `use_after_free` (DELETE is soft: the calendar stays readable), plus
              the suite's soft-delete / write-persisted checks (one_run.py: the views cases come
              from and answers are judged against).
              At --level documented `ignored_auth` is off too (its exact 401/403 is ASM - the
              auth layer checks "no data" instead).
stateful    - the stateful phase over the spec's explicit links (create -> show / update / delete
              -> restore); link inference is off (it crashes on this spec, see the notes).
The plan (plan.py) is made before the rule layers; the runs that change nothing may be running
in a second process since (second_process.py).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..context import SuiteContext
from ..gate import Gate
from ..model import CheckFailed, Failure, Outcome, Skip
from ..registry import rule_tag
from .checks import install
from .engines import run_engines
from .findings import Dedupe, EngineFindings, merge, outcome_of
from .one_run import jobs
from .partitions import partitions, writers
from .plan import Plan
from .second_process import Reads
from .steer import WriteTurns


def run_layers(ctx: SuiteContext, plan: Plan, result: Any, on_cases: Callable[[int], None] | None = None,
               reads: Reads | None = None) -> Iterable[Outcome]:
    """Run the conformance and stateful layers of `plan`; yields one Outcome per operation (or
    the chain), layer by layer. At --concurrency > 1 their engine runs go side by side
    (engines.py): the same cases and the same findings, sooner over a slow network. `reads`:
    the second process the plan's runs that change nothing were started in, if they were."""
    install()
    started = time.monotonic()
    outcomes: dict[str, dict[str, Outcome]] = {layer: {} for layer in plan.layers}
    operations = plan.operations()
    running = [layer for layer in plan.layers if layer not in plan.skipped]
    if running:
        _make_targets(ctx, running[0], outcomes[running[0]], len(writers(operations)))
    side_by_side = ctx.concurrency > 1 and len(plan.runs) > 1
    # Generated PUT/DELETE land on the calendars of ours there are now (see Policy.part).
    parts = partitions(operations, ctx.created_ids(ctx.group_id))
    counted = _locked(on_cases) if on_cases is not None and side_by_side else on_cases
    concurrency = ctx.concurrency if side_by_side else 1
    to_run = jobs(ctx, plan, parts, WriteTurns(side_by_side))
    ctx.listing = Gate(writers_first=True) if side_by_side else None
    try:
        found_by_run: list[EngineFindings] = (
            reads.run_beside(to_run, concurrency, plan.order, counted, result.notes) if reads is not None
            else run_engines([functools.partial(job, counted) for job in to_run], concurrency, plan.order))
    finally:
        ctx.listing = None
    seen: dict[str, dict[Dedupe, Failure]] = {layer: {} for layer in plan.layers}
    statuses: dict[str, dict[str, list[int]]] = {layer: {} for layer in plan.layers}
    for found in found_by_run:  # in the plan's order, whichever ended first
        merge(found, outcomes[found.layer], seen[found.layer], statuses[found.layer], result)
    each = (time.monotonic() - started) / max(sum(len(found) for found in outcomes.values()), 1)
    for layer in plan.layers:
        if layer in plan.skipped:
            yield plan.skipped[layer]
            continue
        _canary(ctx, layer, outcomes[layer], statuses[layer])
        for outcome in outcomes[layer].values():
            outcome.seconds = each
            outcome.status = "failed" if outcome.failures else "passed"
            yield outcome


def _make_targets(ctx: SuiteContext, layer: str, outcomes: dict[str, Outcome], writers: int) -> None:
    """Calendars of ours for generated PUT/DELETE to land on (see Policy.steer): two, or one for
    each of the plan's `writers`, the engines with a partition of their own (named after `layer`,
    the first that runs)."""
    if ctx.read_only:
        return
    for _ in range(max(2, writers) - len(ctx.created_ids(ctx.group_id))):
        try:
            ctx.new_calendar(f"{layer}-target")
        except Skip:  # the footprint bound: generated writes go to the calendars there are
            break
        except CheckFailed as failed:
            outcome = outcome_of(outcomes, layer, failed.operation or layer)
            outcome.failures.append(
                Failure(
                    "create.created",
                    rule_tag("create.created"),
                    layer,
                    failed.operation,
                    f"could not create a calendar for generated writes to target: {failed.message}",
                    curl=failed.exchange.curl() if failed.exchange is not None else "",
                    expected=failed.expected,
                    actual=failed.actual,
                )
            )
            break


def _locked(report: Callable[[int], None]) -> Callable[[int], None]:
    lock = threading.Lock()

    def locked(count: int) -> None:
        with lock:
            report(count)

    return locked


def _canary(
    ctx: SuiteContext, layer: str, outcomes: dict[str, Outcome], statuses: dict[str, list[int]]
) -> None:
    """A run that was never served proves nothing (schemathesis passes when everything is a 401)."""
    served = sum(1 for codes in statuses.values() for code in codes if 200 <= code < 300)
    if statuses and not served:
        name = next(iter(outcomes), layer)
        outcome_of(outcomes, layer, name).failures.append(
            Failure(
                "auth.apikey-query",
                rule_tag("auth.apikey-query"),
                layer,
                name,
                "no generated request was served (no 2xx at all): the credentials were not accepted, so the "
                "layer proved nothing",
                expected="some 2xx answers",
                actual=f"statuses {sorted({code for codes in statuses.values() for code in codes})}",
            )
        )
