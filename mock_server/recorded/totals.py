"""Lists that counted more calendars than the whole recording shows: the app read only some
pages, so the seed lacks calendars the recorded deployment held, and a replay against it will
differ in `totalRecords` and in what each page holds. Said by a warning line, once per group.

Only a list without filters counts every calendar of its group (CONTRACT: `totalRecords`
counts all matches). A calendar the recording created after that list is not one it counted;
a create answered without its calendar made one the recording never shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .calls import ApiCall

FILTERS = ("search", "intervention_ids[]", "calendarset_ids[]")


def unfiltered(call: ApiCall) -> bool:
    return not any(key in FILTERS or key.startswith("conditions[") for key, _ in call.query)


@dataclass
class ListTotals:
    """What the recording showed, in time order (`at`: the call's place in it)."""

    totals: list[tuple[int, ApiCall, int]] = field(default_factory=list)  # at, list, totalRecords
    created: dict[int, int] = field(default_factory=dict)  # calendar id -> at
    unknown_creates: list[tuple[int, int | None]] = field(default_factory=list)  # at, group

    def listed(self, at: int, call: ApiCall, body: dict[str, Any]) -> None:
        total = body.get("totalRecords")
        if unfiltered(call) and type(total) is int:
            self.totals.append((at, call, total))

    def create(self, at: int, call: ApiCall, calendar_id: int | None) -> None:
        if calendar_id is None:
            self.unknown_creates.append((at, call.group_id))
        else:
            self.created.setdefault(calendar_id, at)

    def warnings(self, groups_of: dict[int, int]) -> list[str]:
        """`groups_of`: every calendar the recording showed -> its group."""
        worst: dict[int, tuple[int, int, ApiCall]] = {}  # group -> (shown, total, list)
        for at, call, total in self.totals:
            group = call.group_id
            shown = sum(1 for cid, gid in groups_of.items()
                        if gid == group and self.created.get(cid, -1) < at)
            shown += sum(1 for made, gid in self.unknown_creates if gid == group and made < at)
            if group is not None and total > shown and total - shown > _gap(worst.get(group)):
                worst[group] = (shown, total, call)
        return [f"warning: the recording saw {shown} of the {total} calendars of group {group} "
                f"(totalRecords of {call.label}): a replay against this seed will differ in totals "
                "and pages"
                for group, (shown, total, call) in sorted(worst.items())]


def _gap(found: tuple[int, int, ApiCall] | None) -> int:
    return found[1] - found[0] if found else 0
