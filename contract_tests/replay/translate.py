"""A recorded call as the target is sent it.

The recorded credentials become the target's, wherever the recording had them: the apikey (in
the query, a JSON body or a form), HTTP Basic, a login's `pro[email]`/`pro[password]`, and the
`_session_id` cookie (the one the target gave the replayed login). The recorded group becomes
the target's (in the path, a body's `group_id`, a condition on `group_id`); a calendar the
recording created becomes the one the target created in its place (in the path, a body's `id`,
a condition on `id`). A call the recording saw refused with 401 is sent with one credential
refused (`spoiled`). A recording whose recorder dropped the user's credentials (Chrome's
sanitized export drops Authorization and Cookie) has calls the API answered without them: each
call not refused with 401 is sent with the target's Basic credentials (`credentials_dropped`).
Everything else is sent as recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from calendar_spec.walk import fill

from mock_server.recorded.calls import ApiCall

from ..client import Identity
from ..context import UNKNOWN_ID
from ..diff.steps import BAD_APIKEY
from ..spec_facts import OPERATIONS

WRONG_PASSWORD = "not-the-password-of-a-replay"
UNKNOWN_SESSION = "_session_id=no-such-session-of-a-replay"
DROPPED_NOTE = ("the recording holds no user credentials on calls the API answered (its recorder dropped "
                "them): every call not refused with 401 is sent with Basic")


@dataclass
class Translation:
    """What the replay knows so far: the groups, the created calendars slot by slot on each
    side (`recorded_ids`, `target_ids`), the target's session cookie."""

    recorded_group: int
    target: Identity
    recorded_ids: dict[int, int] = field(default_factory=dict)
    target_ids: dict[int, int] = field(default_factory=dict)
    session_cookie: str | None = None
    credentials_dropped: bool = False

    def group(self, recorded: int) -> int:
        """The target's group for a recorded one: the recorded group is the target's, another
        is sent as recorded."""
        return self.target.group_id if recorded == self.recorded_group else recorded

    def slot_of(self, recorded_id: Any) -> int | None:
        """The slot of a calendar the recording created (None for any other); the latest, when
        creates gave the same id twice (sessions against fresh deployments, in one file)."""
        if isinstance(recorded_id, str):
            recorded_id = int(recorded_id) if recorded_id.isdigit() else None
        return max((slot for slot, cid in self.recorded_ids.items() if cid == recorded_id), default=None)

    def calendar(self, recorded_id: Any) -> Any:
        """The target's id for a recorded calendar id: as recorded when the recording did not
        create it; an id that exists nowhere when the target could not create it."""
        slot = self.slot_of(recorded_id)
        return self.target_ids.get(slot, UNKNOWN_ID) if slot is not None else recorded_id


@dataclass(frozen=True)
class Outgoing:
    """A request for `Api.request`: the query holds the apikey where the recording had it."""

    method: str
    path: str
    raw_query: str
    body: bytes | None
    content_type: str | None
    auth: tuple[str, str] | None
    cookie: str | None
    note: str = ""


def spoiled(call: ApiCall) -> str | None:
    """For a call refused with 401, the credential the target gets wrong in its place: the
    user's (the password, the session, a login's password) when it carried one, else the
    apikey. Which one the recording had wrong is masked; a wrong password is the commonest."""
    if call.status != 401:
        return None
    if call.basic() is not None:
        return "password"
    if call.sends_session():
        return "session"
    if call.login_email() is not None:
        return "login"
    return "apikey" if call.apikey()[0] else None


def without_user(call: ApiCall) -> bool:
    """Whether the recorded call shows no user credential: no Basic, no session, no login."""
    return call.basic() is None and not call.sends_session() and call.login_email() is None


def credentials_dropped(calls: Iterable[ApiCall]) -> bool:
    """Whether the recorder dropped the user's credentials: the API answered a call that shows
    none with 2xx, which it gives no call without them (CONTRACT: no data without credentials)."""
    return any(call.ok and call.operation != "login" and without_user(call) for call in calls)


def outgoing(call: ApiCall, known: Translation) -> Outgoing:
    refused = spoiled(call)
    target = known.target
    values = dict(call.path_values)
    template = OPERATIONS[call.operation][1]
    suffix = call.path[len(fill(template, **values)):]
    if call.group_id is not None:
        values["group_id"] = str(known.group(call.group_id))
    if "calendar_id" in values:
        values["calendar_id"] = str(known.calendar(values["calendar_id"]))
    auth: tuple[str, str] | None = None
    cookie, note = None, ""
    if call.basic() is not None:
        auth = (target.user, WRONG_PASSWORD if refused == "password" else target.password)
    elif refused == "session":
        cookie = UNKNOWN_SESSION
    elif call.sends_session():
        if known.session_cookie:
            cookie = known.session_cookie
        else:
            auth, note = (target.user, target.password), "a cookie call before any login: sent with Basic"
    elif known.credentials_dropped and call.status != 401 and without_user(call):
        auth, note = (target.user, target.password), DROPPED_NOTE
    return Outgoing(call.method, fill(template, **values) + suffix,
                    urlencode(_pairs(call.query, known, refused)), _body(call, known, refused),
                    call.request_mime or None, auth, cookie, note)


def _pairs(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]], known: Translation,
           refused: str | None) -> list[tuple[str, str]]:
    """Query or form pairs with the target's credentials, ids and group."""
    fields = {key[: -len("[field]")]: value for key, value in pairs
              if key.startswith("conditions[") and key.endswith("[field]")}
    out = []
    for key, value in pairs:
        if key == "apikey":
            value = BAD_APIKEY if refused == "apikey" else known.target.apikey
        elif key == "pro[email]":
            value = known.target.user
        elif key == "pro[password]":
            wrong = hashlib.sha1(WRONG_PASSWORD.encode()).hexdigest()
            value = wrong if refused == "login" else known.target.password_sha1
        elif key.startswith("conditions[") and key.endswith("[value]"):
            condition = fields.get(key[: -len("[value]")])
            if condition == "id":
                value = ",".join(str(known.calendar(part)) for part in value.split(","))
            elif condition == "group_id" and value.isdigit():
                value = str(known.group(int(value)))
        out.append((key, value))
    return out


def _body(call: ApiCall, known: Translation, refused: str | None) -> bytes | None:
    if call.request_text is None:
        return None
    if call.is_form():
        return urlencode(_pairs(call.form(), known, refused)).encode("utf-8")
    document = call.request_json()
    if not isinstance(document, dict):
        return call.request_text.encode("utf-8")
    document = dict(document)
    if "apikey" in document:
        document["apikey"] = BAD_APIKEY if refused == "apikey" else known.target.apikey
    calendar = document.get("calendar")
    if isinstance(calendar, dict):
        calendar = document["calendar"] = dict(calendar)
        if type(calendar.get("group_id")) is int:
            calendar["group_id"] = known.group(calendar["group_id"])
        if type(calendar.get("id")) is int:
            calendar["id"] = known.calendar(calendar["id"])
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
