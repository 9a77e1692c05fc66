"""The seeded scenario: `build_scenario(seed, steps)` returns the same steps for the same seed
and knows nothing of either deployment (steps and their tokens: `steps.py`).

Calendars the later steps work on are named `<prefix>-cNN…`, and every list is filtered to
`<prefix>-c`, so data already on a deployment never enters a comparison. Probes that a
deployment may accept or refuse (an open question) create `<prefix>-pNN` calendars that no list
sees and no later step touches, so one side accepting them does not make later steps differ.
Every create sends `sort`: when omitted it depends on the group's existing calendars.

After a few creates, steps are drawn from a shuffled deck holding every kind, so any scenario of
40 steps or more sends every kind of step (every bad input, every probe) at least once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ..context import UNKNOWN_ID
from .steps import UNKNOWN, Step

DEFAULT_STEPS = 40
FIRST_CREATES = 6
NO_SUCH_GROUP = UNKNOWN_ID - 1
UNKNOWN_CALENDARSET = UNKNOWN_ID - 47

# kind -> copies in the deck. Probes answer an open question; bad inputs must be refused.
# (unknown_key became a probe, `unknown_calendar_keys`; it keeps its place: the deck's order
# is part of every seed's scenario. list_case took a copy of show's: its first step asks `=`,
# its second `like`, so that 40 steps still send every kind.)
DECK = {
    "list": 2, "list_nulls": 1, "list_case": 2, "list_negation": 1, "list_paged": 1, "list_deleted": 1,
    "list_big": 1, "update": 3, "create": 2, "delete": 1, "restore": 2, "show": 1,
    "bad_type": 1, "missing_name": 1, "unknown_key": 1, "bad_json": 1, "unknown_id": 1,
    "negative_timing": 1, "too_long": 1,
    "group_mismatch": 1, "blank_name": 1, "unknown_calendarset": 1, "bad_apikey_and_body": 1,
    "top_level_key": 1, "deleted_0_1": 1, "string_integer": 1, "method_not_allowed": 1,
}
CITIES = (None, "Lyon", "Paris", "Nantes", "Lyon")
CHOICES: dict[str, tuple[Any, ...]] = {
    "publicname": ("", "Agenda Nord", "Agenda Sud", "Cabinet"),
    "address": (None, "1 rue Neuve", "8 avenue Foch"),
    "zipcode": (None, "69001", "75002", "44000"),
    "city": CITIES,
    "generate_interval": (5, 10, 15, 20, 30),
    "mintime_rdv": (0, 30, 60),
    "maxrdv_period": (43200, 131400),
    "mintime_annulation": (0, 1440, 2880),
}
WRONG_TYPES: tuple[tuple[str, Any], ...] = (
    ("generate_interval", True), ("generate_interval", 1.5), ("mintime_rdv", [1]),
    ("name", 12), ("city", {"name": "Lyon"}), ("deleted", "yes"),
)


@dataclass
class _Calendar:
    slot: int
    name: str
    fields: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool: list[_Calendar] = []
        self.slots = 0
        self.steps: list[Step] = []
        self.deck: list[str] = []
        self.case_steps = 0

    def build(self, count: int) -> list[Step]:
        while len(self.steps) < count:
            kind = "create" if len(self.steps) < FIRST_CREATES else self._draw()
            getattr(self, f"_{kind}")(kind)
        return self.steps[:count]

    def _draw(self) -> str:
        if not self.deck:
            self.deck = [kind for kind, copies in DECK.items() for _ in range(copies)]
            self.rng.shuffle(self.deck)
        return self.deck.pop()

    def _add(self, kind: str, method: str, operation: str, **kw: Any) -> None:
        self.steps.append(Step(len(self.steps) + 1, kind, method, operation, **kw))

    def _slot(self) -> int:
        self.slots += 1
        return self.slots

    def _pick(self, deleted: bool | None = None) -> _Calendar:
        wanted = [c for c in self.pool if deleted is None or c.deleted == deleted]
        return self.rng.choice(wanted or self.pool)

    def _fields(self, count: int) -> dict[str, Any]:
        names = self.rng.sample(sorted(CHOICES), count)
        return {name: self.rng.choice(CHOICES[name]) for name in names}

    def _probe_create(self, kind: str, fields: dict[str, Any], name: str | None = "", **kw: Any) -> None:
        """A create whose calendar no list sees: named `<prefix>-pNN` (or `name`; None: no name)."""
        slot = self._slot()
        calendar = {"name": name or f"<prefix>-p{slot:02d}", "sort": 1, **fields}
        if name is None:
            del calendar["name"]
        self._add(kind, "POST", "createCalendar", body={"calendar": calendar}, creates=slot, **kw)

    # -- the calendars the scenario works on ------------------------------------------------------
    def _create(self, kind: str) -> None:
        slot = self._slot()
        calendar = _Calendar(slot, f"<prefix>-c{slot:02d}", self._fields(self.rng.randint(1, 4)))
        calendar.fields["sort"] = 1000 + 10 * slot + self.rng.randrange(10)
        if slot <= 2:  # one calendar without a city and one with: nulls and values to sort and filter
            calendar.fields["city"] = (None, "Lyon")[slot - 1]
        elif self.rng.random() < 0.5:
            calendar.fields.setdefault("city", self.rng.choice(CITIES))
        self.pool.append(calendar)
        body = {"calendar": {"name": calendar.name, **calendar.fields}}
        if self.rng.random() < 0.3:
            body["calendar"]["group_id"] = "$group"
        self._add(kind, "POST", "createCalendar", body=body, creates=slot)

    def _update(self, kind: str) -> None:
        calendar = self._pick()
        fields = self._fields(self.rng.randint(1, 3))
        if self.rng.random() < 0.25:
            calendar.name = f"{calendar.name.split('-r')[0]}-r{len(self.steps)}"
            fields["name"] = calendar.name
        calendar.fields.update(fields)
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot, body={"calendar": fields})

    def _delete(self, kind: str) -> None:
        calendar = self._pick(deleted=False)
        calendar.deleted = True
        self._add(kind, "DELETE", "deleteCalendar", target=calendar.slot)

    def _restore(self, kind: str) -> None:
        calendar = self._pick(deleted=True)
        calendar.deleted = False
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot,
                  body={"calendar": {"deleted": False}})

    def _show(self, kind: str) -> None:
        self._add(kind, "GET", "getCalendar", target=self._pick().slot)

    def _list(self, kind: str, extra: Any = "?", sort: Any = "?", paging: Any = "?") -> None:
        """A list of the run's calendars (by search or a `like` condition), with `extra` (a
        condition), `sort` and `paging`; "?" draws one at random."""
        rng = self.rng
        by_search = rng.random() < 0.5
        params: list[tuple[str, str]] = [("search", "<prefix>-c")] if by_search else []
        conditions = [] if by_search else [("name", "like", "<prefix>-c%")]
        if extra == "?":
            extra = None if rng.random() < 0.5 else rng.choice((
                ("generate_interval", ">=", "15"), ("city", "=", "Lyon"),
                ("generate_interval", "in", "10,20"), ("id", "in", "")))
        if extra is not None and extra[0] == "id":
            slots = sorted({self._pick().slot for _ in range(3)})
            extra = ("id", "in", ",".join(f"<id:{slot}>" for slot in slots))
        conditions += [extra] if extra is not None else []
        for index, (name, op, value) in enumerate(conditions):
            params += [(f"conditions[{index}][field]", name), (f"conditions[{index}][op]", op),
                       (f"conditions[{index}][value]", value)]
        if sort == "?":
            sort = rng.choice((None, None, "name", "generate_interval", "sort", "id", "city"))
        if sort is not None:
            params.append(("sort", sort))
            direction = rng.choice((None, "asc", "desc"))
            params += [("dir", direction)] if direction else []
        if paging == "?":
            paging = rng.choice(((), (), (("results", "3"),), (("results", "all"),), (("results", "10"),)))
        params += list(paging)
        if kind == "list" and rng.random() < 0.15:  # none of the run's calendars offers one: []
            params += [("intervention_ids[]", "21")] + [("intervention_ids[]", "23")] * rng.randint(0, 1)
        self._add(kind, "GET", "listCalendars", params=tuple(params))

    def _list_nulls(self, kind: str) -> None:
        """Sorted by a field some of the run's calendars leave null: where do nulls go?"""
        sort = self.rng.choice(("city", "address", "zipcode"))
        self._list(kind, extra=None, sort=sort, paging=(("results", "all"),))

    def _list_case(self, kind: str) -> None:
        """A name in capitals: with `=` (or `!=`, `in`), are conditions on strings case-sensitive?
        Next time, with `like` (or `not like`) and `%`: does `like` ignore case?"""
        self.case_steps += 1
        ops = ("=", "!=", "in") if self.case_steps % 2 else ("like", "not like")
        op = self.rng.choice(ops)
        name = self._pick(deleted=False).name.upper()
        self._list(kind, extra=("name", op, name if op in ("=", "!=", "in") else name[:-1] + "%"), sort="id",
                   paging=())

    def _list_negation(self, kind: str) -> None:
        """A negated condition on a field some calendars leave null: are those kept?"""
        extra = self.rng.choice((("city", "!=", "Lyon"), ("city", "not like", "Ly%"),
                                 ("city", "not in", "Paris,Nantes"), ("address", "!=", "1 rue Neuve")))
        self._list(kind, extra=extra, sort="id", paging=())

    def _list_paged(self, kind: str) -> None:
        """A page past the first: does startIndex count items or pages?"""
        results = self.rng.choice((2, 3))
        paging = (("results", str(results)), ("startIndex", str(self.rng.choice((1, 2)))))
        self._list(kind, extra=None, sort="id", paging=paging)

    def _list_big(self, kind: str) -> None:
        """More calendars than a capped page holds."""
        self._list(kind, extra=None, sort="sort", paging=(("results", self.rng.choice(("all", "20"))),))

    def _list_deleted(self, kind: str) -> None:
        """A soft delete, then every calendar of the run: is the deleted one listed?"""
        self._delete("delete")
        self._list(kind, extra=None, sort="id", paging=(("results", "all"),))

    # -- bad inputs: every deployment refuses them, and nothing changes ---------------------------
    def _bad_type(self, kind: str) -> None:
        name, value = self.rng.choice(WRONG_TYPES)
        self._add(kind, "PUT", "updateCalendar", target=self._pick().slot, body={"calendar": {name: value}})

    def _missing_name(self, kind: str) -> None:
        self._probe_create(kind, {"publicname": "Agenda"}, name=None)

    def _bad_json(self, kind: str) -> None:
        if self.rng.random() < 0.5:
            self._add(kind, "POST", "createCalendar", raw_body='{"calendar": {"name": ', creates=self._slot())
        else:
            self._add(kind, "PUT", "updateCalendar", target=self._pick().slot, raw_body="{calendar: 1}")

    def _unknown_id(self, kind: str) -> None:
        method, operation, body = self.rng.choice((
            ("GET", "getCalendar", None), ("DELETE", "deleteCalendar", None),
            ("PUT", "updateCalendar", {"calendar": {"city": "Lyon"}})))
        self._add(kind, method, operation, target=UNKNOWN, body=body)

    def _negative_timing(self, kind: str) -> None:
        name = self.rng.choice(("mintime_rdv", "maxrdv_period", "mintime_annulation", "generate_interval"))
        self._add(kind, "PUT", "updateCalendar", target=self._pick().slot, body={"calendar": {name: -5}})

    def _too_long(self, kind: str) -> None:
        name, limit = self.rng.choice((("name", 255), ("zipcode", 16), ("city", 64)))
        self._add(kind, "PUT", "updateCalendar", target=self._pick().slot,
                  body={"calendar": {name: "<prefix>-c" + "x" * limit}})

    # -- probes: a correct deployment may answer either way (an open question) ---------------------
    def _group_mismatch(self, kind: str) -> None:
        self._probe_create(kind, {"group_id": NO_SUCH_GROUP})

    def _blank_name(self, kind: str) -> None:
        self._probe_create(kind, {"publicname": f"<prefix>-p{self.slots + 1:02d}"}, name="   ")

    def _unknown_calendarset(self, kind: str) -> None:
        self._probe_create(kind, {"calendarset_id": UNKNOWN_CALENDARSET})

    def _bad_apikey_and_body(self, kind: str) -> None:
        self._probe_create(kind, {"generate_interval": "often"}, bad_apikey=True)

    def _top_level_key(self, kind: str) -> None:
        calendar = self._pick()  # the same name again: accepted or refused, nothing changes
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot,
                  body={"calendar": {"name": calendar.name}, "colour": "blue"})

    def _unknown_key(self, kind: str) -> None:
        """An unknown key inside `calendar` (`unknown_calendar_keys`: refused or ignored), next to
        the name the calendar has: accepted or refused, nothing changes."""
        calendar = self._pick()
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot,
                  body={"calendar": {"colour": "blue", "name": calendar.name}})

    def _deleted_0_1(self, kind: str) -> None:
        calendar = self._pick()  # the flag it already has, as 0/1: nothing changes either way
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot,
                  body={"calendar": {"deleted": int(calendar.deleted)}})

    def _string_integer(self, kind: str) -> None:
        calendar = self._pick()
        value = calendar.fields.get("generate_interval", 15)
        self._add(kind, "PUT", "updateCalendar", target=calendar.slot,
                  body={"calendar": {"generate_interval": str(value)}})

    def _method_not_allowed(self, kind: str) -> None:
        if self.rng.random() < 0.5:
            self._add(kind, "PATCH", "getCalendar", target=self._pick().slot)
        else:
            self._add(kind, "DELETE", "listCalendars")


def build_scenario(seed: int, steps: int = DEFAULT_STEPS) -> list[Step]:
    """The scenario of `seed`: `steps` steps, the first few of them creates."""
    if steps < 1:
        raise ValueError("a scenario has at least one step")
    return _Generator(random.Random(seed)).build(steps)
