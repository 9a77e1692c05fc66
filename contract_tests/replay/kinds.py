"""The kind of a recorded request, in the words of diff's scenario (`diff/scenario.py`), so that
diff's difference -> open question table (`diff/questions.py`) reads a replayed request as it
reads a step: a create whose body `group_id` is not the path's is a `group_mismatch` probe, a
name of spaces a `blank_name` one, and so on. A request is of the first kind it fits."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from mock_server.recorded.calls import ApiCall

from ..spec_facts import CALENDAR_FIELDS, WRITABLE_FIELDS

READ_ONLY = frozenset(name for name in CALENDAR_FIELDS if name not in WRITABLE_FIELDS)
INTEGERS = frozenset(name for name, schema in WRITABLE_FIELDS.items()
                     if "integer" in (schema.get("type") or ()))
OPERATION_KINDS = {"listCalendars": "list", "getCalendar": "show", "createCalendar": "create",
                   "updateCalendar": "update", "deleteCalendar": "delete", "login": "login"}
Test = Callable[[dict[str, Any], ApiCall, Collection[int]], bool]

# kind -> does the `calendar` of a create or update body fit it (with the call, and the
# calendarsets the recording showed so far)?
BODY_KINDS: tuple[tuple[str, Test], ...] = (
    ("group_mismatch", lambda calendar, call, _: (
        "group_id" in calendar and calendar["group_id"] != call.group_id)),
    ("blank_name", lambda calendar, *_: (
        isinstance(calendar.get("name"), str) and calendar["name"] != "" and not calendar["name"].strip())),
    ("deleted_0_1", lambda calendar, *_: (
        calendar.get("deleted") in (0, 1) and not isinstance(calendar.get("deleted"), bool))),
    ("put_deleted_true", lambda calendar, call, _: call.method == "PUT" and calendar.get("deleted") is True),
    ("string_integer", lambda calendar, *_: any(
        isinstance(calendar.get(name), str) and calendar[name].strip().lstrip("-").isdigit()
        for name in INTEGERS)),
    ("read_only_key", lambda calendar, *_: bool(READ_ONLY & set(calendar))),
    ("unknown_key", lambda calendar, *_: bool(set(calendar) - set(CALENDAR_FIELDS))),
    ("unknown_calendarset", lambda calendar, _, known: (
        type(calendar.get("calendarset_id")) is int and calendar["calendarset_id"] not in known)),
)


def kind_of(call: ApiCall, refused: bool, calendarsets: Collection[int]) -> str:
    """The kind of `call`; `refused`: it is sent with a refused apikey."""
    if not call.served:
        return "method_not_allowed"
    if refused:  # the scenario's one step with refused credentials: credentials_refusal, error_precedence
        return "bad_apikey_and_body"
    kind = OPERATION_KINDS.get(call.operation, call.operation)
    if kind not in ("create", "update"):
        return kind
    body = call.request_json()
    if not isinstance(body, dict) or not isinstance(body.get("calendar"), dict):
        return kind
    if set(body) - {"calendar", "apikey"}:
        return "top_level_key"
    calendar = body["calendar"]
    return next((name for name, fits in BODY_KINDS if fits(calendar, call, calendarsets)), kind)
