"""`mock_clicrdv()`: calls from requests and httpx (sync and async) to ClicRDV's hosts answered
by a fresh in-process mock, without a socket and without changing the app's code.

    with mock_clicrdv() as mock:                       # a context manager
        my_app.sync_calendars()                        # calls https://www.clicrdv.com/api/v1/...
        mock.assert_requested("GET", "/api/v1/groups/{group_id}/calendars")

    @mock_clicrdv(seed="seed.json", other_hosts="refuse")
    def test_sync(clicrdv_mock): ...                   # a decorator (clicrdv_mock is optional)

The hosts are ClicRDV's documented servers (the spec's `servers`), or `hosts=[...]` (names,
`host:port` or base URLs). A call to any other host goes out as usual, or raises
`OtherHostRefused` with `other_hosts="refuse"`. Interceptions nest: the latest one answers its
hosts until it ends, and the clients' hooks come back when the last one ends, also after an
exception.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from ..app import create_app
from ..calendar_mock import CalendarMock
from ..config import Seed
from ..contract import Contract
from .exchange import Host
from .registry import ACTIVE, OtherHostRefused

__all__ = ["Interception", "OtherHostRefused", "default_hosts", "mock_clicrdv"]
OTHER_HOSTS = ("pass", "refuse")
INJECTED = "clicrdv_mock"  # the parameter a decorated function gets the mock by, when it has one


def default_hosts() -> tuple[str, ...]:
    """ClicRDV's base URLs as the spec documents them (`servers`)."""
    return tuple(server["url"] for server in Contract.default().spec["servers"])


def mock_clicrdv(seed: Seed = None, *, hosts: Iterable[str] | None = None, other_hosts: str = "pass",
                 strict: bool = False, **options: Any) -> Interception:
    """An interception of ClicRDV's hosts, for `with` or as a decorator; each use starts a fresh
    mock from `seed` and `options` (as `create_app` takes them: `profile=`, `settings=`, ...).

    `strict`: when the block ends without an exception, fail (AssertionError) if the mock refused
    a request the spec does not accept, listing each with why."""
    return Interception(seed, hosts, other_hosts, strict, options)


class Interception:
    """What `mock_clicrdv()` returns: one activation at a time; decorating makes one per call."""

    def __init__(self, seed: Seed, hosts: Iterable[str] | None, other_hosts: str, strict: bool,
                 options: dict[str, Any]) -> None:
        if isinstance(hosts, str):
            raise ValueError("hosts: give a list of hosts, not one string")
        parsed = tuple(Host.parse(entry) for entry in (default_hosts() if hosts is None else hosts))
        if not parsed:
            raise ValueError("hosts: give at least one host to answer")
        if other_hosts not in OTHER_HOSTS:
            raise ValueError(f"other_hosts must be one of {', '.join(OTHER_HOSTS)}, not {other_hosts!r}")
        self.hosts = parsed
        self.other_hosts = other_hosts
        self.strict = strict
        self._seed, self._options = seed, options
        self.app: Any = None
        self.mock: CalendarMock | None = None

    def answers(self, url: str) -> bool:
        return any(host.answers(url) for host in self.hosts)

    def __enter__(self) -> CalendarMock:
        if self.mock is not None:
            raise RuntimeError("this mock_clicrdv() is active already: make another one to nest")
        self.app = create_app(self._seed, **self._options)
        self.mock = CalendarMock(self.app, self.hosts[0].base_url)
        ACTIVE.enter(self)
        return self.mock

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        mock, self.mock = self.mock, None
        ACTIVE.exit(self)
        report = mock.refusal_report() if self.strict and kind is None and mock is not None else None
        if report:
            raise AssertionError(report)

    def _again(self) -> Interception:
        """Another interception like this one, not active."""
        twin = copy.copy(self)
        twin.app = twin.mock = None
        return twin

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function` run inside a fresh interception each call; it gets the mock as
        `clicrdv_mock=` when it has that parameter (hidden from pytest, which would look for a
        fixture of that name)."""
        signature = inspect.signature(function)
        wants_mock = INJECTED in signature.parameters

        def arguments(mock: CalendarMock, kwargs: dict[str, Any]) -> dict[str, Any]:
            return {**kwargs, INJECTED: mock} if wants_mock else kwargs

        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._again() as mock:
                    return await function(*args, **arguments(mock, kwargs))
            wrapper: Callable[..., Any] = run_async
        else:
            @functools.wraps(function)
            def run(*args: Any, **kwargs: Any) -> Any:
                with self._again() as mock:
                    return function(*args, **arguments(mock, kwargs))
            wrapper = run
        if wants_mock:
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[p for name, p in signature.parameters.items() if name != INJECTED])
        return wrapper
