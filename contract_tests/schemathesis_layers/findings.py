"""What one schemathesis engine run found, judged from its events as soon as it ends, as plain
data: the findings in the order they were made, merged into the layer's outcomes in the plan's
order afterwards (`merge`), so that whichever engine ended first, the outcomes, the failures kept
as evidence and their counts are the same. The events (every case and answer of the run) are
let go once judged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemathesis.engine import Status, events

from ..context import SuiteContext, short
from ..model import Failure, Outcome
from ..registry import SPEC_RULES, rule_tag
from .rules import MARKER, credited_rule, curl_of, expected, is_negative, open_reading, rule_for

CHAIN = "links (create -> show/update/delete -> restore)"  # the stateful layer's one outcome
Dedupe = tuple[str, str, str, str]  # outcome, rule, check, failure title: one Failure, counted


@dataclass
class Step:
    """One finding: `outcome` met (created if new); `rule` checked once more, if any; `failure`
    kept, unless one with the same `dedupe` key was kept before (then counted)."""

    outcome: str
    rule: str | None = None
    failure: Failure | None = None
    dedupe: Dedupe | None = None


@dataclass
class EngineFindings:
    layer: str
    cases: int = 0
    statuses: dict[str, list[int]] = field(default_factory=dict)  # per operation label
    steps: list[Step] = field(default_factory=list)


def judge(ctx: SuiteContext, layer: str, recorded: list[Any]) -> EngineFindings:
    found = EngineFindings(layer)
    met: set[str] = set()
    kept: dict[Dedupe, Failure] = {}  # a failure seen again in this run is counted on the first
    for event in recorded:
        _judge_event(ctx, layer, event, found, met, kept)
    return found


def merge(found: EngineFindings, outcomes: dict[str, Outcome], seen: dict[Dedupe, Failure],
          statuses: dict[str, list[int]], result: Any) -> None:
    result.cases += found.cases
    for label, codes in found.statuses.items():
        statuses.setdefault(label, []).extend(codes)
    for step in found.steps:
        outcome = outcome_of(outcomes, found.layer, step.outcome)
        if step.rule is not None:
            outcome.checks += 1
            outcome.rules.add(step.rule)
        if step.failure is None:
            continue
        if step.dedupe is not None:
            if step.dedupe in seen:
                seen[step.dedupe].occurrences += step.failure.occurrences
                continue
            seen[step.dedupe] = step.failure
        outcome.failures.append(step.failure)


def outcome_of(outcomes: dict[str, Outcome], layer: str, name: str) -> Outcome:
    if name not in outcomes:
        outcomes[name] = Outcome(layer, name)
    return outcomes[name]


def _meet(found: EngineFindings, met: set[str], name: str) -> None:
    """The outcome's first mention in this run (the outcomes are listed in the order met)."""
    if name not in met:
        met.add(name)
        found.steps.append(Step(name))


def _first_failures(error: BaseException) -> str:
    """What failed inside an error that groups others (Hypothesis' "unreliable results": a case
    that failed once and passed when replayed), which its own message does not say."""
    inner = getattr(error, "exceptions", None) or ()
    return "".join(f"; first failure: {type(sub).__name__}: {short(str(sub), 600)}" for sub in inner[:3])


def _judge_event(ctx: SuiteContext, layer: str, event: Any, found: EngineFindings, met: set[str],
                 kept: dict[Dedupe, Failure]) -> None:
    if isinstance(event, events.NonFatalError):
        name = event.label if layer == "conformance" else CHAIN
        _meet(found, met, name)
        found.steps.append(Step(name, failure=Failure(
            "suite.error",
            "-",
            layer,
            event.label,
            f"schemathesis could not test this: {event.info.title}: {event.info.message}"
            f"{_first_failures(event.value)}",
        )))
        return
    if not isinstance(event, events.ScenarioFinished):
        return
    recorder = event.recorder
    found.cases += len(recorder.cases)
    for case_id, node in recorder.cases.items():
        case = node.value
        label = case.operation.label
        response = recorder.interactions.get(case_id)
        if response is not None and response.response is not None:
            found.statuses.setdefault(label, []).append(response.response.status_code)
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        name = case.operation.label if layer == "conformance" else CHAIN
        _meet(found, met, name)
        interaction = recorder.interactions.get(case_id)
        status = interaction.response.status_code if interaction and interaction.response else None
        operation_id = case.operation.definition.raw.get("operationId", "")
        for node in nodes:
            if node.status not in (Status.SUCCESS, Status.FAILURE):
                continue
            failure = node.failure_info.failure if node.failure_info is not None else None
            if failure is None:
                # A success makes its rule checked only when the check really judged this case.
                credited = credited_rule(node.name, case, status)
                if credited is not None and ctx.applies(credited) and _concerns(credited, operation_id):
                    found.steps.append(Step(name, rule=credited))
                continue
            rule_id = rule_for(node.name, case, status, failure)
            if not ctx.applies(rule_id) or open_reading(
                    node.name, case, interaction.request.uri if interaction is not None else None):
                continue
            dedupe = (name, rule_id, node.name, failure.title)
            if dedupe in kept:
                kept[dedupe].occurrences += 1
                found.steps.append(Step(name, rule_id))
                continue
            kept[dedupe] = Failure(
                rule_id=rule_id,
                tag=rule_tag(rule_id),
                layer=layer,
                operation=case.operation.label,
                message=f"{failure.title} (schemathesis check {node.name}, "
                f"{'negative' if is_negative(case) else 'positive'} case): "
                f"{MARKER.sub('', failure.message or '')}".strip(),
                curl=curl_of(node.failure_info.code_sample),
                expected=expected(node.name),
                actual=f"status {status}" if status is not None else "",
            )
            found.steps.append(Step(name, rule_id, kept[dedupe], dedupe))


def _concerns(rule_id: str, operation_id: str) -> bool:
    """Whether the rule speaks about this operation (its `operations` in x-contract-rules)."""
    operations = SPEC_RULES.get(rule_id, {}).get("operations") or []
    return not operations or operation_id in operations


