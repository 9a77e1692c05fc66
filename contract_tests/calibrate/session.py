"""What every probe shares: the API as one identity, the calendars calibrate writes to, and the
lists it reads whole.

Staging safety: calibrate writes only to calendars it created itself or took from the kit's
pool, named `contract-kit-<run>-calibrate-<label>-<n>`, and soft-deletes them at the end. It
reads the group's other calendars (a list, and under --read-only the records probes look at)
and never changes them.

A bounded footprint, as the suite's (footprint.py; against a deployment, and in every
`--level profile:FILE` run, which calibrates): before it creates any, calibrate claims the
kit's calendars earlier runs let go of and restores one by PUT wherever a probe only needs a
calendar of its own; only the probes that judge a create's own answer create. A create the
bound does not allow is not sent: that question stays unknown, saying why. At the end its
calendars are named `contract-kit-free-<id>` for later runs and soft-deleted.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..client import Api
from ..footprint import FREE_PREFIX, KNOWN_STATE, OwnPool, claim_free, claim_name
from ..http import Exchange
from ..spec_facts import path_values
from .registry import Unsettled

LABEL = "calibrate"  # in every name: contract-kit-<run>-calibrate-...
# An id no deployment hands out in practice (the largest 32-bit id): a group or calendarset
# that does not exist.
UNKNOWN_ID = 2147483647
Pairs = list[tuple[str, Any]]

# The calendars the list probes look at when they may write: two text fields with nulls in
# different places (sorting by either puts a null first, or not), a value in most records and
# one record with another (negations keep one record, or that one and the nulls), cased text;
# `sort` values given (not left to the deployment) with ties, in an order that is not the ids';
# two publicnames with words no name holds (what `search` reads).
POOL = (
    {"city": None, "address": "1 rue Calibrage", "sort": 30},
    {"city": "Calib-Ville", "address": None, "sort": 10, "publicname": "Cabinet Nord"},
    {"city": "Calib-Ville", "address": "1 rue Calibrage", "sort": 30},
    {"city": None, "address": "1 rue Calibrage", "sort": 20},
    {"city": "Calib-Ville", "address": None, "sort": 10},
    {"city": "Autre-Ville", "address": "2 rue Autre", "sort": 40, "publicname": "Agenda Sud"},
    {"city": "Calib-Ville", "address": "1 rue Calibrage", "sort": 30},
)


class WriteRefused(Exception):
    """A write calibrate must not send: to a calendar it did not create, or under --read-only."""


@dataclass
class Population:
    """Calendars a list probe looks at: the query params that list exactly them, and them."""

    params: Pairs
    records: list[dict[str, Any]]
    what: str

    def ids(self) -> list[int]:
        return sorted(record["id"] for record in self.records)


class Session:
    def __init__(self, api: Api, *, read_only: bool, intervention_ids: Sequence[int] | None = None,
                 intervention_probes: int = 100, max_own_calendars: int | None = None,
                 run_id: str | None = None) -> None:
        self.api = api
        self.read_only = read_only
        self.intervention_ids = list(intervention_ids or ())
        self.intervention_probes = intervention_probes
        # A suite run that calibrates (--level profile) lends its run id: the calendars it holds
        # are idle by then, and calibrate may reuse them.
        self.run_id = run_id or f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
        self.prefix = f"contract-kit-{self.run_id}-{LABEL}"
        self.pool = OwnPool(max_own_calendars) if max_own_calendars and not read_only else None
        self.created: dict[int, str] = {}  # id -> name, every calendar a POST of ours created
        self.held: set[int] = set()  # calendars of earlier runs claimed for this one
        self._taken: list[int] = []  # the calendars the probe under way took or made
        self.cache: dict[str, Any] = {}
        self._names = 0
        api.observer = self._observe
        api.guard = self._guard

    @property
    def group_id(self) -> int:
        return self.api.group_id

    def name(self, label: str) -> str:
        self._names += 1
        return f"{self.prefix}-{label}-{self._names}"

    # -- reading ----------------------------------------------------------------------------------
    def list(self, params: Pairs) -> tuple[dict[str, Any], Exchange]:
        """The list's envelope for `params`; Unsettled when the list is refused or not one."""
        exchange = self.api.list(params)
        body = exchange.json()
        if exchange.status != 200 or not isinstance(body, dict) or not isinstance(body.get("records"), list) \
                or not all(isinstance(r, dict) and isinstance(r.get("id"), int) for r in body["records"]):
            raise Unsettled(f"the list answered {exchange.summary()}", [exchange])
        return body, exchange

    def read_all(self, params: Pairs) -> tuple[list[dict[str, Any]], list[Exchange]]:
        """Every record the list answers for `params`, in id order: `results=all`, then, from a
        deployment that caps its pages, the records after the last one read (`id >` it, a
        condition: it does not depend on how the deployment reads startIndex)."""
        index = len({key.split("]")[0] for key, _ in params if key.startswith("conditions[")})
        ordered = [*params, ("sort", "id"), ("dir", "asc"), ("results", "all")]
        body, exchange = self.list(ordered)
        records, exchanges = list(body["records"]), [exchange]
        total = body.get("totalRecords")
        while isinstance(total, int) and len(records) < total and len(exchanges) < 1000:
            cursor = [(f"conditions[{index}][field]", "id"), (f"conditions[{index}][op]", ">"),
                      (f"conditions[{index}][value]", records[-1]["id"])]
            body, exchange = self.list([*ordered, *cursor])
            exchanges.append(exchange)
            if not body["records"]:
                break
            records.extend(body["records"])
        return records, exchanges

    def group_records(self) -> tuple[list[dict[str, Any]], list[Exchange]]:
        """The group's calendars as its list shows them (read once)."""
        if "group" not in self.cache:
            self.cache["group"] = self.read_all([])
        return self.cache["group"]

    def population(self) -> Population:
        """What the list probes look at: calendars of ours made for it (`POOL`), listed through
        `search`; under --read-only, the group's calendars as they are."""
        if "population" not in self.cache:
            if self.read_only:
                records, _ = self.group_records()
                self.cache["population"] = Population([], records, f"the group's {len(records)} calendars")
            else:
                self.cache["population"] = self._pool()
        return self.cache["population"]

    def _pool(self) -> Population:
        marker = f"{self.prefix}-listed-"  # not "-pool-": the pool's claimed calendars bear that
        made = [self.create("listed", fields) for fields in POOL]
        params: Pairs = [("search", marker)]
        records, exchanges = self.read_all(params)
        if sorted(r["id"] for r in records) != sorted(r["id"] for r in made):
            raise Unsettled(f"search={marker} should list exactly the {len(made)} calendars calibrate "
                            f"made for the list probes; it listed ids {[r['id'] for r in records]}",
                            exchanges)
        return Population(params, records, f"the {len(made)} calendars calibrate made (search={marker})")

    def interventions(self) -> dict[int, set[int]]:
        """Interventions in use and the calendars each lists: those given, else ids 1, 2, ...
        tried through the list's own filter, until two pairs of them can tell all from any."""
        if "interventions" not in self.cache:
            given = bool(self.intervention_ids)
            found: dict[int, set[int]] = {}
            for intervention in self.intervention_ids or range(1, self.intervention_probes + 1):
                try:
                    records, _ = self.read_all([("intervention_ids[]", intervention)])
                except Unsettled:
                    continue
                if records or given:
                    found[intervention] = {record["id"] for record in records}
                if not given and len(telling_pairs(found)) >= 2:
                    break
            self.cache["interventions"] = found
        return self.cache["interventions"]

    def sample(self) -> dict[str, Any]:
        """A calendar to look at: one of ours, or under --read-only the group's first."""
        if "sample" not in self.cache:
            if self.read_only:
                records, exchanges = self.group_records()
                if not records:
                    raise Unsettled("the group lists no calendar to look at", exchanges)
                self.cache["sample"] = records[0]
            else:
                self.cache["sample"] = self.create("sample")
        return self.cache["sample"]

    # -- our own calendars ------------------------------------------------------------------------
    def claim(self) -> None:
        """The kit's calendars no run holds, named after this run; after a wait, those that still
        bear the name are this run's to reuse (a run that claimed one after us has it)."""
        if self.pool is None:
            return
        records, _ = self.read_all([])
        self.pool.load(self.group_id, records, self.run_id)

        def rename(wanted: list[tuple[int, int]]) -> None:
            self.held.update(calendar_id for _, calendar_id in wanted)
            for _, calendar_id in wanted:
                self.api.update(calendar_id, {"name": claim_name(self.prefix, calendar_id)})

        claim_free(self.pool, self.prefix, [self.group_id], rename, lambda _: self.read_all([])[0])
        self.held.intersection_update(self.pool.free_ids(self.group_id))

    def create(self, label: str, fields: dict[str, Any] | None = None, *, fresh: bool = False
               ) -> dict[str, Any]:
        """A calendar of ours (named with the run's prefix) with `fields`, as the deployment
        answered it: one the pool holds, restored by PUT, unless `fresh` (a probe that judges
        what a create answers) or the pool has none left."""
        values = {"name": self.name(label), **(fields or {})}
        reused = None if fresh or self.pool is None else self.pool.take(self.group_id)
        if reused is not None:
            exchange = self.api.update(reused, {**KNOWN_STATE, **values, "deleted": False})
            what = f"restoring calendar {reused} of the kit's pool to probe with failed"
        else:
            exchange = self.probe_create(values)
            what = "creating a calendar to probe with failed"
        body = exchange.json()
        if not 200 <= exchange.status < 300 or not isinstance(body, dict) \
                or not isinstance(body.get("id"), int):
            raise Unsettled(f"{what}: {exchange.summary()}", [exchange])
        self._taken.append(body["id"])
        return body

    def release(self) -> None:
        """A probe has ended: the calendars it took go back to the pool for the next probes,
        all but those every probe shares (the listed population, the sample)."""
        shared = {record["id"] for record in self.cache["population"].records} \
            if isinstance(self.cache.get("population"), Population) else set()
        if isinstance(self.cache.get("sample"), dict):
            shared.add(self.cache["sample"].get("id"))
        if self.pool is not None:
            self.pool.give_back(self.group_id, [c for c in self._taken if c not in shared])
        self._taken.clear()

    def probe_create(self, fields: Any, **kw: Any) -> Exchange:
        """A POST that may create a calendar (the probes' own creates too), if the footprint bound
        allows one more; else the question stays unknown and nothing is sent."""
        if self.pool is not None:
            records, _ = self.read_all([])  # runs going on meanwhile create too
            self.pool.recount(self.group_id, records, self.run_id)
            if not self.pool.reserve(self.group_id):
                raise Unsettled(f"--max-own-calendars {self.pool.bound}: the kit has created that many "
                                f"calendars in group {self.group_id} over its runs, so calibrate creates "
                                "no more (the probes that must create stay unknown)")
        try:
            return self.api.create(fields, **kw)
        finally:
            if self.pool is not None:
                self.pool.settle(self.group_id)

    def _observe(self, api: Api, exchange: Exchange) -> None:
        """Whatever a POST of ours created (even one that should have been refused) is ours to
        soft-delete at the end."""
        if exchange.method != "POST" or not 200 <= exchange.status < 300:
            return
        body = exchange.json()
        if path_values("listCalendars", exchange.path) and isinstance(body, dict) \
                and isinstance(body.get("id"), int):
            self.created[body["id"]] = str(body.get("name"))
            if self.pool is not None:
                self.pool.created(self.group_id, body["id"])

    def _guard(self, method: str, path: str) -> None:
        """Refuse, before it is sent, a write to a calendar calibrate did not create, and under
        --read-only any write but a login (a probe that tried is a bug of the kit)."""
        if path_values("login", path) is not None:
            return
        if self.read_only:
            raise WriteRefused(f"calibrate refuses to send {method} {path} with --read-only")
        found = path_values("getCalendar", path)
        if found is not None and not (found["calendar_id"].isdigit()
                                      and int(found["calendar_id"]) in self.created.keys() | self.held):
            raise WriteRefused(f"calibrate refuses to send {method} {path}: not a calendar it created")

    def clean_up(self) -> list[str]:
        """Soft-delete every calendar calibrate created or claimed (and only those); with a bound,
        named free for later runs first, and kept undeleted where the list would hide them."""
        ours = sorted(self.created.keys() | self.held)
        if not ours:
            return []
        let_go = self.pool is not None
        outcomes = [self.api.soft_delete_left(calendar_id, free_name=f"{FREE_PREFIX}{calendar_id}"
                                              if let_go else None) for calendar_id in ours]
        problems = [problem for problem in outcomes if problem is not None]
        done = len(outcomes) - len(problems)
        named = f"named {FREE_PREFIX}<id> for later runs and" if let_go else f"({self.prefix}-*)"
        notes = [f"clean-up: the {done} calendar(s) calibrate created or reused are {named} soft-deleted"]
        if problems:
            notes.append(f"clean-up could not soft-delete: {', '.join(problems)}")
        if let_go:
            notes.extend(self._keep_findable([c for c, problem in zip(ours, outcomes, strict=True)
                                              if problem is None]))
            notes.extend(self.pool.notes())
        return notes

    def _keep_findable(self, deleted: list[int]) -> list[str]:
        """A deployment that leaves soft-deleted calendars out of its lists would hide them from
        later runs, and every run would create more: those stay undeleted, named free."""
        try:
            listed = {record["id"] for record in self.read_all([])[0]}
        except Unsettled:
            return []
        unlisted = [calendar_id for calendar_id in deleted if calendar_id not in listed]
        restored = sum(200 <= self.api.update(calendar_id, {"deleted": False}).status < 300
                       for calendar_id in unlisted)
        return [f"clean-up: the deployment leaves soft-deleted calendars out of its lists: {restored} "
                f"stay undeleted, named {FREE_PREFIX}<id>, for later runs to find"] if unlisted else []


def telling_pairs(calendars_of: dict[int, set[int]]) -> list[tuple[int, int]]:
    """Pairs of interventions whose calendars differ, so that `all` and `any` list different ids."""
    ids = sorted(calendars_of)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]
            if calendars_of[a] and calendars_of[b] and calendars_of[a] != calendars_of[b]]
