"""Calendars an earlier replay left on the target, found before this one starts.

A replay's clean-up can only soft-delete what it created (nothing is ever removed), so a second
replay of the same recording against the same deployment finds the first one's calendars in
every list, and creates get other `sort` values: differences that say nothing of the
deployment. Names made unique per run, as diff's scenario makes them (`sides.run_prefixes`),
would not help: diff's scenario only ever lists what its own prefix matches, while a recording
lists whatever the app asked for (every calendar, a calendarset, a city). So the replay looks
for calendars named as the recording's creates before it sends anything, and says so.
"""

from __future__ import annotations

from mock_server.recorded.calls import ApiCall

from ..diff.sides import Side

LOOKED_AT = 10  # names looked for at most: one list request each


def created_names(calls: list[ApiCall]) -> list[str]:
    """The names the recording's creates gave, each once, in order."""
    names: dict[str, None] = {}
    for call in calls:
        body = call.request_json() if call.operation == "createCalendar" and call.ok else None
        calendar = body.get("calendar") if isinstance(body, dict) else None
        name = calendar.get("name") if isinstance(calendar, dict) else None
        if isinstance(name, str) and name.strip():
            names[name] = None
    return list(names)[:LOOKED_AT]


def leftovers_note(side: Side, calls: list[ApiCall]) -> str | None:
    """A note naming the calendars of the target's group named as the recording's creates."""
    found = []
    for name in created_names(calls):
        answer = side.api.list([("conditions[0][field]", "name"), ("conditions[0][op]", "="),
                                ("conditions[0][value]", name), ("results", "1")])
        body = answer.json() if answer.status == 200 else None
        total = body.get("totalRecords") if isinstance(body, dict) else None
        if type(total) is int and total > 0:
            found.append(f"{name!r} ({total})")
    if not found:
        return None
    return (f"the target already holds calendars named as the recording's creates: {', '.join(found)} - "
            "an earlier replay's? Lists and the sort of new calendars will differ by them: replay against "
            "fresh data (--fixtures, or a group of its own)")
