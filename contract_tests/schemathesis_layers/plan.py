"""The engine layers' plan: which engine runs there are, the order they start in, and the
calendars their requests name - fixed once, before the rule layers, at every concurrency.

Fixed before the rules so that the runs that change nothing may start then, in a second process
(second_process.py), and still draw the cases a run at --concurrency 1 draws after the rules.
No schemathesis here: the plan is made before it is imported (in a thread, during the rules).

conformance - two engine runs per operation: its coverage phase, and its examples and fuzzing
              phases (their requests then overlap: a slow network waits once for many); positive
              cases from the mock's view, negative ones from the level's (one_run.py says why).
stateful    - one run over the spec's explicit links; it needs every operation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import calendar_spec
from calendar_spec.walk import operations_by_id

from ..context import SuiteContext
from ..model import FOOTPRINT, READ_ONLY, Outcome
from .check_names import BUILT_IN_CHECKS, NOT_ASSERTED
from .partitions import writers
from .views import LOGIN, positive_view

if TYPE_CHECKING:
    from .findings import EngineFindings

PHASES = ("examples", "coverage", "fuzzing")
# The coverage phase probes the methods a path does not serve (PUT, DELETE...): a run of its own,
# apart from the examples and fuzzing, which send the operation's method only.
DRAWN_PHASES = ("examples", "fuzzing")
CHAIN = "links (create -> show/update/delete -> restore)"  # the stateful layer's one outcome
# Every generated create (and a negative one the steering made valid) would add a calendar that
# soft delete never removes: with a bounded footprint (footprint.py) creates are the semantic
# layer's create and invalid checks' job.
FOOTPRINT_EXCLUDED = "createCalendar"
READABLE_EACH = 5  # calendars of ours, and of the group's before the run, that generated paths name
OnCases = Callable[[int], None] | None
Job = Callable[[OnCases], "EngineFindings"]  # one engine run, told where its progress goes


@dataclass
class Run:
    """One engine run: its schema (strict or documented view), generation mode and checks."""

    spec_level: str  # which view of the spec generates the cases
    mode: str
    builtin: set[str]
    custom: set[str]
    responses: str | None = None  # the view responses are judged against
    operation: str | None = None  # one operation's cases only (None: every operation)
    phases: tuple[str, ...] = PHASES  # conformance's: which of its phases this run goes through
    writes_nothing: bool = False  # sends GETs and session logins only (no calendar changes)
    # Logs in (sessions): waits for the rule layers to end, when it could run beside them. Whether
    # a login ends the user's other sessions is open, and the auth rules hold sessions of their own.
    logs_in: bool = False


@dataclass
class Plan:
    layers: tuple[str, ...]  # the engine layers asked for; those in `skipped` do not run
    runs: list[tuple[str, Run]]  # (layer, run), in the order their findings are merged
    order: list[int]  # the order they start in: longest first
    readable: list[int]  # the calendar ids generated paths name (config "contract_calendars")
    skipped: dict[str, Outcome] = field(default_factory=dict)

    @property
    def reads(self) -> list[int]:
        """The runs that change nothing, by number."""
        return [number for number, (_, run) in enumerate(self.runs) if run.writes_nothing]

    def operations(self) -> list[str | None]:
        return _operations(self.runs)


def plan_engines(ctx: SuiteContext, layers: Sequence[str]) -> Plan:
    """The plan of `layers` (conformance, stateful) for what the suite knows now: the level,
    --read-only, the footprint bound, what the deployment serves, the calendars there are."""
    runs: list[tuple[str, Run]] = []
    skipped: dict[str, Outcome] = {}
    for layer in layers:
        skip = _skip(ctx, layer)
        if skip is not None:
            skipped[layer] = skip
            continue
        runs += [(layer, engine) for run in _runs(ctx, layer) for engine in _engines(ctx, layer, run)]
    writing = set(writers(_operations(runs)))
    # Longest first: the engines that write one calendar (a snapshot after each refusal), then
    # the other negative ones (more cases than positive: the coverage phase's).
    order = sorted(range(len(runs)),
                   key=lambda number: (number not in writing, runs[number][1].mode != "negative"))
    own = ctx.created_ids(ctx.group_id)
    readable = own[:READABLE_EACH] + [record["id"] for record in ctx.baseline[:READABLE_EACH]]
    return Plan(tuple(layers), runs, order, readable, skipped)


def _operations(runs: list[tuple[str, Run]]) -> list[str | None]:
    """Each run's operation, None for one that is not conformance's (partitions.writers)."""
    return [run.operation if layer == "conformance" else None for layer, run in runs]


def spec_of(ctx: SuiteContext, run: Run) -> dict[str, Any]:
    if run.spec_level == "positive":
        return positive_view(ctx.calendarsets)
    return calendar_spec.load_spec(run.spec_level)


def _skip(ctx: SuiteContext, layer: str) -> Outcome | None:
    """The Outcome of a layer that cannot run."""
    if layer == "stateful" and not ctx.read_only and ctx.pool is not None:
        return Outcome("stateful", CHAIN, status="skipped",
                       reason=f"its chains start with a create, each a calendar for good: the footprint is "
                       f"bounded (--max-own-calendars {ctx.pool.bound})", why=FOOTPRINT)
    if layer == "stateful" and ctx.read_only:
        return Outcome("stateful", CHAIN, status="skipped", reason="needs writes (--read-only)",
                       why=READ_ONLY)
    return None


def _runs(ctx: SuiteContext, layer: str) -> list[Run]:
    builtin = set(BUILT_IN_CHECKS) - NOT_ASSERTED
    custom = {"contract_soft_delete", "contract_write_persisted", "contract_created_readable",
              "contract_success_media_type", "contract_refusal_changes_nothing"}
    if not ctx.read_only:
        custom.add("contract_unserved_method")  # it sends PATCH/PUT/DELETE...
    if ctx.level == "documented":
        builtin -= {"ignored_auth"}  # its exact 401/403 is ASM; the auth layer checks "no data"
    runs = [Run("positive", "positive", builtin, custom, responses=ctx.level)]
    if layer == "conformance":
        # Acceptance of valid input is the positive run's job: a negative case that the steering
        # hook turned valid under the level's view may still break a cap of the mock's own.
        negative = builtin - {"positive_data_acceptance"}
        runs.append(Run(ctx.level, "negative", negative, custom, responses=ctx.level))
    return runs


def _engines(ctx: SuiteContext, layer: str, run: Run) -> list[Run]:
    """Conformance runs two engines per operation, its coverage phase and the others (their
    requests then overlap: a slow network waits once for many); the stateful chains need every
    operation in one."""
    if layer != "conformance":
        return [run]
    methods = ("get",) if ctx.read_only else ("get", "put", "post", "delete", "patch")
    operations = [(item[method]["operationId"], method == "get" or path == LOGIN, path == LOGIN)
                  for path, item in spec_of(ctx, run)["paths"].items()
                  for method in methods if method in item]
    # An operation the view that judges the answers leaves out (documented: the calendarsets
    # paths, x-assumed) would only cost its cases: no rule could be checked on them. Neither
    # could one of a resource the deployment does not serve (discovery: ctx.unserved).
    judged = operations_by_id(calendar_spec.load_spec(run.responses)) if run.responses else None
    # Split so at every concurrency: the plan, and thus each run's cases, is the same whether
    # some go to a second process (second_process.py) or not.
    return [dataclasses.replace(run, operation=operation, phases=phases, logs_in=logs_in,
                                writes_nothing=changes_nothing and phases == DRAWN_PHASES)
            for operation, changes_nothing, logs_in in operations
            if (judged is None or operation in judged) and operation not in ctx.unserved
            and not (ctx.pool is not None and operation == FOOTPRINT_EXCLUDED)
            for phases in (("coverage",), DRAWN_PHASES)]
