"""A mock's WSGI stack, without Flask: the namespace router on top, then for each namespace
the API inside the fault middleware, the control plane beside it.

A server that wants the API answering fast from a cold start (granian) builds the stack here
with `LazyControlApp`, which imports Flask on the first control-plane request only (importing
it costs a tenth of a second; the API never needs it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .api.app import ApiApp, WsgiApp
from .config import CONTROL_PREFIX
from .namespaces import NamespaceRouter, Namespaces
from .state import MockState
from .traffic.faults import Fault, FaultMiddleware
from .traffic.journal import Entry
from .wsgi import request_path, wsgi_text


def wsgi_stack(mock: MockState, control_app: WsgiApp) -> FaultMiddleware:
    """Faults around the API; paths under CONTROL_PREFIX go to `control_app`, never faulted."""
    api = ApiApp(mock, control_app, CONTROL_PREFIX)
    return FaultMiddleware(api, mock.faults, CONTROL_PREFIX, on_fault=partial(_journal_fault, mock))


def namespaced_stack(mock: MockState, control_app: WsgiApp) -> NamespaceRouter:
    """`mock` as the default namespace, others created on first use (at most the config's
    `max_namespaces`), each with its own `wsgi_stack` beside the one control plane."""
    namespaces = Namespaces(mock, lambda state: wsgi_stack(state, control_app), mock.config.max_namespaces)
    return NamespaceRouter(namespaces)


class LazyControlApp:
    """The control plane's Flask app, built (and Flask imported) on its first request."""

    def __init__(self, mock: MockState) -> None:
        self.mock = mock
        self._app: WsgiApp | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    from .control import control_app  # Flask: on first use only

                    self._app = control_app(self.mock).wsgi_app
        return self._app(environ, start_response)


def _journal_fault(mock: MockState, environ: dict[str, Any], fault: Fault) -> None:
    """A faulted request that never reaches the API is journaled here, with its fault."""
    mock.journal.record(Entry(
        time=time.time(), method=environ.get("REQUEST_METHOD", "").upper(),
        path=request_path(environ), query_string=wsgi_text(environ.get("QUERY_STRING") or ""),
        body=None, mimetype="", status=fault.journal_status,
        duration_ms=0.0, fault={"id": fault.id, "action": fault.kind},
    ))
