"""The seed data a recording shows: `seed_from_recording(read_har(path))`.

Read from the answers, in time order: every calendar (list, show, create, update and delete
answers; the last one wins, or with `state="before"` the first one, leaving out the calendars the
recording created: a calendar first seen after a write to it is as `before.py` derives), the
groups the calls reached, the calendarsets the calendars use or a list
asked for, the interventions a list asked for and, where a list asked for exactly one, the
calendars it showed as offering it; the users (a Basic user's email when not masked, a login's
`pro`), with a placeholder password; the apikey when not masked, else a placeholder. An answer
the recorder cut (`ApiCall.response_cut`) is no data: a warning line names it; so does a
group whose lists counted more calendars than the recording shows (`totals.py`).
The result is checked as the mock checks a seed before anything is written.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import MockConfig
from ..contract import Contract
from ..contract.problems import field_problems, summary
from ..errors import SeedError
from ..state import MockState
from . import PLACEHOLDER_APIKEY, PLACEHOLDER_PASSWORD, PLACEHOLDER_USER, STATES
from .before import as_before
from .calls import ApiCall
from .har import Recording
from .totals import ListTotals

_CALENDAR_ANSWERS = frozenset({"getCalendar", "createCalendar", "updateCalendar", "deleteCalendar"})


class SeedBuildError(ValueError):
    """The recording does not make a valid seed: the message names the entry and the field."""


@dataclass
class SeedFromHar:
    seed: dict[str, Any]
    lines: list[str] = field(default_factory=list)  # what was found, and every placeholder used


@dataclass
class _User:
    email: str
    id: int | None = None
    group_id: int | None = None
    group_ids: set[int] = field(default_factory=set)
    created_at: str | None = None


class _Reader:
    """Walks the calls once, in time order, keeping what the answers show."""

    def __init__(self, contract: Contract, state: str) -> None:
        self.contract, self.state = contract, state
        self.groups: dict[int, None] = {}
        self.calendars: dict[int, tuple[dict[str, Any], ApiCall]] = {}
        self.created: set[int] = set()
        self.calendarsets: dict[int, int] = {}
        self.interventions: dict[int, int] = {}
        self.offers: dict[int, set[int]] = {}
        self.users: dict[str, _User] = {}
        self.anonymous_groups: set[int] = set()
        self.apikeys: dict[str, None] = {}
        self.apikey_masked = False
        self.password_recorded = False
        self.session_user: str | None = None
        self.cut: list[ApiCall] = []  # answers the recorder kept only the start of: not read
        self.unseen_writes: dict[int, list[ApiCall]] = {}  # writes to calendars not yet seen
        self.after_writes: list[str] = []  # warnings: calendars first seen after a write to them
        self.list_totals = ListTotals()
        self.at = 0  # the place of the call read in the recording

    def read(self, call: ApiCall) -> None:
        self.at += 1
        if not call.ok:  # refused (state unchanged), or a 304 or a redirect: no calendar to read
            return
        if call.response_cut:
            self.cut.append(call)
        body = call.response_json()
        if call.operation == "login" and isinstance(body, dict) and isinstance(body.get("pro"), dict):
            self._login(body["pro"])
        present, apikey = call.apikey()
        if apikey:
            self.apikeys[apikey] = None
        self.apikey_masked |= present and apikey is None
        if call.group_id is None:
            return
        self.groups[call.group_id] = None
        self._who(call)
        if call.operation == "listCalendars" and call.method == "GET" and isinstance(body, dict):
            self._list(call, body)
        elif call.operation in _CALENDAR_ANSWERS and call.served:
            self._calendar_answer(call, body)

    def _calendar_answer(self, call: ApiCall, body: Any) -> None:
        """A show, create, update or delete answered 2xx."""
        cid = call.calendar_id
        if self.state == "before" and call.method in ("PUT", "DELETE") and cid is not None \
                and cid not in self.calendars:  # what is seen of it from now on is after this write
            self.unseen_writes.setdefault(cid, []).append(call)
        if isinstance(body, dict) and "id" in body:
            self._see(body, call, "")
            if call.operation == "createCalendar":
                self.created.add(body["id"])
        elif call.operation == "deleteCalendar" and cid in self.calendars and self.state != "before":
            record, _ = self.calendars[cid]  # a delete answered without the calendar
            self.calendars[cid] = ({**record, "deleted": True}, call)
        if call.operation == "createCalendar":
            made = body.get("id") if isinstance(body, dict) else None
            self.list_totals.create(self.at, call, made if type(made) is int else None)

    def _login(self, pro: dict[str, Any]) -> None:
        email = pro.get("email")
        if not isinstance(email, str) or "@" not in email:
            return
        user = self.users.setdefault(email.lower(), _User(email))
        user.id = pro["id"] if type(pro.get("id")) is int else user.id
        if type(pro.get("group_id")) is int:
            user.group_id = pro["group_id"]
            user.group_ids.add(pro["group_id"])
            self.groups[pro["group_id"]] = None
        user.created_at = pro.get("created_at") if isinstance(pro.get("created_at"), str) else user.created_at
        self.session_user = email.lower()

    def _who(self, call: ApiCall) -> None:
        basic = call.basic()
        if basic is not None:
            self.password_recorded |= basic.password is not None
            email = basic.email.lower() if basic.email else None
            if email:
                self.users.setdefault(email, _User(basic.email or email))
        else:
            email = self.session_user if call.sends_session() else None
        if email:
            self.users[email].group_ids.add(call.group_id)  # type: ignore[arg-type]
        else:
            self.anonymous_groups.add(call.group_id)  # type: ignore[arg-type]

    def _list(self, call: ApiCall, body: dict[str, Any]) -> None:
        records = body.get("records")
        if not isinstance(records, list):
            return
        self.list_totals.listed(self.at, call, body)
        for number, record in enumerate(records):
            self._see(record, call, f"records[{number}].")
        for found, param in ((self.calendarsets, "calendarset_ids[]"),
                             (self.interventions, "intervention_ids[]")):
            for value in call.params(param):
                if value.isdigit():
                    found.setdefault(int(value), call.group_id)  # type: ignore[arg-type]
        asked = call.params("intervention_ids[]")
        if len(asked) == 1 and asked[0].isdigit():  # every calendar listed offers it
            self.offers.setdefault(int(asked[0]), set()).update(
                r["id"] for r in records if isinstance(r, dict) and type(r.get("id")) is int)

    def _see(self, record: Any, call: ApiCall, where: str) -> None:
        if not isinstance(record, dict) or type(record.get("id")) is not int:
            raise SeedBuildError(f"{call.label}: {where}id: a calendar must have an integer id")
        if self.state == "before" and record["id"] in self.calendars:
            return
        writes = self.unseen_writes.pop(record["id"], None)
        if writes:  # this answer shows the state after them
            record, warning = as_before(record, writes, self.contract.writable_fields)
            self.after_writes.append(warning)
        self.calendars[record["id"]] = (_calendar(record, call, self.contract), call)


def _calendar(record: dict[str, Any], call: ApiCall, contract: Contract) -> dict[str, Any]:
    """The contract's fields of a recorded calendar, valid under the spec: `deleted` as 0/1
    becomes a boolean; a field the answer left out takes the spec's default (the timestamps:
    when it was recorded); anything else wrong is a SeedBuildError naming the field."""
    calendar = {name: record[name] for name in contract.calendar_fields if name in record}
    if calendar.get("deleted") in (0, 1) and not isinstance(calendar["deleted"], bool):
        calendar["deleted"] = bool(calendar["deleted"])
    for name in contract.calendar_fields:
        if name not in calendar and name in contract.defaults:
            calendar[name] = contract.defaults[name]
        elif name not in calendar and name in ("created_at", "updated_at"):
            calendar[name] = _api_date(call.started)
    problems = field_problems(contract.calendar_validator.iter_errors(calendar), "calendar")
    if problems:
        raise SeedBuildError(f"{call.label}: calendar {record['id']}: {summary(problems)}")
    return calendar


def _api_date(started: str) -> str:
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        moment = datetime.now(UTC)
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def seed_from_recording(recording: Recording, *, password: str = PLACEHOLDER_PASSWORD,
                        state: str = "last-seen") -> SeedFromHar:
    """The seed data `recording` shows; SeedBuildError when it would not be a valid seed."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, not {state!r}")
    if not recording.calls:
        raise SeedBuildError(f"{recording.summary()}: no Calendar API call to read")
    contract = Contract.default()
    reader = _Reader(contract, state)
    for call in recording.calls:
        reader.read(call)
    result = SeedFromHar(_seed(reader, recording, password))
    result.lines = _lines(reader, result.seed, password)
    try:
        MockState(MockConfig(seed=copy.deepcopy(result.seed)), contract)
    except SeedError as error:
        raise SeedBuildError(f"the seed read from {recording.source} is not consistent: {error}") from None
    return result


