"""The conformance and stateful layers: schemathesis' engine, pointed at the suite's own data.

conformance - examples, coverage and fuzzing phases, positive and negative cases, every built-in
              check except `use_after_free` (DELETE is soft: the calendar stays readable), plus
              the suite's soft-delete / write-persisted checks.
              Positive cases are generated from the mock's view of the spec, the narrowest (only
              surely valid input is sent); negative cases from the level's view (only input the
              level makes invalid is expected to be refused - never one of the mock's own caps);
              responses are judged against the level's view by a custom check.
              At --level documented `ignored_auth` is off too (its exact 401/403 is ASM - the
              auth layer checks "no data" instead).
stateful    - the stateful phase over the spec's explicit links (create -> show / update / delete
              -> restore); link inference is off (it crashes on this spec, see the notes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import calendar_spec
import schemathesis
from calendar_spec.walk import operations_by_id
from jsonschema import Draft202012Validator
from schemathesis.engine import events, from_schema

from ..context import UNKNOWN_ID, SuiteContext
from ..gate import Gate
from ..model import FOOTPRINT, READ_ONLY, CheckFailed, Failure, Outcome, Skip
from ..registry import rule_tag
from . import second_process
from .checks import BUILT_IN_CHECKS, NOT_ASSERTED, install
from .findings import Dedupe, EngineFindings, judge, merge, outcome_of
from .partitions import Partition, partitions, writers
from .responses import DocumentedResponses
from .rules import is_negative
from .steer import _POLICIES, Policy, WriteTurns
from .views import LOGIN, coercible_type_case, positive_view

PHASES = ("examples", "coverage", "fuzzing")
# The coverage phase probes the methods a path does not serve (PUT, DELETE...): a run of its own,
# apart from the examples and fuzzing, which send the operation's method only. Two runs side by
# side also wait for the network side by side: a write engine's cases wait for each other.
DRAWN_PHASES = ("examples", "fuzzing")


@dataclass
class _Run:
    """One engine run: its schema (strict or documented view), generation mode and checks."""

    spec_level: str  # which view of the spec generates the cases
    mode: str
    builtin: set[str]
    custom: set[str]
    responses: str | None = None  # the view responses are judged against
    operation: str | None = None  # one operation's cases only (None: every operation)
    phases: tuple[str, ...] = PHASES  # conformance's: which of its phases this run goes through
    writes_nothing: bool = False  # sends GETs and session logins only (no calendar changes)


def _plan(ctx: SuiteContext, layer: str) -> list[_Run]:
    builtin = set(BUILT_IN_CHECKS) - NOT_ASSERTED
    custom = {"contract_soft_delete", "contract_write_persisted", "contract_created_readable",
              "contract_success_media_type", "contract_refusal_changes_nothing"}
    if not ctx.read_only:
        custom.add("contract_unserved_method")  # it sends PATCH/PUT/DELETE...
    if ctx.level == "documented":
        builtin -= {"ignored_auth"}  # its exact 401/403 is ASM; the auth layer checks "no data"
    runs = [_Run("positive", "positive", builtin, custom, responses=ctx.level)]
    if layer == "conformance":
        # Acceptance of valid input is the positive run's job: a negative case that the steering
        # hook turned valid under the level's view may still break a cap of the mock's own.
        negative = builtin - {"positive_data_acceptance"}
        runs.append(_Run(ctx.level, "negative", negative, custom, responses=ctx.level))
    return runs


def _config(ctx: SuiteContext, layer: str, run: _Run) -> dict[str, Any]:
    options = ctx.options
    own = ctx.created_ids(ctx.group_id)
    readable = own[:5] + [r["id"] for r in ctx.baseline[:5]]
    groups = [ctx.group_id] + ([ctx.other_api.group_id] if ctx.other_api is not None else [])
    conformance = layer == "conformance"
    config: dict[str, Any] = {
        "auth": {
            "openapi": {
                "apikey": {"api_key": options.apikey},
                "basicAuth": {"username": options.user, "password": options.password},
            }
        },
        "checks": {name: {"enabled": name in run.builtin} for name in BUILT_IN_CHECKS},
        "phases": {
            "examples": {"enabled": conformance and "examples" in run.phases},
            # --read-only: no PATCH/PUT/DELETE... probes for unsupported methods either.
            "coverage": {"enabled": conformance and "coverage" in run.phases,
                         **({"unexpected-methods": []} if ctx.read_only else {})},
            "fuzzing": {"enabled": conformance and "fuzzing" in run.phases},
            "stateful": {"enabled": not conformance, "max-steps": 8, "inference": {"algorithms": []}},
        },
        "generation": {"max-examples": int(options.max_examples), "mode": run.mode, "database": "none"},
        # One wait for every answer, as the suite's own client's (schemathesis' own default is 10 s:
        # a slow answer its client gave up on would be a finding the suite's would not make).
        "request-timeout": float(options.timeout),
        "cache": {"enabled": False},
        # Hypothesis' health checks measure the generator, not the deployment: `too_slow` the
        # machine (a loaded runner, an engine waiting for a lock mid-draw), the others how many
        # of a seed's first draws schemathesis' own strategies threw away or found too large
        # (seed 1 at documented failed login's negative engine so: tests/test_generator_health.py).
        # A verdict must not depend on them; the cases drawn are judged as ever.
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
        "workers": 1,
        "dictionaries": {
            "contract_groups": {"values": groups},
            "contract_calendars": {"values": readable or [UNKNOWN_ID]},
            # Page sizes and offsets worth trying: the bounds, the default, past the end.
            "contract_results": {"values": [1, 2, 25, 100, 999, 1000, "all"]},
            "contract_offsets": {"values": [0, 1, len(ctx.baseline), len(ctx.baseline) + 1, 1000]},
        },
        "parameters": {
            "path.group_id": {"dictionary": "contract_groups", "probability": 0.7},
            "path.calendar_id": {"dictionary": "contract_calendars", "probability": 0.7},
            "query.results": {"dictionary": "contract_results", "probability": 0.3},
            "query.startIndex": {"dictionary": "contract_offsets", "probability": 0.3},
        },
    }
    if options.seed is not None:
        config["seed"] = int(options.seed)
    if options.base_url:
        config["base-url"] = options.base_url.rstrip("/")
    return config


def _spec(ctx: SuiteContext, run: _Run) -> dict[str, Any]:
    if run.spec_level == "positive":
        return positive_view(ctx.calendarsets)
    return calendar_spec.load_spec(run.spec_level)


def _load(ctx: SuiteContext, layer: str, run: _Run, spec: dict[str, Any]) -> Any:
    config = schemathesis.Config.from_dict(_config(ctx, layer, run))
    schema = schemathesis.openapi.from_dict(spec, config=config)
    if ctx.options.app is not None:
        schema.app = ctx.options.app
    if run.mode == "negative":
        # Only documented-invalid input is sent from this view: the coverage phase also yields
        # positive cases, which may break our (strict) assumptions - those come from the strict run.
        documented = ctx.level == "documented"

        @schema.hook
        def filter_case(context, case):
            return is_negative(case) and not (documented and coercible_type_case(case.body))

    # Conformance: one operation per engine, chosen by _engines (--read-only and the footprint
    # bound leave operations out there). The stateful chains, which need them all, run neither
    # read-only nor with the bound; they leave out what the deployment does not serve.
    if run.operation is not None:
        return schema.include(operation_id=run.operation)
    return schema.exclude(operation_id=sorted(ctx.unserved)) if ctx.unserved else schema


# Every generated create (and a negative one the steering made valid) would add a calendar that
# soft delete never removes: with a bounded footprint (footprint.py) creates are the semantic
# layer's create and invalid checks' job.
FOOTPRINT_EXCLUDED = "createCalendar"


def run_layers(ctx: SuiteContext, layers: Sequence[str], result: Any,
               on_cases: Callable[[int], None] | None = None) -> Iterable[Outcome]:
    """Run the conformance and stateful layers of `layers`; yields one Outcome per operation (or
    the chain), layer by layer. At --concurrency > 1 their engine runs go side by side
    (engines.py): the same cases and the same findings, sooner over a slow network."""
    install()
    started = time.monotonic()
    outcomes: dict[str, dict[str, Outcome]] = {layer: {} for layer in layers}
    skipped: dict[str, Outcome] = {}
    plan: list[tuple[str, _Run]] = []
    for layer in layers:
        runs = [(layer, engine) for run in _plan(ctx, layer) for engine in _engines(ctx, layer, run)]
        skip = _prepare(ctx, layer, outcomes[layer], len(writers(_operations(runs))))
        if skip is not None:
            skipped[layer] = skip
        else:
            plan += runs
    side_by_side = ctx.concurrency > 1 and len(plan) > 1
    # Generated PUT/DELETE land on the calendars of ours there are now (see Policy.part).
    targets = ctx.created_ids(ctx.group_id)
    turns = WriteTurns(side_by_side)
    counted = _locked(on_cases) if on_cases is not None and side_by_side else on_cases
    away = ([number for number, (_, run) in enumerate(plan) if run.writes_nothing]
            if side_by_side and second_process.available(ctx) else [])
    operations = _operations(plan)
    parts = partitions(operations, targets)
    # Longest first: the engines that write one calendar (a snapshot after each refusal), then
    # the other negative ones (more cases than positive: the coverage phase's).
    writing = set(writers(operations))
    order = sorted(range(len(plan)),
                   key=lambda number: (number not in writing, plan[number][1].mode != "negative"))
    ctx.listing = Gate(writers_first=True) if side_by_side else None
    try:
        found_by_run: list[EngineFindings] = second_process.run_split(
            ctx, [functools.partial(_engine_run, ctx, layer, run, part, turns)
                  for (layer, run), part in zip(plan, parts, strict=True)],
            away, ctx.concurrency if side_by_side else 1, order, counted, result.notes)
    finally:
        ctx.listing = None
    seen: dict[str, dict[Dedupe, Failure]] = {layer: {} for layer in layers}
    statuses: dict[str, dict[str, list[int]]] = {layer: {} for layer in layers}
    for found in found_by_run:  # in the plan's order, whichever ended first
        merge(found, outcomes[found.layer], seen[found.layer], statuses[found.layer], result)
    each = (time.monotonic() - started) / max(sum(len(found) for found in outcomes.values()), 1)
    for layer in layers:
        if layer in skipped:
            yield skipped[layer]
            continue
        _canary(ctx, layer, outcomes[layer], statuses[layer])
        for outcome in outcomes[layer].values():
            outcome.seconds = each
            outcome.status = "failed" if outcome.failures else "passed"
            yield outcome


def _operations(plan: list[tuple[str, _Run]]) -> list[str | None]:
    """Each engine run's operation, None for one that is not conformance's (partitions.writers)."""
    return [run.operation if layer == "conformance" else None for layer, run in plan]


def _prepare(ctx: SuiteContext, layer: str, outcomes: dict[str, Outcome], writers: int) -> Outcome | None:
    """Calendars for generated writes to target; the Outcome of a layer that cannot run."""
    if not ctx.read_only:
        # Calendars of ours for generated PUT/DELETE to land on (see Policy.steer): two, or one
        # for each of the layer's `writers`, the engines with a partition of their own.
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
    chain = "links (create -> show/update/delete -> restore)"
    if layer == "stateful" and not ctx.read_only and ctx.pool is not None:
        return Outcome("stateful", chain, status="skipped",
                       reason=f"its chains start with a create, each a calendar for good: the footprint is "
                       f"bounded (--max-own-calendars {ctx.pool.bound})", why=FOOTPRINT)
    if layer == "stateful" and ctx.read_only:
        return Outcome("stateful", chain, status="skipped", reason="needs writes (--read-only)",
                       why=READ_ONLY)
    return None


def _engines(ctx: SuiteContext, layer: str, run: _Run) -> list[_Run]:
    """Conformance runs two engines per operation, its coverage phase and the others (their
    requests then overlap: a slow network waits once for many); the stateful chains need every
    operation in one."""
    if layer != "conformance":
        return [run]
    methods = ("get",) if ctx.read_only else ("get", "put", "post", "delete", "patch")
    operations = [(item[method]["operationId"], method == "get" or path == LOGIN)
                  for path, item in _spec(ctx, run)["paths"].items() for method in methods if method in item]
    # An operation the view that judges the answers leaves out (documented: the calendarsets
    # paths, x-assumed) would only cost its cases: no rule could be checked on them. Neither
    # could one of a resource the deployment does not serve (discovery: ctx.unserved).
    judged = operations_by_id(calendar_spec.load_spec(run.responses)) if run.responses else None
    # Split so at every concurrency: the plan, and thus each run's cases, is the same whether
    # some go to a second process (second_process.py) or not.
    return [dataclasses.replace(run, operation=operation, phases=phases,
                                writes_nothing=changes_nothing and phases == DRAWN_PHASES)
            for operation, changes_nothing in operations
            if (judged is None or operation in judged) and operation not in ctx.unserved
            and not (ctx.pool is not None and operation == FOOTPRINT_EXCLUDED)
            for phases in (("coverage",), DRAWN_PHASES)]


def _engine_run(ctx: SuiteContext, layer: str, run: _Run, part: Partition, turns: WriteTurns,
                on_cases: Callable[[int], None] | None) -> EngineFindings:
    """One engine run, judged as it ends (merged afterwards, in plan order)."""
    spec = _spec(ctx, run)
    schema = _load(ctx, layer, run, spec)
    validator = Draft202012Validator({"$ref": "#/components/schemas/Name", "components": spec["components"]})
    policy = Policy(ctx, run.custom, validator, rng=random.Random(ctx.options.seed or 0), part=part,
                    turns=turns)
    if run.responses:
        policy.documented_responses = DocumentedResponses(calendar_spec.load_spec(run.responses))
    key = id(schema)
    _POLICIES[key] = policy
    recorded: list[Any] = []
    stream = from_schema(schema).execute()
    stop = getattr(ctx.transport, "stop", None)
    try:
        # On Ctrl-C / SIGTERM the engine stops generating (its requests are refused by then).
        with stop.on_stop(stream.stop) if stop is not None else contextlib.nullcontext():
            for event in stream:
                recorded.append(event)
                if on_cases is not None and isinstance(event, events.ScenarioFinished):
                    on_cases(len(event.recorder.cases))
    finally:
        policy.release_writes()
        _POLICIES.pop(key, None)
    return judge(ctx, layer, recorded)


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
