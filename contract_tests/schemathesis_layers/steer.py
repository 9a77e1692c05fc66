"""Steering generated writes at the suite's own data, and remembering what they create.

A global `before_call` hook (a no-op for schemas that are not ours) rewrites every generated
write so it only reaches the suite's own calendars: a PUT/DELETE calendar id that is not one of
the engine's targets (its partition, partitions.py) becomes one of them or an id that does not
exist; a write to another group goes to the
user's group; a body `group_id` becomes the path's (no schema can tie the two); a valid
generated `name` becomes `contract-kit-<run>-st-<n>`. Rewrites keep each value valid or invalid
as it was, and schemathesis re-validates an edited case before judging it. Whatever a POST
creates is remembered and soft-deleted at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from ..context import SuiteContext
from ..gate import Gate
from ..unchanged import snapshot
from .partitions import Partition
from .responses import DocumentedResponses

WRITES = ("POST", "PUT", "DELETE")
_RUBY_INT = re.compile(r"\s*[+-]?([0-9]+)")  # what `"12abc".to_i` reads: writes must not reach id 12
_POLICIES: dict[int, Policy] = {}


class WriteTurns:
    """The turns generated writes take (engines side by side): a gate.Gate held shared by a
    write that can only reach its engine's partition, alone by any other; and how many went
    alone so far (a kept view is stale once one did). Without a gate (one engine at a time)
    only the count."""

    def __init__(self, side_by_side: bool) -> None:
        self._gate = Gate(writers_first=True) if side_by_side else None
        self._alone = 0
        self._lock = threading.Lock()

    def take(self, alone: bool) -> contextlib.ExitStack:
        held = contextlib.ExitStack()
        if self._gate is not None:
            held.enter_context(self._gate.alone() if alone else self._gate.shared())
        if alone:
            with self._lock:
                self._alone += 1
        return held

    def alone_count(self) -> int:
        with self._lock:
            return self._alone


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
    # Where a generated PUT/DELETE is steered (its targets, fixed when the engine starts: not
    # whatever exists when the case comes, which depends on timing) and, when the engine has a
    # partition of its own, that partition (partitions.py).
    part: Partition = field(default_factory=lambda: Partition(()))
    turns: WriteTurns | None = None
    _held: contextlib.ExitStack | None = None
    _in_flight: contextlib.ExitStack | None = None
    # The view after this engine's last refused write, and the count of lone writes it was read
    # at: while no write went alone since, it is still the state the next write meets.
    kept: tuple[int, dict[str, Any]] | None = None

    def own_only(self, case: Any) -> bool:
        """Whether a (steered) write can reach nothing but this engine's partition: a PUT or
        DELETE of one of its calendars, of its unknown id, or of an id that names no calendar
        (`"abc".to_i` is 0; an empty id, though, routes to another path). Any other write goes alone."""
        path = case.path_parameters if isinstance(case.path_parameters, dict) else {}
        if not self.part.own or case.method.upper() not in ("PUT", "DELETE") or "calendar_id" not in path:
            return False
        calendar_id = _leading_int(path["calendar_id"])
        if calendar_id is None or calendar_id < 1:
            return str(path["calendar_id"]).strip() != ""
        return calendar_id in self.part.own or calendar_id == self.part.unknown_id

    def hold_writes(self, own_only: bool) -> None:
        """Take this write's turn: side by side with the other engines' writes to their own
        partitions when it can only reach this engine's (`own_only`), else alone."""
        if self.turns is not None:
            self._held = self.turns.take(alone=not own_only)

    def sending(self, own_only: bool) -> None:
        """A write beside other engines' (`own_only`) is on its way: no list read of theirs in
        pages takes its pages across it (threads.CheckThreads.listing) until it is `answered`."""
        if own_only and self.ctx.listing is not None:
            self._in_flight = contextlib.ExitStack()
            self._in_flight.enter_context(self.ctx.listing.shared())

    def answered(self) -> None:
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.close()

    def release_writes(self) -> None:
        self.answered()  # a call that raised had no answer
        held, self._held = self._held, None
        if held is not None:
            held.close()

    def before_write(self, case: Any, own_only: bool) -> dict[str, Any]:
        """The state a write is judged against: the whole group, or this engine's own calendars
        alone for a write that can only reach them (`own_only`; partitions.py)."""
        calendar_id = _leading_int((case.path_parameters or {}).get("calendar_id", ""))
        extra = [calendar_id] if calendar_id else []
        kept, self.kept = self.kept, None
        if not own_only:
            return snapshot(self.ctx, extra)
        if kept is not None and kept[0] == self.turns.alone_count() and set(extra) <= kept[1]["own"].keys():
            return kept[1]
        return snapshot(self.ctx, extra, self.part.seen)

    def keep(self, after: dict[str, Any]) -> None:
        if self.turns is not None and after.get("seen") is not None:
            self.kept = (self.turns.alone_count(), after)

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
            ours = (calendar_id in self.part.own if self.part.own
                    else calendar_id is not None and self.ctx.created.get(calendar_id) == self.ctx.group_id)
            if calendar_id is not None and calendar_id >= 1 and not ours:
                # Two in three to a calendar of ours (a refusal that leaves a trace shows only
                # there), one to an id that does not exist.
                targets = self.part.targets
                choice = (self.rng.choice(targets) if targets and self.rng.random() < 2 / 3
                          else self.part.unknown_id)
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
