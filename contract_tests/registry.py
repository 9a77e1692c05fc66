"""Rule checks of the semantic and auth layers, each registered under an `x-contract-rules` id.

A check is a small function `check(ctx)` that sends requests through `ctx.api` and states
what must hold with `ctx.expect(...)`. Whether it runs is decided mechanically: its rule id
must be in `calendar_spec.rules(level)` (so ASM rules drop out at `--level documented`), its
layer must be selected, and a check that writes is skipped under `--read-only`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import calendar_spec

SPEC_RULES: dict[str, dict[str, Any]] = {rule["id"]: rule for rule in calendar_spec.rules("strict")}


# Rules no check can observe by calling one deployment, and why.
UNCHECKED = {
    "transport.servers": "names ClicRDV's base URLs; calling one deployment cannot observe it",
}


def rule_tag(rule_id: str) -> str:
    return SPEC_RULES.get(rule_id, {}).get("tag", "-")


@dataclass(frozen=True)
class RuleCheck:
    rule_id: str
    layer: str
    func: Callable[[Any], None]
    writes: bool
    retry: bool
    final: bool = False
    alone: bool = False

    @property
    def name(self) -> str:
        return f"{self.func.__module__.rsplit('.', 1)[-1]}.{self.func.__name__}"


CHECKS: list[RuleCheck] = []  # filled as contract_tests.checks registers them


def rule(
    rule_id: str, *, layer: str, writes: bool = False, retry: bool = False, final: bool = False,
    alone: bool = False,
) -> Callable:
    """Register `func` as (part of) the check of `rule_id`.

    `writes`: the check creates or changes calendars (skipped with --read-only).
    `retry`: the check compares reads of shared data; on a staging server someone else may
    change that data between two reads, so a failure is confirmed by one re-run, and one that
    stands is not judged when the group moves while the run sends it nothing (others.py).
    `final`: run after every other check of the layer (checks over all exchanges sent).
    `alone`: its verdict depends on the whole group or on every calendar the run made so far,
    so no other check runs beside it (--concurrency); the others run side by side.
    """
    if rule_id not in SPEC_RULES:
        raise KeyError(f"{rule_id!r} is not a rule id of spec/openapi.yaml x-contract-rules")
    if layer not in ("semantic", "auth"):
        raise ValueError(f"rule checks belong to the semantic or auth layer, not {layer!r}")

    def decorator(func: Callable[[Any], None]) -> Callable[[Any], None]:
        CHECKS.append(RuleCheck(rule_id, layer, func, writes, retry, final, alone))
        return func

    return decorator
