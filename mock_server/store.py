"""The mock's in-memory state: plain Python, no web framework, one lock around everything.

Every write validates first and mutates last, so a refused request leaves no trace.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .compact import KeySharing, shared
from .errors import BadRequest, Forbidden, NotFound, SeedError
from .listing import ListAnswers, ListQuery, Page, intervention_filter, is_index_only, paginate, select
from .settings import Settings

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


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


class CalendarStore:
    def __init__(
        self,
        seed: dict[str, Any],
        *,
        fields: tuple[str, ...],
        defaults: dict[str, Any],
        maximums: dict[str, int] | None = None,
        clock: Clock = utc_now,
        session_ttl: float = 3600.0,
        max_sessions: int = 10_000,
        consume_seed: bool = False,
        key_sharing: KeySharing | None = None,
        max_filter_steps: int = 400_000,
        settings: Settings,
    ) -> None:
        self._lock = threading.RLock()
        self._max_filter_steps = max_filter_steps
        self._fields = fields
        self._defaults = defaults
        self._maximums = maximums or {}
        self._clock = clock
        self._session_ttl = session_ttl
        self._max_sessions = max_sessions
        self.settings = settings
        self.key_sharing = key_sharing or KeySharing()
        self.load(seed, consume=consume_seed)

    # -- seed ----------------------------------------------------------------------------
    def load(self, seed: dict[str, Any], *, consume: bool = False) -> None:
        """Replace the whole state by `seed`, checked first so a bad seed changes nothing.

        The store keeps what it needs of `seed`; nothing refers to `seed` afterwards. With
        `consume`, the seed's calendars are let go of one by one as they are taken in, so a
        large seed is not held twice (the caller must own `seed`: it is left without them)."""
        self.restore(_State.from_seed(seed, self._fields, self.key_sharing, consume=consume))

    def pristine(self) -> _State:
        """The state as last loaded or restored, for `restore` (it shares the records, which
        are never changed in place: a change replaces the record)."""
        return self._pristine

    def restore(self, pristine: _State) -> None:
        """Back to `pristine`, with no sessions."""
        with self._lock:
            self._pristine = pristine
            self._state = pristine.clone()
            self._sessions: OrderedDict[str, tuple[User, float]] = OrderedDict()

    def reset(self) -> None:
        self.restore(self._pristine)

    def seed_credentials(self) -> list[dict[str, Any]]:
        """The seed's users with their plain passwords, for banners and test fixtures."""
        return [
            {"email": user["email"], "password": user["password"],
             "group_id": user["group_id"], "group_ids": user.get("group_ids", [user["group_id"]])}
            for user in self._state.seed_users
        ]

    def dump(self) -> dict[str, Any]:
        with self._lock:
            state = self._state
            return {
                "apikeys": sorted(state.apikeys),
                "groups": [copy.deepcopy(group) for group in state.groups.values()],
                "users": [
                    {**user.public(), "group_ids": sorted(user.group_ids)}
                    for user in state.users.values()
                ],
                "calendarsets": [copy.deepcopy(item) for item in state.calendarsets.values()],
                "interventions": [
                    {**item, "calendar_ids": sorted(state.intervention_calendars[item["id"]])}
                    for item in state.interventions.values()
                ],
                "calendars": [dict(record) for record in state.calendars.values()],
                "sessions": len(self._sessions),
                "settings": self.settings.as_dict(),
            }

    # -- identity ------------------------------------------------------------------------
    def apikey_known(self, key: str) -> bool:
        given = key.encode("utf-8", "surrogatepass")
        return any(hmac.compare_digest(given, known.encode("utf-8")) for known in self._state.apikeys)

    def user_with_password(self, email: str, password: str) -> User | None:
        return self.user_with_sha1(email, sha1_hex(password))

    def user_with_sha1(self, email: str, digest: str) -> User | None:
        user = self._state.users.get(email.lower())
        if user is None or not hmac.compare_digest(
            user.password_sha1.encode(), digest.lower().encode("utf-8", "surrogatepass")
        ):
            return None
        return user

    def open_session(self, user: User) -> str:
        token = secrets.token_hex(16)
        with self._lock:
            self._sessions[token] = (user, self._clock().timestamp() + self._session_ttl)
            while len(self._sessions) > self._max_sessions:
                self._sessions.popitem(last=False)
        return token

    def session_user(self, token: str) -> User | None:
        with self._lock:
            entry = self._sessions.get(token)
            if entry is None:
                return None
            user, expires = entry
            if self._clock().timestamp() >= expires:
                del self._sessions[token]
                return None
            return user

    def group_exists(self, group_id: int) -> bool:
        return group_id in self._state.groups

    def calendar_count(self) -> int:
        """How many calendars the store holds, deleted ones included (no lock: a dict's size)."""
        return len(self._state.calendars)

    # -- calendars -----------------------------------------------------------------------
    def list_calendars(self, group_id: int, query: ListQuery) -> Page:
        """A page of the group's calendars. The records a page holds are the stored ones, not
        copies: a record is never changed in place (a change replaces it), so a reader may keep
        it. Only the selection of candidates holds the lock; filtering, which may take a
        while, reads that snapshot without it."""
        answers = ListAnswers.of(self.settings)
        with self._lock:
            state = self._state
            if is_index_only(query, answers):
                ids = self._indexed_ids(group_id, query, answers.match_all_interventions)
                page = paginate(ids, query, answers)
                return dataclasses.replace(page, records=[state.calendars[cid] for cid in page.records])
            candidates = [state.calendars[cid] for cid in state.group_calendars.get(group_id, ())]
            interventions = {iid: state.intervention_calendars.get(iid, set())
                             for iid in query.intervention_ids}
        matches = select(
            candidates,
            query,
            intervention_calendars=lambda iid: interventions[iid],
            answers=answers,
            max_filter_steps=self._max_filter_steps,
        )
        return paginate(matches, query, answers)

    def _indexed_ids(self, group_id: int, query: ListQuery, match_all: bool) -> list[int]:
        """Matching ids in id order, from the indexes alone: costs what the filters keep."""
        state = self._state
        group_ids = state.group_calendars.get(group_id, [])
        allowed = intervention_filter(
            query.intervention_ids, lambda iid: state.intervention_calendars.get(iid, set()), match_all
        )
        if query.calendarset_ids:
            in_sets = set().union(*(state.calendarset_calendars.get(cs, ()) for cs in query.calendarset_ids))
            allowed = in_sets if allowed is None else allowed & in_sets
        if allowed is None:
            return group_ids
        return sorted(cid for cid in allowed if state.calendars[cid]["group_id"] == group_id)

    def get_calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._calendar(group_id, calendar_id))

    def create_calendar(self, group_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """A new calendar: spec defaults, then `values`. An omitted `sort` is the group's largest
        + 1, held at the spec's maximum for `sort` (equal sorts are allowed; their order is
        left open), so a group already at the maximum never yields an invalid calendar."""
        with self._lock:
            state = self._state
            self._check_references(group_id, values)
            now = self._now()
            record = {name: None for name in self._fields}
            record.update(self._defaults)
            record.update(values)
            record.update(id=state.next_id, group_id=group_id, created_at=now, updated_at=now)
            if "sort" not in values:
                largest = state.max_sort(group_id) or 0
                record["sort"] = min(largest + 1, self._maximums.get("sort", largest + 1))
            state.add(record)
            return dict(record)

    def update_calendar(
        self, group_id: int, calendar_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Partial update. `updated_at` moves only when a value really changes (so a PUT that
        changes nothing, a second DELETE or restoring a live calendar leave it alone), unless
        the `noop_updated_at` answer says otherwise;
        `deleted: true` soft-deletes, `deleted: false` restores."""
        with self._lock:
            record = self._calendar(group_id, calendar_id)
            self._check_references(group_id, values)
            changes = {key: value for key, value in values.items() if record.get(key) != value}
            if changes or self.settings.noop_updated_at == "moved":
                record = self._state.change(record, {**changes, "updated_at": self._now()})
            return dict(record)

    def delete_calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        """Soft delete, idempotent: the same as a PUT of `deleted: true`."""
        return self.update_calendar(group_id, calendar_id, {"deleted": True})

    # -- helpers -------------------------------------------------------------------------
    def _now(self) -> str:
        return self._clock().strftime(TIMESTAMP_FORMAT)

    def _calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        record = self._state.calendars.get(calendar_id)
        if record is None or record["group_id"] != group_id:
            raise NotFound(f"calendar {calendar_id} does not exist in group {group_id}")
        return record

    def _check_references(self, group_id: int, values: dict[str, Any]) -> None:
        """Cross-field rules the spec cannot express; CONTRACT.md leaves their answers open.

        A body `group_id` other than the path's is refused (403 by default: a 400 would be
        "schema-valid input refused" to a generic checker, since no schema can compare a body
        field with a path parameter; `group_id_mismatch` may say 400). A `calendarset_id` that
        is not one of the group's answers 404, like any reference the user cannot see (unless
        `unknown_calendarset` says it is stored as sent).
        """
        if "group_id" in values and values["group_id"] != group_id:
            refusal = Forbidden if self.settings.group_id_mismatch == "403" else BadRequest
            raise refusal(
                f"calendar.group_id {values['group_id']} differs from the path's group {group_id};"
                " a calendar cannot be created in or moved to another group",
                {"calendar.group_id": [f"must be {group_id}, the group of the path"]},
            )
        calendarset_id = values.get("calendarset_id")
        if calendarset_id is not None and self.settings.unknown_calendarset == "refused":
            calendarset = self._state.calendarsets.get(calendarset_id)
            if calendarset is None or calendarset["group_id"] != group_id:
                raise NotFound(
                    f"calendarset {calendarset_id} does not exist in group {group_id}",
                    {"calendar.calendarset_id": ["does not exist in this group"]},
                )


class _State:
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

    def clone(self) -> _State:
        """A copy whose containers are its own; the records (never changed in place) shared."""
        twin = _State(self.key_sharing)
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

    @classmethod
    def from_seed(cls, seed: dict[str, Any], fields: tuple[str, ...], key_sharing: KeySharing,
                  *, consume: bool = False) -> _State:
        state = cls(key_sharing)
        try:
            state.apikeys = tuple(str(entry["key"]) for entry in seed.get("apikeys", ()))
            state.groups = {int(g["id"]): copy.deepcopy(g) for g in seed.get("groups", ())}
            state.seed_users = tuple(copy.deepcopy(list(seed.get("users", ()))))
            for raw in seed.get("users", ()):
                user = _user(raw)
                unknown = user.group_ids - set(state.groups)
                if unknown:
                    raise SeedError(f"user {user.email} may access unknown groups {sorted(unknown)}")
                state.users[user.email.lower()] = user
            for item in seed.get("calendarsets", ()):
                state.calendarsets[int(item["id"])] = _in_group(item, state.groups, "calendarset")
            # Equal strings (cities, zip codes, dates) are stored once: seeds repeat them a lot.
            shared_strings: dict[str, str] = {}
            calendars = sorted(seed.get("calendars", ()), key=lambda r: int(r["id"]))
            if consume:
                seed["calendars"] = []
            for index, record in enumerate(calendars):
                if consume:
                    calendars[index] = None  # type: ignore[call-overload]
                _check_group(record, state.groups, "calendar")
                calendarset_id = record.get("calendarset_id")
                if calendarset_id is not None and (
                    state.calendarsets.get(calendarset_id, {}).get("group_id") != record["group_id"]
                ):
                    raise SeedError(
                        f"calendar {record['id']}: calendarset {calendarset_id} is not in its group"
                    )
                if int(record["id"]) in state.calendars:
                    raise SeedError(f"calendar id {record['id']} appears twice")
                state.add({name: shared(record.get(name), shared_strings) for name in fields})
            for item in seed.get("interventions", ()):
                item = _in_group(item, state.groups, "intervention")
                calendar_ids = set(item.pop("calendar_ids", ()))
                strangers = {cid for cid in calendar_ids
                             if state.calendars.get(cid, {}).get("group_id") != item["group_id"]}
                if strangers:
                    raise SeedError(
                        f"intervention {item['id']}: calendars {sorted(strangers)} are not in its group"
                    )
                state.interventions[int(item["id"])] = item
                state.intervention_calendars[int(item["id"])] = calendar_ids
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SeedError):
                raise
            raise SeedError(f"seed data is malformed: {exc!r}") from None
        return state


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
