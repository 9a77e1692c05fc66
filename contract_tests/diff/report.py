"""What a diff found, step by step and operation by operation: as text for people, as JSON for tools."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from ..spec_facts import OPERATIONS
from .compare import Difference
from .steps import UNKNOWN, Step


@dataclass
class Finding:
    """A difference and the open questions that may explain it."""

    diff: Difference
    questions: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {**self.diff.as_dict(), "questions": self.questions}


@dataclass
class StepResult:
    step: Step
    statuses: tuple[int | None, int | None]
    findings: list[Finding] = field(default_factory=list)
    curls: tuple[str, str] = ("", "")

    @property
    def operation(self) -> str:
        """`METHOD template`, as the spec names the path."""
        return f"{self.step.method} {OPERATIONS[self.step.operation][1]}"


class StepTotals:
    """What a result of compared steps (`self.steps`) adds up to; diff's and replay's."""

    steps: list[StepResult]
    # Why the run ended before its last step (a server stopped answering): the steps compared so
    # far are still reported, but there is no verdict.
    stopped: str | None = None

    @property
    def differences(self) -> int:
        return sum(len(step.findings) for step in self.steps)

    @property
    def passed(self) -> bool:
        return self.differences == 0 and self.stopped is None

    def questions(self) -> Counter[str]:
        return Counter(q for step in self.steps for f in step.findings for q in f.questions)

    def unexplained(self) -> int:
        return sum(1 for step in self.steps for f in step.findings if not f.questions)

    def operations(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for step in self.steps:
            row = table.setdefault(step.operation, {"steps": 0, "differing": 0, "differences": 0})
            row["steps"] += 1
            row["differing"] += bool(step.findings)
            row["differences"] += len(step.findings)
        return table


@dataclass
class DiffResult(StepTotals):
    seed: int
    a: str
    b: str
    prefixes: tuple[str, str]
    steps: list[StepResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def describe(step: Step) -> str:
    """The request as the scenario wrote it: per-side values still tokens."""
    path = OPERATIONS[step.operation][1].replace("{group_id}", "$group")
    if step.target is not None:
        path = path.replace("{calendar_id}", "UNKNOWN" if step.target == UNKNOWN else f"#{step.target}")
    query = "&".join(f"{key}={value}" for key, value in step.params)
    text = f"{step.method} {path}" + (f"?{unquote(query)}" if query else "")
    if step.raw_body is not None:
        text += f"  body {step.raw_body}"
    elif step.body is not None:
        text += f"  body {_short(json.dumps(step.body, ensure_ascii=False), 110)}"
    return text + ("  (bad apikey)" if step.bad_apikey else "")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value(value: Any) -> str:
    return _short(json.dumps(value, ensure_ascii=False), 60)


def finding_line(finding: Finding, sides: tuple[str, str] = ("A", "B")) -> str:
    """One difference and the questions that may explain it, on one line."""
    diff = finding.diff
    where = "" if diff.path in ("status", "$") else f" {diff.path}"
    if diff.kind == "keys":
        said = "; ".join(f"only in {side}: {', '.join(keys)}"
                         for side, keys in zip(sides, (diff.a, diff.b), strict=True) if keys)
    else:
        said = f"{sides[0]} {_value(diff.a)} | {sides[1]} {_value(diff.b)}"
    count = f" (x{diff.count})" if diff.count > 1 else ""
    why = f"[{', '.join(finding.questions)}]" if finding.questions else "[unexplained]"
    return f"{diff.kind}{where}: {said}{count}  {why}"


def text(result: DiffResult) -> str:
    lines = [f"calendar-contract diff: seed {result.seed}, {len(result.steps)} steps",
             f"  A: {result.a}", f"  B: {result.b}",
             f"  names: {result.prefixes[0]}-… (A), {result.prefixes[1]}-… (B); ids of B mapped to A's"]
    for step in result.steps:
        if not step.findings:
            continue
        lines.append(f"step {step.step.index} {step.step.kind}: {describe(step.step)}")
        lines.extend(f"  {finding_line(finding)}" for finding in step.findings)
    lines.extend(totals_lines(result, result.notes, "steps"))
    return "\n".join(lines)


def totals_lines(result: StepTotals, notes: list[str], what: str) -> list[str]:
    """The per-operation table, the questions named, `notes` and the result line."""
    lines = ["per operation:"]
    table = sorted(result.operations().items())
    width = max((len(operation) for operation, _ in table), default=0)
    for operation, row in table:
        lines.append(f"  {operation:<{width}} {row['steps']:>3} {what[:-1]}(s), "
                     f"{row['differing']:>3} differ, {row['differences']:>3} difference(s)")
    if result.differences:
        explained = ", ".join(f"{q} ({n})" for q, n in result.questions().most_common())
        lines.append(f"open questions that explain differences: {explained or 'none'}")
        lines.append(f"differences no open question explains: {result.unexplained()}")
    lines.extend(notes)
    differing = sum(1 for step in result.steps if step.findings)
    verdict = "STOPPED, NO VERDICT" if result.stopped else "no differences" if result.passed else "DIFFERENT"
    lines.append(f"result: {verdict}: {differing} of {len(result.steps)} {what} differ, "
                 f"{result.differences} difference(s)")
    if result.stopped:
        lines.append(f"stopped after {len(result.steps)} {what}: {result.stopped}")
    return lines


def as_json(result: DiffResult) -> dict[str, Any]:
    return {
        "seed": result.seed,
        "a": result.a,
        "b": result.b,
        "prefixes": list(result.prefixes),
        "passed": result.passed,
        "stopped": result.stopped,
        "differences": result.differences,
        "unexplained": result.unexplained(),
        "questions": dict(result.questions().most_common()),
        "operations": result.operations(),
        "steps": [
            {
                "index": step.step.index,
                "kind": step.step.kind,
                "operation": step.operation,
                "request": describe(step.step),
                "status": {"a": step.statuses[0], "b": step.statuses[1]},
                "differences": [finding.as_dict() for finding in step.findings],
                "curl": {"a": step.curls[0], "b": step.curls[1]},
            }
            for step in result.steps
        ],
        "notes": result.notes,
    }


def write_json(result: DiffResult, path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump(as_json(result), out, ensure_ascii=False, indent=2)
        out.write("\n")
