"""A mock's WSGI stack, without Flask: the API app inside the fault middleware.

Flask serves only the control plane; a server that wants the API answering fast from a cold
start (the granian worker) builds the stack here and lets `LazyControlApp` import Flask on
the first control-plane request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from .api import ApiApp
from .faults import Fault, FaultMiddleware, WsgiApp
from .journal import Entry
from .state import MockState
from .wsgi_request import request_path, wsgi_text

CONTROL_PREFIX = "/_mock"


def wsgi_stack(mock: MockState, control_app: WsgiApp) -> FaultMiddleware:
    """Faults around the API; paths under CONTROL_PREFIX go to `control_app`, never faulted."""
    max_body = mock.contract.limits.get("max-body-bytes", 65536)
    api = ApiApp(mock, control_app, CONTROL_PREFIX, max_body)
    return FaultMiddleware(api, mock.faults, CONTROL_PREFIX, on_fault=partial(_journal_fault, mock))


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
                    from .app import control_app

                    self._app = control_app(self.mock).wsgi_app
        return self._app(environ, start_response)


def _journal_fault(mock: MockState, environ: dict[str, Any], fault: Fault) -> None:
    """A faulted request never reaches the API; journal it here, with the fault that hit it."""
    mock.journal.record(Entry(
        time=time.time(), method=environ.get("REQUEST_METHOD", "").upper(),
        path=request_path(environ), query_string=wsgi_text(environ.get("QUERY_STRING") or ""),
        body=None, mimetype="", status=fault.status if fault.action == "error" else None,
        duration_ms=0.0, fault={"id": fault.id, "action": fault.action},
    ))