def _seed(reader: _Reader, recording: Recording, password: str) -> dict[str, Any]:
    kept = {cid: record for cid, (record, _) in reader.calendars.items()
            if reader.state != "before" or cid not in reader.created}
    calendars = [kept[cid] for cid in sorted(kept)]
    for record in calendars:
        reader.groups[record["group_id"]] = None
        if record["calendarset_id"] is not None:
            owner = reader.calendarsets.setdefault(record["calendarset_id"], record["group_id"])
            if owner != record["group_id"]:
                _, call = reader.calendars[record["id"]]
                raise SeedBuildError(f"{call.label}: calendar {record['id']}: calendarset_id "
                                     f"{record['calendarset_id']} is also used in group {owner}")
    users = _users(reader)
    for user in users:
        reader.groups.update(dict.fromkeys(user["group_ids"]))
    apikeys = list(reader.apikeys)
    if reader.apikey_masked or not apikeys:
        apikeys.append(PLACEHOLDER_APIKEY)
    how = "as first seen, before the recording" if reader.state == "before" else "as last seen"
    return {
        "description": f"Seed data read from {recording.source} by calendar-mock seed-from-har ({how})",
        "apikeys": [{"key": key, "application": "recorded"} for key in apikeys],
        "groups": [{"id": gid, "name": f"Group {gid} (recorded)"} for gid in sorted(reader.groups)],
        "users": [{**user, "password": password} for user in users],
        "calendarsets": [{"id": sid, "group_id": gid, "name": f"Calendarset {sid} (recorded)"}
                         for sid, gid in sorted(reader.calendarsets.items())],
        "interventions": [
            {"id": iid, "group_id": gid, "name": f"Intervention {iid} (recorded)",
             "calendar_ids": sorted(cid for cid in reader.offers.get(iid, ())
                                    if kept.get(cid, {}).get("group_id") == gid)}
            for iid, gid in sorted(reader.interventions.items())],
        "calendars": calendars,
    }


