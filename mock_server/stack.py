"""A mock's WSGI stack, without Flask: the namespace router on top, then for each namespace
the API inside the fault middleware, the control plane beside it.

The control plane is reached through `LazyControlApp`, which imports Flask on the first
control-plane request only (importing it costs a tenth of a second, and a server that wants
the API answering fast from a cold start - granian - never needs it for the API), and hands
the mock to the process's one control-plane app in the environ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .api.app import AddedRoutes, ApiApp, WsgiApp
from .config import CONTROL_PREFIX, MOCK_ENVIRON_KEY
from .namespaces import NamespaceRouter, Namespaces
from .state import MockState
from .traffic.faults import Fault, FaultMiddleware
from .traffic.journal import Entry
from .wsgi import request_path, wsgi_text


def wsgi_stack(mock: MockState, control_app: WsgiApp, added_routes: AddedRoutes | None = None
               ) -> FaultMiddleware:
    """Faults around the API (and `added_routes`, which answer paths the spec does not serve);
    paths under CONTROL_PREFIX go to `control_app`, never faulted."""
    api = ApiApp(mock, control_app, CONTROL_PREFIX, added_routes)
    return FaultMiddleware(api, mock.faults, CONTROL_PREFIX, on_fault=partial(_journal_fault, mock))


def namespaced_stack(mock: MockState, added_routes: AddedRoutes | None = None) -> NamespaceRouter:
    """`mock` as the default namespace, others created on first use (at most the config's
    `max_namespaces`), each with its own `wsgi_stack`, whose control plane acts on it."""
    namespaces = Namespaces(mock, lambda state: wsgi_stack(state, LazyControlApp(state), added_routes),
                            mock.config.max_namespaces)
    return NamespaceRouter(namespaces)


class LazyControlApp:
    """The control plane for `mock`: Flask imported, and the process's control-plane app
    looked up, on its first request."""

    def __init__(self, mock: MockState) -> None:
        self.mock = mock
        self._app: WsgiApp | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._app is None:
            from .control import control_plane  # Flask: on first use only

            self._app = control_plane(self.mock.contract.limits["max-body-bytes"]).wsgi_app
        environ[MOCK_ENVIRON_KEY] = self.mock
        return self._app(environ, start_response)


def _journal_fault(mock: MockState, environ: dict[str, Any], fault: Fault) -> None:
    """A faulted request that never reaches the API is journaled here, with its fault."""
    mock.journal.record(Entry(
        time=time.time(), method=environ.get("REQUEST_METHOD", "").upper(),
        path=request_path(environ), query_string=wsgi_text(environ.get("QUERY_STRING") or ""),
        body=None, mimetype="", status=fault.journal_status,
        duration_ms=0.0, fault={"id": fault.id, "action": fault.kind},
    ))
