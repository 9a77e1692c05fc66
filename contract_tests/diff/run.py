"""`run_diff(DiffOptions(...)) -> DiffResult`: one scenario sent to two deployments, compared.

    from contract_tests.diff import DiffOptions, SideOptions, run_diff
    result = run_diff(DiffOptions(SideOptions(), SideOptions(profile="contrarian"), seed=1))
    print(text(result)); result.passed, result.questions()
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..http import Exchange, Unreachable
from .compare import Difference, bodies, compare
from .questions import Seen, explain
from .report import DiffResult, Finding, StepResult, write_json
from .scenario import DEFAULT_STEPS, build_scenario
from .sides import DiffUsageError, Side, SideOptions, check_reachable, clean_up, open_side, run_prefixes, send
from .steps import Step


@dataclass
class DiffOptions:
    a: SideOptions = field(default_factory=SideOptions)
    b: SideOptions = field(default_factory=SideOptions)
    seed: int = 0
    steps: int = DEFAULT_STEPS
    report_json: str | None = None


def run_diff(options: DiffOptions) -> DiffResult:
    """Raises DiffUsageError for bad options, refused credentials or an unreachable server."""
    if options.steps < 1:
        raise DiffUsageError("--steps must be at least 1")
    scenario = build_scenario(options.seed, options.steps)
    prefixes = run_prefixes()
    a, b = open_side("A", options.a, prefixes[0]), open_side("B", options.b, prefixes[1])
    result = DiffResult(options.seed, a.target, b.target, prefixes)
    try:
        check_reachable(a)
        check_reachable(b)
        if a.group_id != b.group_id:
            result.notes.append(f"groups differ (A {a.group_id}, B {b.group_id}): compared as <group>")
        for step in scenario:
            result.steps.append(_run_step(step, a, b))
    except Unreachable as error:  # the steps compared so far are reported, without a verdict
        result.stopped = f"a server stopped answering: {error}"
    finally:
        for side in (a, b):
            try:
                result.notes.append(clean_up(side))
            except Unreachable:
                result.notes.append(f"clean-up {side.label} skipped: the server is unreachable")
            side.api.transport.close()
    if options.report_json:
        write_json(result, options.report_json)
    return result


def _run_step(step: Step, a: Side, b: Side) -> StepResult:
    deleted = max(sum(a.deleted.values()), sum(b.deleted.values()))
    a_answer, b_answer = send(a, step), send(b, step)
    outcome = StepResult(step, (_status(a_answer), _status(b_answer)),
                         curls=(_curl(a_answer), _curl(b_answer)))
    if a_answer is None or b_answer is None:
        if a_answer is not None or b_answer is not None:  # neither side has the calendar: no difference
            diff = Difference("unpaired", f"calendar #{step.target}", _sent(a_answer), _sent(b_answer))
            outcome.findings.append(Finding(diff, []))
        return outcome
    left, right = bodies(a, b, a_answer, b_answer)
    for diff in compare(a_answer, b_answer, left, right):
        seen = Seen(step, diff, a_answer, b_answer, left, right, deleted)
        outcome.findings.append(Finding(diff, explain(seen)))
    return outcome


def _sent(exchange: Exchange | None) -> str:
    return "sent" if exchange is not None else "not sent: its create failed on this side"


def _status(exchange: Exchange | None) -> int | None:
    return exchange.status if exchange is not None else None


def _curl(exchange: Exchange | None) -> str:
    return exchange.curl() if exchange is not None else ""
