"""A calendar as it was before the recording, when the recording first shows it after writing
to it (in a PUT's or DELETE's own answer, or in a read after a write answered without it).

That answer shows the state after the writes, so only part of the state before is known: a
field no PUT sent is as it was (CONTRACT: a PUT changes only the keys sent), and a calendar a
DELETE soft-deleted was, most likely, not deleted. A field a PUT sent, and `updated_at` (any
write that changes a value moves it), are not known: the answer's value is kept, and a warning
line names the calendar and those fields.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from .calls import ApiCall

_FORM_FIELD = re.compile(r"calendar\[(\w+)\]")


def sent_fields(call: ApiCall, writable: Collection[str]) -> set[str] | None:
    """The writable fields a PUT sent (JSON or form); None when its body was not recorded."""
    body = call.request_json()
    if isinstance(body, dict) and isinstance(body.get("calendar"), dict):
        return set(body["calendar"]) & set(writable)
    if call.is_form():
        return {m[1] for key, _ in call.form() if (m := _FORM_FIELD.fullmatch(key))} & set(writable)
    return None


def as_before(record: dict[str, Any], writes: list[ApiCall], writable: Collection[str]
              ) -> tuple[dict[str, Any], str]:
    """`record`, first shown after `writes` (in time order), with what is known of its state
    before them; and the warning line saying what is not."""
    unknown: set[str] = {"updated_at"}
    bodiless = []
    for call in writes:
        if call.method == "PUT":
            sent = sent_fields(call, writable)
            unknown |= set(writable) if sent is None else sent
            if sent is None:
                bodiless.append(call.label)
    record = dict(record)
    said = ""
    if any(call.method == "DELETE" for call in writes) and "deleted" not in unknown:
        # DELETE is idempotent (CONTRACT), so a deleted calendar answers it alike: "not deleted"
        # is the likely state, and the one under which a replay's DELETE deletes something.
        record["deleted"] = False
        said = "seeded as not deleted (likely: a DELETE of a deleted calendar answers the same); "
    first = writes[0]
    fields = ", ".join(name for name in (*writable, "updated_at") if name in unknown)
    line = (f"warning: calendar {record.get('id')}: first seen after {first.label} wrote to it: {said}"
            f"{fields}: as seen after that write (not known before it)")
    if bodiless:
        line += f" ({', '.join(bodiless)}: its body was not recorded)"
    return record, line
