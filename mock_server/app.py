"""`create_app`: a mock of the Calendar API as one Flask app - wiring only."""

from __future__ import annotations

from flask import Flask

from .config import MockConfig, Seed
from .contract import Contract
from .extension import AddedFlaskRoutes
from .namespaces import REGISTRY
from .stack import namespaced_stack
from .state import MockState

__all__ = ["create_app", "mock_of"]
EXTENSION = "calendar_mock"


def create_app(config: MockConfig | Seed = None, *, contract: Contract | None = None, **options: object
               ) -> Flask:
    """A mock of the Calendar API with its own state: the API, and the control plane under
    /_mock, behind a Flask app (for its test client); other namespaces (`X-Mock-Namespace`)
    made on first use.

    Give a `MockConfig`, or the seed data (a path, a dict, None for the demo data) and the
    other fields as keywords: `create_app("seed.json", settings={"page_cap": "5"},
    journal_size=100)`; `intervention_match` and `deleted_calendars` are shorthands for
    those two settings.

    Routes and blueprints added to the app answer the paths the spec does not serve
    (`mock_server.extension.api_user` authenticates them as the API does)."""
    if not isinstance(config, MockConfig):
        if config is not None and "fixtures" in options:
            raise TypeError("give the seed data once, first or as fixtures=")
        config = MockConfig.of(options.pop("fixtures", config), **options)  # type: ignore[arg-type]
    elif options:
        raise TypeError("give a MockConfig or its fields as keywords, not both")
    mock = MockState(config, contract)
    # A Flask app for its test client and its place in WSGI servers: no routes of its own
    # (nor static files), so building it costs ~0.1 ms; the stack answers every request, and
    # hands the paths the spec does not serve to the routes a user adds (mock_server.extension).
    app = Flask(__name__, static_folder=None)
    app.extensions[EXTENSION] = mock
    router = namespaced_stack(mock, AddedFlaskRoutes(app))
    app.wsgi_app = router  # type: ignore[method-assign]
    app.extensions[REGISTRY] = router.namespaces
    return app


def mock_of(app: Flask) -> MockState:
    """The mock an app from `create_app` serves."""
    return app.extensions[EXTENSION]
