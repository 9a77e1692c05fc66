"""One engine run of the plan (plan.py): its schemathesis config and schema, its cases steered
(steer.py) and its events judged as it ends (findings.judge).

Positive cases are generated from the mock's view of the spec, the narrowest (only surely valid
input is sent); negative cases from the level's view (only input the level makes invalid is
expected to be refused - never one of the mock's own caps); responses are judged against the
level's view by a custom check.
"""

from __future__ import annotations

import contextlib
import functools
import random
from typing import Any

import calendar_spec
import schemathesis
from jsonschema import Draft202012Validator
from schemathesis.engine import events, from_schema

from ..context import UNKNOWN_ID, SuiteContext
from .check_names import BUILT_IN_CHECKS
from .checks import install
from .findings import EngineFindings, judge
from .partitions import Partition
from .plan import Job, OnCases, Plan, Run, spec_of
from .responses import DocumentedResponses
from .rules import is_negative
from .steer import _POLICIES, Policy, WriteTurns
from .views import coercible_type_case


def jobs(ctx: SuiteContext, plan: Plan, parts: list[Partition], turns: WriteTurns) -> list[Job]:
    """Each run of the plan, to be run; the writes of each reach its partition (`parts`)."""
    return [read_job(ctx, plan, number) if run.writes_nothing
            else functools.partial(_engine_run, ctx, plan, layer, run, part, turns)
            for number, ((layer, run), part) in enumerate(zip(plan.runs, parts, strict=True))]


def read_jobs(ctx: SuiteContext, plan: Plan, numbers: list[int]) -> list[Job]:
    """The runs `numbers`, which write nothing, in a second process: the suite's checks installed."""
    install()
    return [read_job(ctx, plan, number) for number in numbers]


def read_job(ctx: SuiteContext, plan: Plan, number: int) -> Job:
    """A run that writes nothing: no calendar to write to, no write turn to take (the same job
    wherever it runs: here after the rules, or in a second process beside them)."""
    layer, run = plan.runs[number]
    assert run.writes_nothing
    return functools.partial(_engine_run, ctx, plan, layer, run, Partition(()), None)


def _config(ctx: SuiteContext, plan: Plan, layer: str, run: Run) -> dict[str, Any]:
    options = ctx.options
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
            "contract_calendars": {"values": plan.readable or [UNKNOWN_ID]},
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


def _load(ctx: SuiteContext, plan: Plan, layer: str, run: Run, spec: dict[str, Any]) -> Any:
    config = schemathesis.Config.from_dict(_config(ctx, plan, layer, run))
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

    # Conformance: one operation per engine, chosen by plan.py (--read-only and the footprint
    # bound leave operations out there). The stateful chains, which need them all, run neither
    # read-only nor with the bound; they leave out what the deployment does not serve.
    if run.operation is not None:
        return schema.include(operation_id=run.operation)
    return schema.exclude(operation_id=sorted(ctx.unserved)) if ctx.unserved else schema


def _engine_run(ctx: SuiteContext, plan: Plan, layer: str, run: Run, part: Partition,
                turns: WriteTurns | None, on_cases: OnCases) -> EngineFindings:
    """One engine run, judged as it ends (merged afterwards, in plan order)."""
    spec = spec_of(ctx, run)
    schema = _load(ctx, plan, layer, run, spec)
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
