"""Steering generated writes at the suite's own data, and remembering what they create.

A global `before_call` hook (a no-op for schemas that are not ours) rewrites every generated
write so it only reaches the suite's own calendars: a PUT/DELETE calendar id that is not one of
ours becomes one of ours or an id that does not exist; a write to another group goes to the
user's group; a body `group_id` becomes the path's (no schema can tie the two); a valid
generated `name` becomes `contract-kit-<run>-st-<n>`. Rewrites keep each value valid or invalid
as it was, and schemathesis re-validates an edited case before judging it. Whatever a POST
creates is remembered and soft-deleted at the end.
"""

from __future__ import annotations

import itertools
import random
import re
from dataclasses import dataclass, field
from typing import Any

from ..context import UNKNOWN_ID, SuiteContext
from .responses import DocumentedResponses

WRITES = ("POST", "PUT", "DELETE")
_RUBY_INT = re.compile(r"\s*[+-]?([0-9]+)")  # what `"12abc".to_i` reads: writes must not reach id 12
_POLICIES: dict[int, Policy] = {}


# -- per-run policy -----------------------------------------------------------------------------------
@dataclass
class Policy:
    ctx: SuiteContext
    checks: set[str]  # custom checks enabled for this schema
    name_validator: Any  # decides whether a generated name is valid (then we may rename it)
    documented_responses: DocumentedResponses | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    snapshots: dict[int, Any] = field(default_factory=dict)  # id(case) -> state before a write
    # The calendars of ours a generated PUT/DELETE is steered to, fixed when the engine starts
    # (not whatever exists when the case comes: with engines side by side that depends on timing).
    targets: list[int] = field(default_factory=list)
    # Engines side by side share one lock: a generated write holds it from its first snapshot to
    # the end of its checks (the next call of the same engine, or the engine's end).
    write_lock: Any = None
    holding: bool = False

    def hold_writes(self) -> None:
        if self.write_lock is not None:
            self.write_lock.acquire()
            self.holding = True

    def release_writes(self) -> None:
        if self.holding:
            self.holding = False
            self.write_lock.release()

    def steer(self, case: Any) -> None:
        """Point a generated write at the suite's own data (see the module docstring)."""
        method = case.method.upper()
        if method not in WRITES:
            return
        path = case.path_parameters if isinstance(case.path_parameters, dict) else None
        if path is not None and "group_id" in path:
            group = _leading_int(path["group_id"])
            if group is not None and group >= 1 and group != self.ctx.group_id:
                path["group_id"] = _like(path["group_id"], self.ctx.group_id)
        if path is not None and "calendar_id" in path and method in ("PUT", "DELETE"):
            calendar_id = _leading_int(path["calendar_id"])
            ours = calendar_id is not None and self.ctx.created.get(calendar_id) == self.ctx.group_id
            if calendar_id is not None and calendar_id >= 1 and not ours:
                choice = self.rng.choice([*self.targets, UNKNOWN_ID])
                path["calendar_id"] = _like(path["calendar_id"], choice)
        body = case.body
        calendar = body.get("calendar") if isinstance(body, dict) else None
        if isinstance(calendar, dict):
            group_id = calendar.get("group_id")
            path_group = _leading_int((path or {}).get("group_id", ""))
            if isinstance(group_id, int | float) and not isinstance(group_id, bool) and path_group:
                # The body's group_id must equal the path's (CONTRACT.md); no schema can say so.
                calendar["group_id"] = float(path_group) if isinstance(group_id, float) else path_group
            name = calendar.get("name")
            if isinstance(name, str) and self.name_validator.is_valid(name):
                calendar["name"] = f"{self.ctx.prefix}-st-{next(self.counter)}"
            sort = calendar.get("sort")
            if isinstance(sort, int) and not isinstance(sort, bool) and abs(sort) > 100_000:
                calendar["sort"] = sort % 1000  # keep the group's sorts far from the 32-bit edge

    def observe(self, case: Any, response: Any) -> None:
        if case.method.upper() != "POST" or not 200 <= response.status_code < 300:
            return
        try:
            body = response.json()
        except Exception:
            return
        group = _leading_int((case.path_parameters or {}).get("group_id", ""))
        if isinstance(body, dict) and isinstance(body.get("id"), int) and group is not None:
            if group == self.ctx.group_id:
                self.ctx.remember_created(body["id"])
            elif self.ctx.other_api is not None and group == self.ctx.other_api.group_id:
                self.ctx.remember_created(body["id"], self.ctx.other_api)


def _leading_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    found = _RUBY_INT.match(str(value))
    return int(found[1]) if found else None


def _like(original: Any, value: int) -> Any:
    """`value` in the form of `original`: only its leading integer replaced, so that an id
    that was invalid ("12abc", 1.4e-45) stays invalid and one that was valid stays valid."""
    if isinstance(original, int) and not isinstance(original, bool):
        return value
    text = str(original)
    found = _RUBY_INT.match(text)
    return f"{text[:found.start(1)]}{value}{text[found.end(1):]}" if found else str(value)


def _policy(case: Any) -> Policy | None:
    try:
        return _POLICIES.get(id(case.operation.schema))
    except AttributeError:
        return None
