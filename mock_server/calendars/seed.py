"""Seed data (fixtures) turned into a store's data, refused whole when inconsistent.

A seed calendar needs only what a create needs (`group_id`, `name`): every other field takes
what a create would give it (`with_create_defaults`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..errors import SeedError
from .compact import KeySharing, shared
from .data import CalendarData, User, sha1_hex

_ASSIGNED = frozenset({"id", "sort", "created_at", "updated_at"})  # what a create gives, not the spec


def sort_after(largest: int | None, maximums: Mapping[str, int]) -> int:
    """The `sort` of a calendar created without one: the group's largest + 1 (1 in an empty
    group), held at the spec's maximum for `sort`."""
    following = (largest or 0) + 1
    return min(following, maximums.get("sort", following))


def with_create_defaults(calendars: list[Any], *, defaults: Mapping[str, Any],
                         maximums: Mapping[str, int], now: str) -> list[Any]:
    """Seed calendars completed as creates in file order would complete them: the spec's
    `defaults`, `sort` after the largest of the group so far, both timestamps `now`, and an
    id after the largest id of the file. A complete record is kept as it is; anything else is
    left for the schema check to name."""
    ids = [r["id"] for r in calendars if isinstance(r, dict) and _is_int(r.get("id"))]
    next_id = max(ids, default=0) + 1
    largest: dict[Any, int] = {}
    completed = []
    for record in calendars:
        if not isinstance(record, dict):
            completed.append(record)
            continue
        group_id = record.get("group_id") if _is_int(record.get("group_id")) else None
        if not (record.keys() >= defaults.keys() | _ASSIGNED):
            record = {**defaults, "created_at": now, "updated_at": now, **record}
            if "id" not in record:
                record["id"], next_id = next_id, next_id + 1
            if "sort" not in record:
                record["sort"] = sort_after(largest.get(group_id), maximums)
        sort = record.get("sort")
        if _is_int(sort) and (group_id not in largest or sort > largest[group_id]):
            largest[group_id] = sort
        completed.append(record)
    return completed


def record_label(index: int, record: Any) -> str:
    """How an error names a seed calendar: its place in the file, and its id when it has one."""
    which = record.get("id") if isinstance(record, dict) else None
    return f"calendars[{index}]" + ("" if which is None else f" (id {which})")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def data_from_seed(seed: dict[str, Any], fields: tuple[str, ...], key_sharing: KeySharing,
                   *, consume: bool = False) -> CalendarData:
    """The data a seed describes; SeedError naming the first inconsistency."""
    data = CalendarData(key_sharing)
    try:
        data.apikeys = tuple(str(entry["key"]) for entry in seed.get("apikeys", ()))
        _unique("group", (g["id"] for g in seed.get("groups", ())))
        data.groups = {int(g["id"]): copy.deepcopy(g) for g in seed.get("groups", ())}
        data.seed_users = tuple(copy.deepcopy(list(seed.get("users", ()))))
        _unique("user email", (str(raw["email"]).lower() for raw in seed.get("users", ())))
        for raw in seed.get("users", ()):
            user = _user(raw)
            unknown = user.group_ids - set(data.groups)
            if unknown:
                raise SeedError(f"user {user.email} may access unknown groups {sorted(unknown)}")
            data.users[user.email.lower()] = user
        _unique("calendarset", (item["id"] for item in seed.get("calendarsets", ())))
        _unique("intervention", (item["id"] for item in seed.get("interventions", ())))
        for item in seed.get("calendarsets", ()):
            data.calendarsets[int(item["id"])] = _in_group(item, data.groups, "calendarset")
        # Equal strings (cities, zip codes, dates) are stored once: seeds repeat them a lot.
        shared_strings: dict[str, str] = {}
        calendars = sorted(enumerate(seed.get("calendars", ())), key=lambda pair: int(pair[1]["id"]))
        if consume:
            seed["calendars"] = []
        for place, (index, record) in enumerate(calendars):
            if consume:
                calendars[place] = None  # type: ignore[call-overload]
            label = record_label(index, record)
            if int(record["group_id"]) not in data.groups:
                raise SeedError(f"{label}: group_id {record['group_id']} is not a group of the seed")
            calendarset_id = record.get("calendarset_id")
            if calendarset_id is not None and (
                data.calendarsets.get(calendarset_id, {}).get("group_id") != record["group_id"]
            ):
                raise SeedError(f"{label}: calendarset_id {calendarset_id} is not a calendarset of "
                                f"group {record['group_id']}")
            if int(record["id"]) in data.calendars:
                raise SeedError(f"{label}: id {record['id']} is another calendar's too")
            data.add({name: shared(record.get(name), shared_strings) for name in fields})
        for item in seed.get("interventions", ()):
            item = _in_group(item, data.groups, "intervention")
            calendar_ids = set(item.pop("calendar_ids", ()))
            strangers = {cid for cid in calendar_ids
                         if data.calendars.get(cid, {}).get("group_id") != item["group_id"]}
            if strangers:
                raise SeedError(
                    f"intervention {item['id']}: calendars {sorted(strangers)} are not in its group"
                )
            data.interventions[int(item["id"])] = item
            data.intervention_calendars[int(item["id"])] = calendar_ids
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SeedError):
            raise
        raise SeedError(f"seed data is malformed: {exc!r}") from None
    return data


def _unique(kind: str, keys: Any) -> None:
    """A second record of the same id (or email) would silently replace the first."""
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            raise SeedError(f"two records have the {kind} {key!r}")
        seen.add(key)


def _user(raw: dict[str, Any]) -> User:
    group_ids = frozenset(int(g) for g in raw.get("group_ids", [raw["group_id"]]))
    return User(
        id=int(raw["id"]),
        email=str(raw["email"]),
        password_sha1=sha1_hex(str(raw["password"])),
        group_id=int(raw["group_id"]),
        group_ids=group_ids | {int(raw["group_id"])},
        created_at=str(raw.get("created_at", "2010-01-01 00:00:00")),
    )


def _check_group(item: dict[str, Any], groups: dict[int, Any], kind: str) -> None:
    if int(item["group_id"]) not in groups:
        raise SeedError(f"{kind} {item.get('id')} belongs to unknown group {item['group_id']}")


def _in_group(item: dict[str, Any], groups: dict[int, Any], kind: str) -> dict[str, Any]:
    """A copy of `item`, which must belong to one of `groups`."""
    _check_group(item, groups, kind)
    return copy.deepcopy(item)
