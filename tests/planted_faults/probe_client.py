"""A tiny in-process client for probes, and a clock that moves a second per reading."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Flask

APIKEY = "demo-apikey-4f1c2b"
USER, PASSWORD, GROUP = "pro@demo.test", "demo-password", 4
OTHER_USER, OTHER_PASSWORD, OTHER_GROUP = "pro5@demo.test", "other-password", 5


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str
    headers: dict[str, str]


class Api:
    """Calls one app in-process as the demo user of group 4 (Basic auth, apikey in the query)."""

    def __init__(self, app: Flask, user: str = USER, password: str = PASSWORD) -> None:
        self.app = app
        self.client = app.test_client()
        self.user, self.password = user, password

    def call(
        self,
        method: str,
        path: str,
        query: Iterable[tuple[str, Any]] = (),
        body: Any = None,
        *,
        apikey: str | None = APIKEY,
        auth: tuple[str, str] | bool | None = True,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        raw_query: str | None = None,
    ) -> Answer:
        """One request; `raw_query` is appended to the query as it is (not encoded)."""
        pairs = ([("apikey", apikey)] if apikey is not None else []) + list(query)
        sent = dict(headers or {})
        if auth is True:
            auth = (self.user, self.password)
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        query_string = "&".join(part for part in (urlencode(pairs), raw_query) if part)
        response = self.client.open(
            path, method=method, query_string=query_string, data=data,
            headers=sent, content_type=content_type,
        )
        try:
            parsed = json.loads(response.get_data(as_text=True) or "null")
        except ValueError:
            parsed = response.get_data(as_text=True)
        return Answer(response.status_code, parsed, response.content_type or "", dict(response.headers))

    # shorthands on the user's group
    def list(self, *query: tuple[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("GET", f"/api/v1/groups/{group}/calendars", query, **kw)

    def ids(self, *query: tuple[str, Any], group: int = GROUP) -> list[int] | int:
        answer = self.list(("results", "all"), *query, group=group)
        return [r["id"] for r in answer.body["records"]] if answer.status == 200 else answer.status

    def get(self, calendar_id: int, group: int = GROUP, **kw: Any) -> Answer:
        return self.call("GET", f"/api/v1/groups/{group}/calendars/{calendar_id}", **kw)

    def post(self, calendar: dict[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("POST", f"/api/v1/groups/{group}/calendars", body={"calendar": calendar}, **kw)

    def put(self, calendar_id: int, calendar: dict[str, Any], group: int = GROUP, **kw: Any) -> Answer:
        return self.call("PUT", f"/api/v1/groups/{group}/calendars/{calendar_id}",
                         body={"calendar": calendar}, **kw)

    def delete(self, calendar_id: int, group: int = GROUP, **kw: Any) -> Answer:
        return self.call("DELETE", f"/api/v1/groups/{group}/calendars/{calendar_id}", **kw)


class SteppingClock:
    """A clock that moves one second per reading, so updated_at changes are visible at once."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now
