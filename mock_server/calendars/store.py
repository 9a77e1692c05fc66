"""The calendars and who may see them, in memory: plain Python, no web framework, one lock.

Every write validates first and mutates last, so a refused request leaves no trace.
"""

from __future__ import annotations

import copy
import dataclasses
import hmac
import secrets
import threading
from collections import OrderedDict
from typing import Any

from ..errors import BadRequest, Forbidden, NoSuchRecord, NotFound
from .clock import TIMESTAMP_FORMAT, Clock, utc_now
from .compact import KeySharing
from .data import CalendarData, User, sha1_hex
from .listing import (
    ListAnswers,
    ListQuery,
    Page,
    intervention_filter,
    is_index_only,
    page_of,
    paginate,
    select,
)
from .seed import data_from_seed, sort_after
from .settings import Settings


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
        reference_shapes: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self._max_filter_steps = max_filter_steps
        self._fields = fields
        self._shapes = reference_shapes or {}
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
        """Replace the whole data by `seed`, checked first so a bad seed changes nothing.

        The store keeps what it needs of `seed`; nothing refers to `seed` afterwards. With
        `consume`, the seed's calendars are let go of one by one as they are taken in, so a
        large seed is not held twice (the caller must own `seed`: it is left without them)."""
        self.restore(data_from_seed(seed, self._fields, self.key_sharing, consume=consume))

    def pristine(self) -> CalendarData:
        """The data as last loaded or restored, for `restore` (it shares the records, which
        are never changed in place: a change replaces the record)."""
        return self._pristine

    def restore(self, pristine: CalendarData) -> None:
        """Back to `pristine`, with no sessions."""
        with self._lock:
            self._pristine = pristine
            self._data = pristine.clone()
            self._sessions: OrderedDict[str, tuple[User, float]] = OrderedDict()

    def reset(self) -> None:
        self.restore(self._pristine)

    def seed_credentials(self) -> list[dict[str, Any]]:
        """The seed's users with their plain passwords, for banners and test fixtures."""
        return [
            {"email": user["email"], "password": user["password"],
             "group_id": user["group_id"], "group_ids": user.get("group_ids", [user["group_id"]])}
            for user in self._data.seed_users
        ]

    def dump(self) -> dict[str, Any]:
        with self._lock:
            data = self._data
            return {
                "apikeys": sorted(data.apikeys),
                "groups": [copy.deepcopy(group) for group in data.groups.values()],
                "users": [
                    {**user.public(), "group_ids": sorted(user.group_ids)}
                    for user in data.users.values()
                ],
                "calendarsets": [copy.deepcopy(item) for item in data.calendarsets.values()],
                "interventions": [
                    {**item, "calendar_ids": sorted(data.intervention_calendars[item["id"]])}
                    for item in data.interventions.values()
                ],
                "calendars": [dict(record) for record in data.calendars.values()],
                "sessions": len(self._sessions),
                "settings": self.settings.as_dict(),
            }

    # -- identity ------------------------------------------------------------------------
    def apikey_known(self, key: str) -> bool:
        given = key.encode("utf-8", "surrogatepass")
        return any(hmac.compare_digest(given, known.encode("utf-8")) for known in self._data.apikeys)

    def user_with_password(self, email: str, password: str) -> User | None:
        return self.user_with_sha1(email, sha1_hex(password))

    def user_with_sha1(self, email: str, digest: str) -> User | None:
        user = self._data.users.get(email.lower())
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
        return group_id in self._data.groups

    def calendar_count(self) -> int:
        """How many calendars the store holds, deleted ones included (no lock: a dict's size)."""
        return len(self._data.calendars)

    # -- calendars -----------------------------------------------------------------------
    def list_calendars(self, group_id: int, query: ListQuery) -> Page:
        """A page of the group's calendars. The records a page holds are the stored ones, not
        copies: a record is never changed in place (a change replaces it), so a reader may keep
        it. Only the selection of candidates holds the lock; filtering, which may take a
        while, reads that snapshot without it."""
        answers = ListAnswers.of(self.settings)
        with self._lock:
            data = self._data
            if is_index_only(query, answers):
                ids = self._indexed_ids(group_id, query, answers.match_all_interventions)
                page = paginate(ids, query, answers)
                return dataclasses.replace(page, records=[data.calendars[cid] for cid in page.records])
            candidates = [data.calendars[cid] for cid in data.group_calendars.get(group_id, ())]
            interventions = {iid: data.intervention_calendars.get(iid, set())
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
        data = self._data
        group_ids = data.group_calendars.get(group_id, [])
        allowed = intervention_filter(
            query.intervention_ids, lambda iid: data.intervention_calendars.get(iid, set()), match_all
        )
        if query.calendarset_ids:
            in_sets = set().union(*(data.calendarset_calendars.get(cs, ()) for cs in query.calendarset_ids))
            allowed = in_sets if allowed is None else allowed & in_sets
        if allowed is None:
            return group_ids
        return sorted(cid for cid in allowed if data.calendars[cid]["group_id"] == group_id)

    def get_calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._calendar(group_id, calendar_id))

    def is_deleted(self, group_id: int, calendar_id: int) -> bool:
        """Whether the group's calendar exists and is soft-deleted (no copy, no lock: a read)."""
        record = self._data.calendars.get(calendar_id)
        return record is not None and record["group_id"] == group_id and bool(record.get("deleted"))

    def create_calendar(self, group_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """A new calendar: spec defaults, then `values`. An omitted `sort` is the group's largest
        + 1, held at the spec's maximum for `sort` (equal sorts are allowed; their order is
        left open), so a group already at the maximum never yields an invalid calendar."""
        with self._lock:
            data = self._data
            self._check_references(group_id, values)
            now = self._now()
            record = {name: None for name in self._fields}
            record.update(self._defaults)
            record.update(values)
            record.update(id=data.next_id, group_id=group_id, created_at=now, updated_at=now)
            if "sort" not in values and self.settings.omitted_sort == "largest_plus_one":
                record["sort"] = sort_after(data.max_sort(group_id), self._maximums)
            elif "sort" not in values:
                record["sort"] = 0
            data.add(record)
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
                record = self._data.change(record, {**changes, "updated_at": self._now()})
            return dict(record)

    def delete_calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        """Soft delete, idempotent: the same as a PUT of `deleted: true`."""
        return self.update_calendar(group_id, calendar_id, {"deleted": True})

    # -- what calendars refer to (read-only) ----------------------------------------------
    def list_interventions(self, group_id: int, query: ListQuery, calendar_ids: tuple[int, ...] = (),
                           interventionset_id: int | None = None) -> Page:
        """A page of the group's interventions: those offered on the calendars `calendar_ids`
        names (all of them, or any, as `intervention_match` reads `intervention_ids[]`), of one
        interventionset; soft-deleted ones as `deleted_interventions` answers."""
        answers = dataclasses.replace(ListAnswers.of(self.settings),
                                      hide_deleted=self.settings.deleted_interventions == "hidden")
        with self._lock:
            data = self._data
            offered = intervention_filter(
                calendar_ids,
                lambda cid: {iid for iid, cids in data.intervention_calendars.items() if cid in cids},
                answers.match_all_interventions)
            records = [
                self._shown("interventions", item) for iid, item in sorted(data.interventions.items())
                if item["group_id"] == group_id and (offered is None or iid in offered)
                and (interventionset_id is None or item.get("interventionset_id") == interventionset_id)]
        return page_of(records, query, answers, self._max_filter_steps)

    def get_intervention(self, group_id: int, intervention_id: int) -> dict[str, Any]:
        """An intervention of the group, also when it is soft-deleted."""
        return self._shown("interventions", self._referenced("interventions", group_id, intervention_id))

    def list_calendarsets(self, group_id: int, query: ListQuery) -> Page:
        with self._lock:
            records = [self._shown("calendarsets", item)
                       for _, item in sorted(self._data.calendarsets.items()) if item["group_id"] == group_id]
        return page_of(records, query, ListAnswers.of(self.settings), self._max_filter_steps)

    def get_calendarset(self, group_id: int, calendarset_id: int) -> dict[str, Any]:
        return self._shown("calendarsets", self._referenced("calendarsets", group_id, calendarset_id))

    def _referenced(self, kind: str, group_id: int, record_id: int) -> dict[str, Any]:
        record = getattr(self._data, kind).get(record_id)
        if record is None or record["group_id"] != group_id:
            raise NoSuchRecord(f"{kind[:-1]} {record_id} does not exist in group {group_id}")
        return record

    def _shown(self, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        """A seed record as the API answers it: every field of its schema, defaults filled in."""
        return {**self._shapes.get(kind, {}), **item}

    # -- helpers -------------------------------------------------------------------------
    def _now(self) -> str:
        return self._clock().strftime(TIMESTAMP_FORMAT)

    def _calendar(self, group_id: int, calendar_id: int) -> dict[str, Any]:
        record = self._data.calendars.get(calendar_id)
        if record is None or record["group_id"] != group_id:
            raise NoSuchRecord(f"calendar {calendar_id} does not exist in group {group_id}")
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
            calendarset = self._data.calendarsets.get(calendarset_id)
            if calendarset is None or calendarset["group_id"] != group_id:
                raise NotFound(
                    f"calendarset {calendarset_id} does not exist in group {group_id}",
                    {"calendar.calendarset_id": ["does not exist in this group"]},
                )
