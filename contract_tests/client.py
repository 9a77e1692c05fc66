"""The Calendar API as the suite calls it: one identity, one transport, every exchange kept."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .http import Exchange, Params, Transport, basic_header, encode_query
from .model import deleted_flag
from .spec_facts import OPERATIONS, path_of

DEFAULT: Any = object()
UNSET: Any = object()
JSON = "application/json"
WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


@dataclass(frozen=True)
class Identity:
    apikey: str
    user: str
    password: str
    group_id: int

    @property
    def password_sha1(self) -> str:
        return hashlib.sha1(self.password.encode("utf-8")).hexdigest()


def collection_path(group_id: Any, suffix: str = "") -> str:
    return path_of("listCalendars", suffix, group_id=group_id)


def calendar_path(group_id: Any, calendar_id: Any, suffix: str = "") -> str:
    return path_of("getCalendar", suffix, group_id=group_id, calendar_id=calendar_id)


LOGIN_PATH = path_of("login")


def member_id(operation: str) -> str:
    """The path parameter naming the record of a show operation (its last one)."""
    return re.findall(r"\{(\w+)\}", OPERATIONS[operation][1])[-1]


class Api:
    """Requests as `identity`: apikey in the query and HTTP Basic, unless a call says otherwise."""

    def __init__(self, transport: Transport, identity: Identity, journal: list[Exchange],
                 gate: Any = None) -> None:
        self.transport = transport
        # gate.Gate: reads side by side, each write (with its guard's snapshots) alone.
        self.gate = gate
        self.identity = identity
        self.journal = journal
        # Called with every exchange: the suite uses it to remember whatever a POST created.
        self.observer: Any = None
        # Called before each write with (method, path); what it returns is called with the answer.
        self.guard: Any = None

    @property
    def group_id(self) -> int:
        return self.identity.group_id

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        raw_query: str | None = None,
        json_body: Any = UNSET,
        body: bytes | None = None,
        content_type: str | None = None,
        apikey: Any = DEFAULT,
        auth: Any = DEFAULT,
        cookie: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Exchange:
        """Send one request. `apikey=None` / `auth=None` leave them out; `auth=(user, pw)` overrides."""
        query = raw_query if raw_query is not None else encode_query(params)
        key = self.identity.apikey if apikey is DEFAULT else apikey
        if key is not None:
            prefix = encode_query([("apikey", key)])
            query = f"{prefix}&{query}" if query else prefix
        sent_headers: dict[str, str] = {}
        credentials = (self.identity.user, self.identity.password) if auth is DEFAULT else auth
        if credentials is not None:
            sent_headers["Authorization"] = basic_header(*credentials)
        if json_body is not UNSET:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            content_type = content_type or JSON
        if content_type:
            sent_headers["Content-Type"] = content_type
        if cookie:
            sent_headers["Cookie"] = cookie
        sent_headers.update(headers or {})
        if self.gate is None:
            return self._send(method, path, query, sent_headers, body)
        writes = method in WRITES and not path.startswith(LOGIN_PATH)
        with self.gate.alone() if writes else self.gate.shared():
            return self._send(method, path, query, sent_headers, body)

    def _send(self, method: str, path: str, query: str, sent_headers: dict[str, str],
              body: bytes | None) -> Exchange:
        check = self.guard(method, path) if self.guard is not None and method in WRITES else None
        counted = self.gate is not None and method in WRITES and not path.startswith(LOGIN_PATH)
        if counted:
            self.gate.note_write()
        try:
            status, response_headers, content = self.transport.send(method, path, query, sent_headers, body)
        finally:
            if counted:
                self.gate.note_write()
        exchange = Exchange(
            method,
            self.transport.base_url,
            path,
            query,
            sent_headers,
            body,
            status,
            response_headers,
            content,
        )
        self.journal.append(exchange)
        if self.observer is not None:
            self.observer(self, exchange)
        if check is not None:
            check(exchange)
        return exchange

    # -- the operations ---------------------------------------------------------------------------
    def list(self, params: Params = None, *, group: Any = None, suffix: str = "",
             operation: str = "listCalendars", **kw: Any) -> Exchange:
        """A list: the calendars, or another collection of the spec (`operation`)."""
        path = path_of(operation, suffix, group_id=self._group(group))
        return self.request("GET", path, params=params, **kw)

    def show_one(self, operation: str, record_id: Any, *, group: Any = None, **kw: Any) -> Exchange:
        """One record of another resource of the spec: `operation` names its show (getIntervention)."""
        path = path_of(operation, "", group_id=self._group(group), **{member_id(operation): record_id})
        return self.request("GET", path, **kw)

    def show(self, calendar_id: Any, *, group: Any = None, suffix: str = "", **kw: Any) -> Exchange:
        return self.request("GET", calendar_path(self._group(group), calendar_id, suffix), **kw)

    def create(self, fields: Any, *, group: Any = None, wrap: bool = True, **kw: Any) -> Exchange:
        payload = {"calendar": fields} if wrap else fields
        return self.request("POST", collection_path(self._group(group)), json_body=payload, **kw)

    def update(
        self, calendar_id: Any, fields: Any, *, group: Any = None, wrap: bool = True, suffix: str = "",
        **kw: Any
    ) -> Exchange:
        payload = {"calendar": fields} if wrap else fields
        return self.request("PUT", calendar_path(self._group(group), calendar_id, suffix), json_body=payload,
                            **kw)

    def delete(self, calendar_id: Any, *, group: Any = None, suffix: str = "", **kw: Any) -> Exchange:
        return self.request("DELETE", calendar_path(self._group(group), calendar_id, suffix), **kw)

    def soft_delete_left(self, calendar_id: Any, *, group: Any = None, free_name: str | None = None
                         ) -> str | None:
        """Clean-up of a calendar of ours: named `free_name` when given (the run lets it go),
        soft-deleted unless it already is; None when it is deleted now, else what went wrong
        ("<id> (<status>)")."""
        shown = self.update(calendar_id, {"name": free_name}, group=group) if free_name else None
        if shown is None or not 200 <= shown.status < 300:  # a deployment may refuse a deleted one's PUT
            shown = self.show(calendar_id, group=group)
        body = shown.json()
        if 200 <= shown.status < 300 and isinstance(body, dict) and deleted_flag(body, booleans_only=False):
            return None
        answer = self.delete(calendar_id, group=group)
        return None if 200 <= answer.status < 300 else f"{calendar_id} ({answer.status})"

    def login(
        self,
        *,
        suffix: str = "",
        form: bool = False,
        email: str | None = None,
        password_sha1: str | None = None,
        omit: tuple[str, ...] = (),
        **kw: Any,
    ) -> Exchange:
        """POST /api/v1/sessions/login: credentials in the query (docs) or form-encoded (clients);
        `omit` leaves fields out (`("pro[password]",)`)."""
        fields = [
            (name, value)
            for name, value in (
                ("pro[email]", email or self.identity.user),
                ("pro[password]", password_sha1 or self.identity.password_sha1),
            )
            if name not in omit
        ]
        kw.setdefault("auth", None)
        if form:
            return self.request(
                "POST",
                LOGIN_PATH + suffix,
                body=encode_query(fields).encode(),
                content_type="application/x-www-form-urlencoded",
                **kw,
            )
        return self.request("POST", LOGIN_PATH + suffix, params=fields, **kw)

    def _group(self, group: Any) -> Any:
        return self.identity.group_id if group is None else group
