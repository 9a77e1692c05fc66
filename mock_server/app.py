"""`create_app`: a mock of the Calendar API as one Flask app - wiring only."""

from __future__ import annotations

from flask import Flask

from .config import MockConfig, Seed
from .contract import Contract
from .control import control_app, mock_of
from .stack import wsgi_stack
from .state import MockState

__all__ = ["create_app", "mock_of"]


def create_app(config: MockConfig | Seed = None, *, contract: Contract | None = None, **options: object
               ) -> Flask:
    """A mock of the Calendar API with its own state: the API below Flask, the control plane
    under /_mock on it.

    Give a `MockConfig`, or the seed data (a path, a dict, None for the demo data) and the
    other fields as keywords: `create_app("seed.json", settings={"page_cap": "5"},
    journal_size=100)`; `intervention_match` and `deleted_calendars` are shorthands for
    those two settings."""
    if not isinstance(config, MockConfig):
        if config is not None and "fixtures" in options:
            raise TypeError("give the seed data once, first or as fixtures=")
        config = MockConfig.of(options.pop("fixtures", config), **options)  # type: ignore[arg-type]
    elif options:
        raise TypeError("give a MockConfig or its fields as keywords, not both")
    mock = MockState(config, contract)
    app = control_app(mock)
    app.wsgi_app = wsgi_stack(mock, app.wsgi_app)  # type: ignore[method-assign]
    return app
