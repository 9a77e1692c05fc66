"""pytest fixtures for integrators: the Calendar mock as a real server or in-process.

Installed through the `pytest11` entry point, so `calendar_mock` is available in any test
once the kit is installed:

    def test_my_client_lists_calendars(calendar_mock):
        client = MyClient(calendar_mock.base_url, calendar_mock.apikey, *calendar_mock.auth)
        assert client.calendars(group=calendar_mock.group_id)
        assert calendar_mock.requests(method="GET")
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from .app import create_app, mock_of
from .calendars.clock import MockClock
from .config import ProfileSource
from .serve.waitress_server import RunningServer, serve_in_thread


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

    def reset(self, seed: dict[str, Any] | None = None) -> None:
        """Back to the demo data, default switches and an empty journal; or load `seed`."""
        self._state.reset(seed)

    def inject(self, action: str, **match: object) -> dict[str, Any]:
        """Make matching requests fail: `inject("error", method="GET", path="/calendars$", times=1)`.

        Actions: delay (`delay_ms=200`, `[50, 500]` or a lognormal distribution), error
        (`status=500`, or 429/503 with `retry_after=30`), drop, truncate, reset, garbage, dribble
        (`chunk_bytes`, `interval_ms`); fire for the next `times` matches and/or a seeded `ratio`."""
        return self._state.faults.add({"action": action, **match}).describe()

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

    @property
    def clock(self) -> MockClock:
        """The mock's clock, for `created_at` / `updated_at` known in advance:
        `clock.freeze("2024-01-15 09:00:00")`, `clock.advance(seconds=90)`, `clock.unfreeze()`.
        Every test starts with it unfrozen."""
        return self._state.clock


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("calendar_mock_profile", "how the calendar mock answers the open questions: a "
                  "profile file (JSON/YAML, relative to the rootdir) or default, contrarian", default="")
    parser.addoption("--calendar-mock-profile", default=None,
                     help="profile file (or default, contrarian) for the calendar_mock fixtures")


def _session_profile(config: pytest.Config) -> ProfileSource | None:
    chosen = config.getoption("--calendar-mock-profile") or config.getini("calendar_mock_profile")
    if not chosen or chosen in ("default", "contrarian"):
        return chosen or None
    path = config.rootpath / chosen
    return path if path.exists() else chosen


@pytest.fixture(scope="session")
def _calendar_mock_server(pytestconfig: pytest.Config) -> Iterator[RunningServer]:
    with serve_in_thread(create_app(profile=_session_profile(pytestconfig))) as server:
        yield server


@pytest.fixture
def calendar_mock(_calendar_mock_server: RunningServer) -> Iterator[CalendarMock]:
    """A real mock on 127.0.0.1 (one per test session), reset to the demo data for this test."""
    mock = CalendarMock(_calendar_mock_server.app, _calendar_mock_server.base_url)
    mock.reset()
    yield mock


@pytest.fixture
def calendar_mock_app(pytestconfig: pytest.Config) -> CalendarMock:
    """A fresh in-process mock; use `calendar_mock_app.app.test_client()` to call it."""
    return CalendarMock(create_app(profile=_session_profile(pytestconfig)), "http://localhost")
