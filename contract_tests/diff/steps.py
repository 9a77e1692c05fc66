"""A step of a scenario: one request, written once for both sides.

A step names the calendars it touches by *slot* (the n-th calendar the scenario created), never
by id, and writes the per-side values as tokens that `sides.resolve` fills in for each side:

    <prefix>   the side's run-specific name prefix (contract-kit-diff-<run>-a / -b)
    <PREFIX>   the same, upper-cased (for case-sensitivity probes)
    <id:N>     the id the side gave slot N
    $group     the side's group id (as a JSON integer)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNKNOWN = -1  # the slot of a calendar that exists nowhere (the id UNKNOWN_ID)
BAD_APIKEY = "not-a-valid-apikey-0000"


@dataclass(frozen=True)
class Step:
    """One request of the scenario. `operation` is the spec's operationId whose path it uses
    (`method` may differ from it, for a 405 probe); `target` the slot in the path."""

    index: int
    kind: str
    method: str
    operation: str
    target: int | None = None
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    raw_body: str | None = None
    bad_apikey: bool = False
    creates: int | None = None  # the slot a 201 to this step fills

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)

    def params_named(self, name: str) -> list[str]:
        return [value for key, value in self.params if key == name]

    def conditions(self) -> list[dict[str, str]]:
        """The `conditions[i][...]` triples, as dicts."""
        found: dict[str, dict[str, str]] = {}
        for key, value in self.params:
            if key.startswith("conditions["):
                index, _, part = key[len("conditions["):].partition("][")
                found.setdefault(index, {})[part.rstrip("]")] = value
        return list(found.values())
