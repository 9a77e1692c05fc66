"""The calendars, users and groups one store holds, with the indexes the list filters use."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .compact import KeySharing


def sha1_hex(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    id: int
    email: str
    password_sha1: str
    group_id: int
    group_ids: frozenset[int]
    created_at: str

    def may_access(self, group_id: int) -> bool:
        return group_id in self.group_ids

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "group_id": self.group_id,
                "created_at": self.created_at, "updated_at": self.created_at}


class CalendarData:
    """One consistent snapshot of the data, with the indexes the list filters use."""

    def __init__(self, key_sharing: KeySharing) -> None:
        self.key_sharing = key_sharing
        self.apikeys: tuple[str, ...] = ()
        self.groups: dict[int, dict[str, Any]] = {}
        self.users: dict[str, User] = {}
        self.seed_users: tuple[dict[str, Any], ...] = ()  # as given: plain passwords, for banners
        self.calendarsets: dict[int, dict[str, Any]] = {}
        self.interventions: dict[int, dict[str, Any]] = {}
        self.intervention_calendars: dict[int, set[int]] = {}
        self.calendars: dict[int, dict[str, Any]] = {}
        self.group_calendars: dict[int, list[int]] = {}  # in id order: ids only grow
        self.calendarset_calendars: dict[int, set[int]] = {}
        self.group_max_sort: dict[int, int | None] = {}
        self.next_id = 1

    def add(self, record: dict[str, Any]) -> None:
        calendar_id, group_id = record["id"], record["group_id"]
        self.calendars[calendar_id] = self.key_sharing.dict(record)
        self.group_calendars.setdefault(group_id, []).append(calendar_id)
        if record.get("calendarset_id") is not None:
            self.calendarset_calendars.setdefault(record["calendarset_id"], set()).add(calendar_id)
        self._raise_max_sort(group_id, record.get("sort"))
        self.next_id = max(self.next_id, calendar_id + 1)

    def clone(self) -> CalendarData:
        """A copy whose containers are its own; the records (never changed in place) shared."""
        twin = CalendarData(self.key_sharing)
        twin.apikeys = self.apikeys
        twin.groups = dict(self.groups)
        twin.users = dict(self.users)
        twin.seed_users = self.seed_users
        twin.calendarsets = dict(self.calendarsets)
        twin.interventions = dict(self.interventions)
        twin.intervention_calendars = {key: set(ids) for key, ids in self.intervention_calendars.items()}
        twin.calendars = dict(self.calendars)
        twin.group_calendars = {key: list(ids) for key, ids in self.group_calendars.items()}
        twin.calendarset_calendars = {key: set(ids) for key, ids in self.calendarset_calendars.items()}
        twin.group_max_sort = dict(self.group_max_sort)
        twin.next_id = self.next_id
        return twin

    def change(self, record: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """The changed record, which replaces `record` (left as it was, for pristine states)."""
        calendar_id, group_id = record["id"], record["group_id"]
        if "calendarset_id" in changes:
            self.calendarset_calendars.get(record["calendarset_id"], set()).discard(calendar_id)
            if changes["calendarset_id"] is not None:
                self.calendarset_calendars.setdefault(changes["calendarset_id"], set()).add(calendar_id)
        lowered_max = "sort" in changes and record.get("sort") == self.group_max_sort.get(group_id)
        record = self.calendars[calendar_id] = self.key_sharing.dict({**record, **changes})
        if lowered_max:
            self.group_max_sort[group_id] = max(
                (s for cid in self.group_calendars[group_id]
                 if (s := self.calendars[cid].get("sort")) is not None), default=None)
        self._raise_max_sort(group_id, record.get("sort"))
        return record

    def max_sort(self, group_id: int) -> int | None:
        return self.group_max_sort.get(group_id)

    def _raise_max_sort(self, group_id: int, value: int | None) -> None:
        current = self.group_max_sort.get(group_id)
        if value is not None and (current is None or value > current):
            self.group_max_sort[group_id] = value
