"""Differences a recording carries forward, explained by the difference they follow from.

diff's scenario sends nothing that leaves the sides apart (every create names its `sort`, every
probe a value the calendar already has). A recording does: a create without `sort` gets
another `sort` on a deployment answering `omitted_sort` otherwise, and every later answer
showing that calendar shows it too; a write one side refused leaves its fields apart; a
calendar only one side created is listed by one side only. `Inherited` remembers, per calendar
(by its recorded id) and field, the open questions that explained the first difference, and
names them again for a later difference in the same field of the same calendar (or in the
order of a list sorted by that field) - or a later request about, or list record of, a
calendar only one side has.
"""

from __future__ import annotations

from typing import Any

from ..diff.compare import Difference, same

COUNTS = frozenset({"$.totalRecords", "$.recordsReturned", "$.pageSize", "$.records.length"})


class Inherited:
    def __init__(self) -> None:
        self.fields: dict[tuple[str, str], list[str]] = {}  # (calendar id, field) -> questions
        self.calendars: dict[str, list[str]] = {}  # a calendar only one side has -> questions

    # -- naming a later difference ----------------------------------------------------------
    def explain(self, diff: Difference, left: Any, right: Any, sort: str | None = None) -> list[str]:
        """The questions an earlier difference leaves for `diff` ([] when none); `sort`: the
        field the list was sorted by."""
        if diff.kind == "unpaired":
            return self.calendars.get(diff.path.rsplit(" ", 1)[-1], [])
        if diff.kind == "order" and sort:  # sorted by a field some calendars hold apart
            return self._about(_differing(left, right, sort), sort)
        field = _field(diff.path)
        if field and _calendar_id(left) is not None:
            return self._about([_calendar_id(left)], field)
        if diff.path.startswith("$.records[*].") and field:
            return self._about(_differing(left, right, field), field)
        if diff.kind == "records" or diff.path in COUNTS:
            return self._one_sided(left, right)
        return []

    def _about(self, ids: list[str], field: str) -> list[str]:
        """The questions of every calendar in `ids` about `field` ([] when one has none)."""
        if not ids:
            return []
        found: list[str] = []
        for cid in ids:
            questions = self.fields.get((cid, field)) or self.calendars.get(cid)
            if not questions:
                return []
            found += [q for q in questions if q not in found]
        return found

    def _one_sided(self, left: Any, right: Any) -> list[str]:
        ids = [cid for cid in set(_record_ids(left)) ^ set(_record_ids(right))]
        if not ids or any(cid not in self.calendars for cid in ids):
            return []
        return sorted({q for cid in ids for q in self.calendars[cid]})

    # -- remembering what was explained -----------------------------------------------------
    def learn(self, diff: Difference, questions: list[str], left: Any, right: Any,
              written: tuple[str | None, list[str]]) -> None:
        """Remember an explained difference. `written`: the calendar a write named (its
        recorded id) and the fields it wrote, which a status difference leaves apart."""
        if not questions:
            return
        calendar_id, fields = written
        if diff.kind == "status" and calendar_id is not None:
            if fields:
                for name in fields:
                    self.fields.setdefault((calendar_id, name), questions)
            else:  # a create only one side made
                self.calendars.setdefault(calendar_id, questions)
            return
        field = _field(diff.path)
        if field and _calendar_id(left) is not None:
            self.fields.setdefault((_calendar_id(left), field), questions)  # type: ignore[arg-type]
        elif field and diff.path.startswith("$.records[*]."):
            for cid in _differing(left, right, field):
                self.fields.setdefault((cid, field), questions)


def _field(path: str) -> str | None:
    """The calendar field a path names: `$.city` or `$.records[*].city`."""
    for prefix in ("$.records[*].", "$."):
        if path.startswith(prefix) and "." not in path[len(prefix):] and "[" not in path[len(prefix):]:
            return path[len(prefix):]
    return None


def _calendar_id(body: Any) -> str | None:
    """The id of a body that is one calendar (not a list), as a key."""
    if isinstance(body, dict) and "id" in body and "records" not in body:
        return repr(body["id"])
    return None


def _records(body: Any) -> dict[str, Any]:
    records = body.get("records") if isinstance(body, dict) else None
    return {repr(r.get("id")): r for r in records if isinstance(r, dict)} if isinstance(records, list) else {}


def _record_ids(body: Any) -> list[str]:
    return list(_records(body))


def _differing(left: Any, right: Any, field: str) -> list[str]:
    """The calendars both pages hold whose `field` differs."""
    theirs = _records(right)
    return [cid for cid, record in _records(left).items()
            if cid in theirs and not same(record.get(field), theirs[cid].get(field))]
