"""A bounded footprint: the calendars the suite ever creates in a group stay under
`--max-own-calendars`, however many runs. Soft delete cannot remove a calendar, so the suite
reuses its own calendars of earlier runs (named `contract-kit-...`, found in the group's list)
before it creates any: a reused one is restored to a known state by PUT (the spec's defaults,
the new name, `deleted` false). A create beyond the bound is not sent: the check that needed
it is reported as not checked (FOOTPRINT), and schemathesis' generated creates stop there.

Runs at the same time never share a calendar. A calendar's name says which run holds it
(`contract-kit-<UTC start>-<random>-...`): another run leaves it alone for LEASE_S after that
start, and a run that ends lets its calendars go by naming them `contract-kit-free-<id>`. Two
runs that start together may both see a calendar free: each claims what it found by naming it,
waits CLAIM_SETTLE_S (or twice what its claims took), reads the list again and keeps only what
still bears its own name. Before
each create the list is read again, so that the calendars runs going on at the same time create
count against the bound too (two creates at the same instant may still pass it by one).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .spec_facts import WRITABLE_FIELDS

PREFIX = "contract-kit-"
FREE_PREFIX = f"{PREFIX}free-"  # a calendar its run let go of
LEASE_S = 3 * 3600  # a run's calendars are its own this long after it started (a run that died)
CLAIM_SETTLE_S = 1.0  # between claiming calendars and reading back which are still ours
_HOLDER = re.compile(r"contract-kit-(\d{14})-([0-9a-f]{4})(?:-|$)")
# What a reused calendar is set to before its new name and fields: what a create with only a
# name leaves, as the spec's defaults say (no calendarset: one may not exist any more).
KNOWN_STATE: dict[str, Any] = {name: schema["default"] for name, schema in WRITABLE_FIELDS.items()
                               if "default" in schema and name not in ("group_id", "deleted")}


def own_ids(records: Iterable[dict[str, Any]]) -> list[int]:
    """Ids of the suite's own calendars (of any run) among `records`, in id order."""
    return sorted(record["id"] for record in records
                  if isinstance(record.get("name"), str) and record["name"].startswith(PREFIX))


def run_of(name: Any) -> tuple[str, datetime] | None:
    """The run that holds a calendar of this name (its id and start), None for a free one."""
    found = _HOLDER.match(name) if isinstance(name, str) else None
    if found is None:
        return None
    return f"{found[1]}-{found[2]}", datetime.strptime(found[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def of_another_run(name: Any, run_id: str) -> bool:
    """Whether a calendar of this name is another run's, held or let go of (contract-kit-<its
    run>-... or contract-kit-free-<id>): no request of run `run_id` names one."""
    if not (isinstance(name, str) and name.startswith(PREFIX)):
        return False
    holder = run_of(name)
    return holder is None or holder[0] != run_id


def held_by_another(name: Any, run_id: str, now: datetime) -> bool:
    """Whether another run, still within its lease, holds the calendar of this name."""
    holder = run_of(name)
    return holder is not None and holder[0] != run_id and (now - holder[1]).total_seconds() < LEASE_S


def claim_name(prefix: str, calendar_id: int) -> str:
    return f"{prefix}-pool-{calendar_id}"


@dataclass
class _Group:
    found: list[int]  # made by earlier runs, or by runs going on now
    free: list[int] = field(default_factory=list)  # found, held by no other run, not yet reused
    created: set[int] = field(default_factory=set)  # made by this run
    pending: int = 0  # creates allowed, not yet answered
    reused: int = 0


class OwnPool:
    """Per group: the suite's calendars of earlier runs, and how many more it may create.
    Filled before checks run side by side; its lock is never held across a request."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._lock = threading.Lock()
        self._groups: dict[int, _Group] = {}

    def load(self, group_id: int, records: Iterable[dict[str, Any]], run_id: str = "",
             now: datetime | None = None) -> None:
        """The suite's calendars among the group's `records`; those another run holds are
        counted, not reused."""
        now = now or datetime.now(UTC)
        records = list(records)
        with self._lock:
            if group_id in self._groups:
                return
            group = self._groups[group_id] = _Group(own_ids(records))
            group.free = own_ids(r for r in records if not held_by_another(r.get("name"), run_id, now))

    def free_ids(self, group_id: int) -> list[int]:
        with self._lock:
            group = self._groups.get(group_id)
            return list(group.free) if group is not None else []

    def keep(self, group_id: int, claimed: Iterable[int]) -> None:
        """After claiming: reuse only the calendars the claim secured."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None:
                mine = set(claimed)
                group.free = [calendar_id for calendar_id in group.free if calendar_id in mine]

    def known(self, group_id: int) -> bool:
        return group_id in self._groups

    def take(self, group_id: int) -> int | None:
        """A calendar of an earlier run to reuse, or None when every one is in use."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is None or not group.free:
                return None
            group.reused += 1
            return group.free.pop(0)

    def give_back(self, group_id: int, calendar_ids: Iterable[int]) -> None:
        """Calendars this run is done with, to reuse again (restored by PUT when taken)."""
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None:
                group.free.extend(c for c in calendar_ids if c not in group.free)

    def recount(self, group_id: int, records: Iterable[dict[str, Any]], run_id: str = "") -> None:
        """The group's calendars of ours as the list shows them now, added to those it showed
        before: runs going on at the same time create too, and the bound is theirs as much as
        ours; a calendar never goes (soft delete), though a deployment may stop listing it. One
        named after this run (`run_id`) that it did not find at the start was created by it: a
        create whose answer was lost on the way."""
        records = list(records)
        ids = own_ids(records)
        made_now = {record["id"] for record in records
                    if run_id and (run_of(record.get("name")) or ("",))[0] == run_id}
        with self._lock:
            group = self._groups.get(group_id)
            if group is not None:
                group.created.update(calendar_id for calendar_id in ids
                                     if calendar_id in made_now and calendar_id not in group.found)
                group.found = sorted(set(group.found).union(
                    calendar_id for calendar_id in ids if calendar_id not in group.created))

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
            return [f"footprint in group {gid}: {len(g.found)} calendar(s) of earlier or other runs "
                    f"({g.reused} reused), {len(g.created)} created now; bound {self.bound} "
                    "(--max-own-calendars)" for gid, g in sorted(self._groups.items())]


def claim_free(pool: OwnPool, prefix: str, groups: Sequence[int],
               rename: Callable[[list[tuple[int, int]]], None],
               read: Callable[[int], list[dict[str, Any]]]) -> None:
    """The claim (module docstring): `rename` names every free calendar of `groups` (group,
    calendar id) after this run; after the wait `read` lists each group again, and the pool
    keeps those that still bear the name. The wait is at least twice what the renames took, so
    that a claim another run began before our read-back has landed by then."""
    wanted = [(group, calendar_id) for group in groups for calendar_id in pool.free_ids(group)]
    if not wanted:
        return
    started = time.monotonic()
    rename(wanted)
    time.sleep(max(CLAIM_SETTLE_S, 2 * (time.monotonic() - started)))
    for group in groups:
        pool.keep(group, [record["id"] for record in read(group)
                          if record.get("name") == claim_name(prefix, record["id"])])