def _users(reader: _Reader) -> list[dict[str, Any]]:
    found = list(reader.users.values())
    if reader.anonymous_groups or not found:  # calls whose user the recording masks
        found.append(_User(PLACEHOLDER_USER, group_ids=set(reader.anonymous_groups or reader.groups)))
    taken = {user.id for user in found if user.id is not None}
    free = (n for n in range(1, 1 << 31) if n not in taken)
    users = []
    for user in found:
        groups = user.group_ids or set(reader.groups)
        home = user.group_id if user.group_id is not None else min(groups, default=None)
        if home is None:
            continue
        entry = {"id": user.id if user.id is not None else next(free), "email": user.email,
                 "group_id": home, "group_ids": sorted(groups | {home})}
        if user.created_at:
            entry["created_at"] = user.created_at
        users.append(entry)
    return users


def _lines(reader: _Reader, seed: dict[str, Any], password: str) -> list[str]:
    calendars = seed["calendars"]
    deleted = sum(1 for record in calendars if record["deleted"])
    how = "as last seen" if reader.state == "last-seen" else (
        f"as first seen; {len(reader.created)} the recording created left out")
    offered = [f"{item['id']} (offered by {', '.join(map(str, item['calendar_ids'])) or 'no calendar seen'})"
               for item in seed["interventions"]]
    lines = [f"groups: {', '.join(str(g['id']) for g in seed['groups'])}",
             f"calendars: {len(calendars)} ({deleted} soft-deleted), {how}",
             f"calendarsets: {', '.join(str(s['id']) for s in seed['calendarsets']) or 'none'}",
             f"interventions: {', '.join(offered) or 'none asked for'}"]
    for user in seed["users"]:
        masks = user["email"] == PLACEHOLDER_USER
        placeholder = " (a placeholder: the recording masks the user)" if masks else ""
        lines.append(f"user: {user['email']}{placeholder}, group {user['group_id']} "
                     f"(may access {', '.join(map(str, user['group_ids']))}), password {password!r} "
                     "(a placeholder: --password to choose another)")
    lines.extend(f"warning: {call.label}: its answer is not read: the recorder cut it ({call.response_cut})"
                 for call in reader.cut)
    lines.extend(reader.after_writes)
    lines.extend(reader.list_totals.warnings(
        {cid: record["group_id"] for cid, (record, _) in reader.calendars.items()}))
    if reader.password_recorded:
        lines.append("the recording holds a user's password unmasked: it is not copied")
    if reader.apikeys:
        lines.append(f"apikey: the {len(reader.apikeys)} recorded unmasked (not shown)")
    if reader.apikey_masked or not reader.apikeys:
        lines.append(f"apikey: {PLACEHOLDER_APIKEY!r} (a placeholder: the recording masks the apikey)")
    return lines
