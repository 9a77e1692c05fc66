"""`CalendarMock`: one mock as a test sees it - its credentials, journal, faults, settings -
and what a test asserts about the requests it received.

The pytest fixtures (`calendar_mock`, `calendar_mock_app`, `calendar_mock_intercept`) and
`mock_clicrdv()` all hand out one of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask

from .app import mock_of
from .calendars.clock import MockClock
from .config import ProfileSource, Seed
from .traffic.patterns import ANY, RequestPattern, request_line


@dataclass
class CalendarMock:
    """A mock with its demo credentials; state is fresh at the start of every test."""

    app: Flask
    base_url: str

    @property
    def _state(self):
        return mock_of(self.app)

    @property
    def apikey(self) -> str:
        return self._state.store.dump()["apikeys"][0]

    @property
    def _user(self) -> dict[str, Any]:
        return self._state.store.seed_credentials()[0]

    @property
    def auth(self) -> tuple[str, str]:
        """(email, password) of the first seed user, for HTTP Basic."""
        return self._user["email"], self._user["password"]

    @property
    def group_id(self) -> int:
        return self._user["group_id"]

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests(self, **filters: str) -> list[dict[str, Any]]:
        """The journal: method, path, query, body and status of each request (secrets masked)."""
        return self._state.journal.entries(filters)

    def state(self) -> dict[str, Any]:
        return self._state.store.dump()

    def reset(self, seed: Seed = None) -> None:
        """Back to the demo data, default switches and an empty journal; or load `seed`."""
        self._state.reset(seed)

    def inject(self, action: str, **match: object) -> dict[str, Any]:
        """Make matching requests fail: `inject("error", method="GET", path="/calendars$", times=1)`.

        Actions: delay (`delay_ms=200`, `[50, 500]` or a lognormal distribution), error
        (`status=500`, or 429/503 with `retry_after=30`), drop, truncate, reset, garbage, dribble
        (`chunk_bytes`, `interval_ms`); fire for the next `times` matches and/or a seeded `ratio`.
        """
        return self._state.faults.add({"action": action, **match}).describe()

    @property
    def clock(self) -> MockClock:
        """The mock's clock, for `created_at` / `updated_at` known in advance:
        `clock.freeze("2024-01-15 09:00:00")`, `clock.advance(seconds=90)`, `clock.unfreeze()`.
        Every test starts with it unfrozen."""
        return self._state.clock

    def faults(self) -> list[dict[str, Any]]:
        return self._state.faults.list()

    def clear_faults(self) -> None:
        self._state.faults.clear()

    def configure(self, profile: ProfileSource | None = None, **switches: str) -> None:
        """Answer open questions otherwise until the next test: a whole profile (a file, a
        dict, "default" or "contrarian") and/or single answers, e.g.
        `configure(intervention_match="any", deleted_calendars="hidden")`."""
        if profile is not None:
            self._state.use_profile(profile)
        self._state.configure(**switches)

    def profile(self) -> dict[str, str]:
        """The mock's answer to every open question."""
        return self._state.settings.as_dict()

    # -- verification ----------------------------------------------------------------------
    def assert_requested(self, method: str | None, path: str | re.Pattern[str] | None,
                         times: int | None = None, params: dict[str, Any] | None = None,
                         body: Any = None) -> list[dict[str, Any]]:
        """The journal's requests matching; AssertionError, with the closest requests and what
        differs in each, unless there are `times` of them (by default: at least one).

        `path`: a template (`/api/v1/groups/{group_id}/calendars`, with or without `.json`), a
        compiled regex, or a string regex starting with `^`; `params`: a subset of the query;
        `body`: a subset of the JSON body (None: not looked at)."""
        pattern = RequestPattern.of(method, path, params, ANY if body is None else body)
        journal = self._state.journal
        entries = journal.entries()
        failure = pattern.verify(entries, times, journal.capacity)
        if failure:
            raise AssertionError(failure)
        return pattern.find(entries)

    def refused(self) -> list[dict[str, Any]]:
        """Every request the API refused as wrong (4xx from validation, auth or routing; not a
        404 for a calendar that does not exist), each with its `refusal`: status, message and
        problems per field."""
        return self._state.journal.refused()

    def refusal_report(self) -> str | None:
        """What `refused()` holds, one readable block per request; None when it is empty."""
        refused = self.refused()
        if not refused:
            return None
        lines = [f"the mock refused {len(refused)} request(s) the spec does not accept:"]
        for entry in refused:
            lines.append(f"  {request_line(entry)}: {entry['refusal']['message']}")
            lines += [f"      {field}: {'; '.join(map(str, problems))}"
                      for field, problems in entry["refusal"]["errors"].items()]
        return "\n".join(lines)
