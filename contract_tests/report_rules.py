"""The per-rule table of a run: every rule of the level, checked, failed or not checked - and why not.

A rule counts as checked when a check that could have failed it judged the deployment (a
semantic/auth check that ran, or a schemathesis check that really applied: see
`schemathesis_layers.rules.credited_rule`). A rule that was not checked says why, as a kind
(`model.READ_ONLY`, `NO_SECOND_IDENTITY`, `NO_INTERVENTION`, `LAYER_NOT_RUN`, `UNOBSERVABLE`,
`DISCOVERY_FAILED`, `RUN_STOPPED`, `NO_DATA`) and a sentence: a run that could not look is never read as one
that found nothing wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import calendar_spec

from .checks import ALL as CHECKS
from .model import (
    LAYER_NOT_RUN,
    LAYERS,
    NO_DATA,
    NOT_AT_LEVEL,
    UNOBSERVABLE,
    Failure,
    Outcome,
)
from .registry import UNCHECKED


class SuiteResult(Protocol):
    """What the table reads of a run's result (`report.SuiteResult`)."""

    level: str
    layers: tuple[str, ...]
    stopped: str
    stopped_why: str
    outcomes: list[Outcome]

    @property
    def failures(self) -> list[Failure]: ...

    def holds(self) -> frozenset[str]: ...

CHECKED, FAILED, NOT_CHECKED = "checked", "failed", "not checked"
PARTLY = "partly skipped: "  # how the runner words an outcome some of whose checks did not run


@dataclass(frozen=True)
class RuleStatus:
    rule_id: str
    tag: str
    status: str  # CHECKED | FAILED | NOT_CHECKED
    why: str = ""  # NOT_CHECKED: the kind of reason; CHECKED: "" (or the kind of a partial skip)
    reason: str = ""  # the reason in words; for a checked rule, what part of it was skipped
    layers: tuple[str, ...] = ()  # the layers that checked (or failed) it
    failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.rule_id, "tag": self.tag, "status": self.status, "why": self.why,
                "reason": self.reason, "layers": list(self.layers), "failures": self.failures}


def rule_table(result: SuiteResult) -> list[RuleStatus]:
    """One row per rule of the run's level, in the spec's order."""
    held = result.holds()
    return [_status(result, rule["id"], rule["tag"]) for rule in calendar_spec.rules("strict")
            if rule["id"] in held]


def not_at_level(result: SuiteResult) -> list[str]:
    """The spec's rules the run's level leaves out (ASM at documented; with a profile, the
    assumptions it answers otherwise)."""
    held = result.holds()
    return [rule["id"] for rule in calendar_spec.rules("strict") if rule["id"] not in held]


def _status(result: SuiteResult, rule_id: str, tag: str) -> RuleStatus:
    failures = [f for f in result.failures if f.rule_id == rule_id]
    if failures:
        layers = tuple(dict.fromkeys(f.layer for f in failures))
        return RuleStatus(rule_id, tag, FAILED, layers=layers, failures=len(failures))
    outcomes = [o for o in result.outcomes if rule_id in o.rules]
    judged = [o for o in outcomes if o.status != "skipped"]
    if judged:
        partly = [o.reason.removeprefix(PARTLY) for o in judged if o.reason.startswith(PARTLY)]
        return RuleStatus(rule_id, tag, CHECKED, reason="; ".join(partly),
                          layers=tuple(dict.fromkeys(o.layer for o in judged)))
    why, reason = _why_not(result, rule_id, outcomes)
    return RuleStatus(rule_id, tag, NOT_CHECKED, why=why, reason=reason)


def _why_not(result: SuiteResult, rule_id: str, outcomes: list[Any]) -> tuple[str, str]:
    if rule_id in UNCHECKED:
        return UNOBSERVABLE, UNCHECKED[rule_id]
    if result.stopped:
        return result.stopped_why, result.stopped
    skipped = [o for o in outcomes if o.status == "skipped" and o.why != NOT_AT_LEVEL]
    if skipped:
        return skipped[0].why or NO_DATA, skipped[0].reason
    homes = [layer for layer in LAYERS if any(c.rule_id == rule_id and c.layer == layer for c in CHECKS)]
    if homes and not set(homes) & set(result.layers):
        return LAYER_NOT_RUN, f"its checks are in the {' and '.join(homes)} layer, which this run left out"
    return NO_DATA, "no check of this run judged it"


def summary_lines(result: SuiteResult) -> list[str]:
    """The table, compact: counts, the rules that failed, then those not checked (or checked in
    part) grouped by reason. Every row, one by one, is in the JSON and JUnit reports."""
    table = rule_table(result)
    count = {status: sum(row.status == status for row in table) for status in (CHECKED, FAILED, NOT_CHECKED)}
    lines = [f"rules of --level {result.level}: {count[CHECKED]} checked, {count[FAILED]} failed, "
             f"{count[NOT_CHECKED]} not checked (of {len(table)})"]
    lines += [f"  FAILED       {row.rule_id} ({row.tag}) - {row.failures} failure(s), {', '.join(row.layers)}"
              for row in table if row.status == FAILED]
    groups: dict[tuple[str, str], list[RuleStatus]] = {}
    for row in table:
        if row.status == NOT_CHECKED:
            groups.setdefault(("not checked", f"{row.why}: {row.reason}"), []).append(row)
        elif row.status == CHECKED and row.reason:
            groups.setdefault(("partly", f"checked; skipped: {row.reason}"), []).append(row)
    for (label, reason), rows in groups.items():
        names = [f"{row.rule_id} ({row.tag})" for row in rows]
        if len(rows) == 1:
            lines.append(f"  {label:<12} {names[0]} - {reason}")
            continue
        lines.append(f"  {label:<12} {len(rows)} rules - {reason}:")
        lines += _wrapped(names, indent=15, width=110)
    left_out = not_at_level(result)
    if left_out:
        lines.append(f"  ({len(left_out)} ASM rules are not part of --level {result.level}; --level strict "
                     "holds them)")
    return lines


def _wrapped(items: list[str], *, indent: int, width: int) -> list[str]:
    """`items` comma-separated over lines of at most `width` characters (never split in one)."""
    lines: list[str] = []
    line = ""
    for number, item in enumerate(items, 1):
        piece = item if number == len(items) else f"{item}, "
        if line and indent + len(line) + len(piece.rstrip()) > width:
            lines.append(" " * indent + line.rstrip())
            line = ""
        line += piece
    return [*lines, " " * indent + line] if line else lines
