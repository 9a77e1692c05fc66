"""Namespaces: one served mock, many isolated ones, chosen by the `X-Mock-Namespace` header.

Each namespace is a MockState of its own (data, settings, clock, journal, faults, coverage),
built on first use from the mock's start-up config - sharing the compiled contract and the
start-up data, which are never changed in place - and there are at most `limit` of them
besides the default. A request without the header is the default namespace's: the mock as
it always was. The namespace is chosen once, at the top of the WSGI stack, before the faults
and the API; the control plane acts on the request's namespace as the API does.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .errors import NamespaceError, error_reply
from .state import MockState
from .traffic.faults import Fault, FaultMiddleware
from .wsgi import wsgi_text

HEADER = "X-Mock-Namespace"
ENVIRON_HEADER = "HTTP_X_MOCK_NAMESPACE"
STATE = "calendar_mock.state"  # environ: the request's MockState, when it is not the default's
REGISTRY = "calendar_mock.namespaces"  # environ and Flask extensions: the registry
_CHOSEN = "calendar_mock.chosen"  # environ: the stack chosen for the request (or the refusal)
DEFAULT = "default"
DEFAULT_LIMIT = 32
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Namespace(NamedTuple):
    state: MockState
    stack: FaultMiddleware


class Namespaces:
    """The default namespace and the named ones; thread-safe."""

    def __init__(self, default: MockState, build: Callable[[MockState], FaultMiddleware],
                 limit: int = DEFAULT_LIMIT) -> None:
        self._build = build
        self.default = Namespace(default, build(default))
        self.limit = limit
        self._named: dict[str, Namespace] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Namespace:
        """The namespace `name`, created on first use; NamespaceError for a name it refuses or
        one namespace too many (nothing is created then)."""
        if name == DEFAULT:
            return self.default
        found = self._named.get(name)
        if found is not None:
            return found
        if not _NAME.fullmatch(name):
            raise NamespaceError(f"must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a "
                                 f"letter or digit), not {name[:80]!r}")
        with self._lock:
            found = self._named.get(name)
            if found is None:
                if len(self._named) >= self.limit:
                    raise NamespaceError(
                        f"{name!r} would be one namespace too many: this mock holds at most {self.limit} "
                        "besides the default (max_namespaces); drop one with DELETE /_mock/namespaces/NAME")
                state = self.default.state.sibling()
                found = self._named[name] = Namespace(state, self._build(state))
        return found

    def drop(self, name: str) -> bool:
        """Forget namespace `name` (its next use starts it afresh); the default stays."""
        if name == DEFAULT:
            raise NamespaceError("cannot be dropped: it is the default namespace; reset it instead",
                                 field="name")
        with self._lock:
            return self._named.pop(name, None) is not None

    def items(self) -> list[tuple[str, MockState]]:
        with self._lock:
            named = [(name, namespace.state) for name, namespace in self._named.items()]
        return [(DEFAULT, self.default.state), *named]

    def describe(self) -> dict[str, Any]:
        return {"limit": self.limit, "namespaces": [
            {"name": name, "calendars": state.store.calendar_count(), "faults": len(state.faults.list()),
             "clock": state.clock.describe()}
            for name, state in self.items()]}


class NamespaceRouter:
    """The top of a mock's WSGI stack: the request's namespace, chosen once, then its stack
    (faults around the API). `pick` serves a server that picks the fault itself (granian)."""

    def __init__(self, namespaces: Namespaces) -> None:
        self.namespaces = namespaces

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        chosen = environ.get(_CHOSEN) or self.choose(environ)
        if isinstance(chosen, NamespaceError):
            return error_reply(chosen).wsgi(start_response, head_only=environ.get("REQUEST_METHOD") == "HEAD")
        return chosen(environ, start_response)

    def choose(self, environ: dict[str, Any]) -> FaultMiddleware | NamespaceError:
        environ[REGISTRY] = self.namespaces
        name = environ.get(ENVIRON_HEADER)
        chosen: FaultMiddleware | NamespaceError
        if name is None:
            chosen = self.namespaces.default.stack
        else:
            try:
                namespace = self.namespaces.get(wsgi_text(name).strip(" \t"))
            except NamespaceError as error:
                chosen = error
            else:
                environ[STATE] = namespace.state
                chosen = namespace.stack
        environ[_CHOSEN] = chosen
        return chosen

    def pick(self, environ: dict[str, Any]) -> Fault | None:
        chosen = self.choose(environ)
        return None if isinstance(chosen, NamespaceError) else chosen.pick(environ)
