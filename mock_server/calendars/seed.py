"""Seed data (fixtures) turned into a store's data, refused whole when inconsistent."""

from __future__ import annotations

import copy
from typing import Any

from ..errors import SeedError
from .compact import KeySharing, shared
from .data import CalendarData, User, sha1_hex


def data_from_seed(seed: dict[str, Any], fields: tuple[str, ...], key_sharing: KeySharing,
                   *, consume: bool = False) -> CalendarData:
    """The data a seed describes; SeedError naming the first inconsistency."""
    data = CalendarData(key_sharing)
    try:
        data.apikeys = tuple(str(entry["key"]) for entry in seed.get("apikeys", ()))
        data.groups = {int(g["id"]): copy.deepcopy(g) for g in seed.get("groups", ())}
        data.seed_users = tuple(copy.deepcopy(list(seed.get("users", ()))))
        for raw in seed.get("users", ()):
            user = _user(raw)
            unknown = user.group_ids - set(data.groups)
            if unknown:
                raise SeedError(f"user {user.email} may access unknown groups {sorted(unknown)}")
            data.users[user.email.lower()] = user
        for item in seed.get("calendarsets", ()):
            data.calendarsets[int(item["id"])] = _in_group(item, data.groups, "calendarset")
        # Equal strings (cities, zip codes, dates) are stored once: seeds repeat them a lot.
        shared_strings: dict[str, str] = {}
        calendars = sorted(seed.get("calendars", ()), key=lambda r: int(r["id"]))
        if consume:
            seed["calendars"] = []
        for index, record in enumerate(calendars):
            if consume:
                calendars[index] = None  # type: ignore[call-overload]
            _check_group(record, data.groups, "calendar")
            calendarset_id = record.get("calendarset_id")
            if calendarset_id is not None and (
                data.calendarsets.get(calendarset_id, {}).get("group_id") != record["group_id"]
            ):
                raise SeedError(
                    f"calendar {record['id']}: calendarset {calendarset_id} is not in its group"
                )
            if int(record["id"]) in data.calendars:
                raise SeedError(f"calendar id {record['id']} appears twice")
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
