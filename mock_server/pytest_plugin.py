"""pytest fixtures for integrators: the Calendar mock as a real server, in-process, or answering
ClicRDV's hosts for requests and httpx without a socket.

Installed through the `pytest11` entry point, so the fixtures are available in any test once
the kit is installed:

    def test_my_client_lists_calendars(calendar_mock):
        client = MyClient(calendar_mock.base_url, calendar_mock.apikey, *calendar_mock.auth)
        assert client.calendars(group=calendar_mock.group_id)
        calendar_mock.assert_requested("GET", "/api/v1/groups/{group_id}/calendars")

Per test, `@pytest.mark.calendar_mock(seed=..., profile=..., strict=..., <setting>=...)`; for
the session, the ini options `calendar_mock_seed`, `calendar_mock_profile`,
`calendar_mock_strict` (or `--calendar-mock-seed`, `--calendar-mock-profile`,
`--calendar-mock-strict`). Strict: a test whose code sent a request the mock refused (a 4xx
from validation, auth or routing) fails when it returns, with each request and why.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .app import create_app
from .calendar_mock import CalendarMock
from .config import ProfileSource, Seed
from .intercept import mock_clicrdv
from .serve.waitress_server import RunningServer, serve_in_thread

__all__ = ["CalendarMock"]
MARKER = "calendar_mock"
BUILTIN_PROFILES = ("default", "contrarian")
STRICT_MOCKS = pytest.StashKey[list[CalendarMock]]()  # the mocks a strict test is judged by


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("calendar_mock_profile", "how the calendar mock answers the open questions: a "
                  "profile file (JSON/YAML, relative to the rootdir) or default, contrarian", default="")
    parser.addoption("--calendar-mock-profile", default=None,
                     help="profile file (or default, contrarian) for the calendar_mock fixtures")
    parser.addini("calendar_mock_seed", "seed data of the calendar mock fixtures: a JSON file relative "
                  "to the rootdir (default: the kit's demo data)", default="")
    parser.addoption("--calendar-mock-seed", default=None,
                     help="seed data file (JSON) for the calendar_mock fixtures")
    parser.addini("calendar_mock_strict", "fail a test whose code sent a request the calendar mock "
                  "refused (4xx from validation, auth or routing)", type="bool", default=False)
    parser.addoption("--calendar-mock-strict", action="store_true", default=False,
                     help="fail a test whose code sent a request the calendar mock refused")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(seed=None, profile=None, strict=None, **settings): the calendar mock "
        "fixtures of this test start from this seed data (a dict, or a JSON file relative to the "
        "rootdir), answer as this profile and these settings (e.g. intervention_match='any'), and "
        "with strict=True fail the test when the mock refused a request")


def _under_rootdir(config: pytest.Config, chosen: Any) -> Any:
    """A relative file name, read from the rootdir; anything else as it is."""
    if isinstance(chosen, str) and chosen not in BUILTIN_PROFILES:
        path = config.rootpath / chosen
        return path if path.exists() else chosen
    return chosen


def _session_profile(config: pytest.Config) -> ProfileSource | None:
    chosen = config.getoption("--calendar-mock-profile") or config.getini("calendar_mock_profile")
    return _under_rootdir(config, chosen) if chosen else None


def _session_seed(config: pytest.Config) -> Seed:
    chosen = config.getoption("--calendar-mock-seed") or config.getini("calendar_mock_seed")
    return config.rootpath / chosen if chosen else None


@dataclass
class _Options:
    """How this test's mock starts: what the marker says, else what the session says."""

    seed: Seed = None
    profile: ProfileSource | None = None
    settings: dict[str, str] = field(default_factory=dict)
    strict: bool = False

    @classmethod
    def of(cls, request: pytest.FixtureRequest) -> _Options:
        config = request.config
        marker = request.node.get_closest_marker(MARKER)
        given = dict(marker.kwargs) if marker is not None else {}
        if marker is not None and marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keywords only (seed=, profile=, "
                                    f"strict=, settings), not {marker.args!r}")
        strict = given.pop("strict", None)
        if strict is None:
            strict = config.getoption("--calendar-mock-strict") or config.getini("calendar_mock_strict")
        seed = given.pop("seed", None)
        profile = given.pop("profile", None)
        return cls(
            seed=_under_rootdir(config, str(seed)) if isinstance(seed, str | Path) else seed,
            profile=_under_rootdir(config, profile),
            settings={name: str(value) for name, value in given.items()},
            strict=bool(strict),
        )

    def fresh(self, config: pytest.Config) -> tuple[Seed, dict[str, Any]]:
        """The seed data and options of a fresh mock: the marker's choices, else the session's."""
        return (self.seed if self.seed is not None else _session_seed(config),
                {"profile": self.profile if self.profile is not None else _session_profile(config),
                 "settings": self.settings})

    def judge(self, request: pytest.FixtureRequest, mock: CalendarMock) -> CalendarMock:
        if self.strict:
            request.node.stash.setdefault(STRICT_MOCKS, []).append(mock)
        return mock


@pytest.fixture(scope="session")
def _calendar_mock_server(pytestconfig: pytest.Config) -> Iterator[RunningServer]:
    app = create_app(_session_seed(pytestconfig), profile=_session_profile(pytestconfig))
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture
def calendar_mock(request: pytest.FixtureRequest, _calendar_mock_server: RunningServer
                  ) -> Iterator[CalendarMock]:
    """A real mock on 127.0.0.1 (one per test session), reset for this test: the session's seed
    data and profile, or the marker's."""
    options = _Options.of(request)
    mock = CalendarMock(_calendar_mock_server.app, _calendar_mock_server.base_url)
    mock.reset(options.seed)
    if options.profile is not None or options.settings:
        mock.configure(options.profile, **options.settings)
    yield options.judge(request, mock)


@pytest.fixture
def calendar_mock_app(request: pytest.FixtureRequest) -> CalendarMock:
    """A fresh in-process mock; use `calendar_mock_app.app.test_client()` to call it."""
    options = _Options.of(request)
    seed, fresh = options.fresh(request.config)
    app = create_app(seed, **fresh)
    return options.judge(request, CalendarMock(app, "http://localhost"))


@pytest.fixture
def calendar_mock_intercept(request: pytest.FixtureRequest) -> Iterator[CalendarMock]:
    """A fresh in-process mock answering requests and httpx calls to ClicRDV's hosts, without a
    socket (`mock_server.mock_clicrdv`); calls to other hosts go out as usual."""
    options = _Options.of(request)
    seed, fresh = options.fresh(request.config)
    with mock_clicrdv(seed, **fresh) as mock:
        yield options.judge(request, mock)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A strict test that passed fails when its mock refused a request its code sent."""
    result = yield
    for mock in item.stash.get(STRICT_MOCKS, []):
        report = mock.refusal_report()
        if report:
            pytest.fail(f"calendar mock, strict: {report}", pytrace=False)
    return result
