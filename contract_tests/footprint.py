"""A bounded footprint: the calendars the suite ever creates in a group stay under
`--max-own-calendars`, however many runs. Soft delete cannot remove a calendar, so the suite
reuses its own calendars of earlier runs (named `contract-kit-...`, found in the group's list)
before it creates any: a reused one is restored to a known state by PUT (the spec's defaults,
the new name, `deleted` false). A create beyond the bound is not sent: the check that needed
it is reported as not checked (FOOTPRINT), and schemathesis' generated creates stop there.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .spec_facts import WRITABLE_FIELDS

PREFIX = "contract-kit-"
# What a reused calendar is set to before its new name and fields: what a create with only a
# name leaves, as the spec's defaults say (no calendarset: one may not exist any more).
KNOWN_STATE: dict[str, Any] = {name: schema["default"] for name, schema in WRITABLE_FIELDS.items()
                               if "default" in schema and name not in ("group_id", "deleted")}


def own_ids(records: Iterable[dict[str, Any]]) -> list[int]:
    """Ids of the suite's own calendars (of any run) among `records`, in id order."""
    return sorted(record["id"] for record in records
                  if isinstance(record.get("name"), str) and record["name"].startswith(PREFIX))


@dataclass
class _Group:
    found: list[int]  # made by earlier runs
    free: list[int] = field(default_factory=list)  # found, not yet reused by this run
    created: set[int] = field(default_factory=set)  # made by this run
    pending: int = 0  # creates allowed, not yet answered

    def __post_init__(self) -> None:
        self.free = list(self.found)


class OwnPool:
    """Per group: the suite's calendars of earlier runs, and how many more it may create.
    Filled before checks run side by side; its lock is never held across a request."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._lock = threading.Lock()
        self._groups: dict[int, _Group] = {}

    def load(self, group_id: int, records: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._groups.setdefault(group_id, _Group(own_ids(records)))

    def known(self, group_id: int) -> bool:
        return group_id in self._groups

    def take(self, group_id: int) -> int | None:
        """A calendar of an earlier run to reuse, or None when every one is in use."""
        with self._lock:
            group = self._groups.get(group_id)
            return group.free.pop(0) if group is not None and group.free else None

    def reserve(self, group_id: int) -> bool:
        """May one more calendar be created in the group? If so it is counted from now on."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is None:
                return True
            if len(group.found) + len(group.created) + group.pending >= self.bound:
                return False
            group.pending += 1
            return True

    def settle(self, group_id: int) -> None:
        """A reserved create was answered (whether it created or not: `created` counts that)."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None and group.pending:
                group.pending -= 1

    def created(self, group_id: int, calendar_id: int) -> None:
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None and calendar_id not in group.found:
                group.created.add(calendar_id)

    def left(self, group_id: int) -> int:
        with self._lock:
            group = self._groups.get(group_id)
            if group is None:
                return self.bound
            return max(0, self.bound - len(group.found) - len(group.created) - group.pending)

    def notes(self) -> list[str]:
        with self._lock:
            return [f"footprint in group {gid}: {len(g.found)} calendar(s) of earlier runs "
                    f"({len(g.found) - len(g.free)} reused), {len(g.created)} created now; "
                    f"bound {self.bound} (--max-own-calendars)"
                    for gid, g in sorted(self._groups.items())]
