"""Shared fixtures: a fresh in-process mock per test, reached through a spec-checking client.

Nothing here starts a server; tests that need real HTTP start their own (or use the
`calendar_mock` fixture of the kit's pytest plugin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from session_notes import WORKER_OUTPUT
from spec_validation import ApiClient

from mock_server import create_app

pytest_plugins = ["pytester"]  # the plugin's own tests run inner pytest sessions
WORKER_NOTES = pytest.StashKey[list[str]]()  # what pytest-xdist workers handed over (session_notes.say)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    notes = node.config.stash.setdefault(WORKER_NOTES, [])
    notes.extend(getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, []))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in terminalreporter.config.stash.get(WORKER_NOTES, []):
        terminalreporter.write_line(line)


class ManualClock:
    """A clock for `create_app(clock=...)` that moves only when a test says so."""

    def __init__(self, start: datetime = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def serve() -> Iterator[Callable[[str], str]]:
    """`serve("strict_server.py")`: a server of tests/independent in its own process, its base URL."""
    from independent_servers import servers  # the contract suite's modules: only when asked for

    with servers() as start:
        yield start


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_client() -> Callable[..., ApiClient]:
    """`make_client(**create_app_kwargs)`: a client over a new mock built with those options."""

    def build(**options: Any) -> ApiClient:
        return ApiClient(create_app(**options))

    return build


@pytest.fixture
def client(make_client: Callable[..., ApiClient]) -> ApiClient:
    """A client over a fresh mock seeded with the demo data (apikey and pro@demo.test by default)."""
    return make_client()
