"""An in-memory, stateful mock of the ClicRDV REST API v1 Calendar resource, driven by spec/.

    app.py      create_app(config): the wiring      config.py   MockConfig: what a mock is built from
    state.py    MockState: what one mock owns       errors.py   the error tree, error -> reply
    contract/   compiled from the spec              api/        the request pipeline, no Flask
    calendars/  the domain, no web imports          traffic/    injected faults, the journal
    control.py  the /_mock plane (Flask)            wsgi.py     reading a WSGI environ
    stack.py    the WSGI stack                      namespaces.py  X-Mock-Namespace: isolated mocks
    serve/      processes: CLI, waitress, granian   pytest_plugin.py, pytest_coverage.py
    intercept/  mock_clicrdv(): requests and httpx calls to ClicRDV answered in-process
    calendar_mock.py  CalendarMock: one mock as a test sees it, and what a test asserts
    recorded/   HAR recordings read, seed data from them (`calendar-mock seed-from-har`)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, mock_of
    from .config import MockConfig
    from .intercept import mock_clicrdv

__all__ = ["MockConfig", "create_app", "mock_clicrdv", "mock_of"]
_HOMES = {"create_app": "app", "mock_of": "app", "MockConfig": "config", "mock_clicrdv": "intercept"}


def __getattr__(name: str) -> Any:
    """The public names on first use: `calendar-mock serve` under granian answers the API
    without ever importing Flask, which `app` needs (a tenth of a second at start-up)."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
