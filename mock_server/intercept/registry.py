"""Which interceptions are active, and the client libraries' hooks patched while one is.

The hooks are the libraries' own transport methods - `requests.adapters.HTTPAdapter.send`,
`httpx.HTTPTransport.handle_request`, `httpx.AsyncHTTPTransport.handle_async_request` - so
every Session and Client goes through them, also ones made before the interception began. A
call that no active interception answers goes to the original method.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class OtherHostRefused(RuntimeError):
    """A call to a host that no active mock answers, while one says `other_hosts="refuse"`.

    Not a client library's exception on purpose: an app that retries on connection errors
    must not swallow it."""


class Interception(Protocol):
    app: Any
    other_hosts: str
    hosts: tuple[Any, ...]

    def answers(self, url: str) -> bool: ...


class ActiveInterceptions:
    """The interceptions active in the process (the latest last) and the patches they need.

    The kit's one process-wide state, because what it patches - the client libraries' classes
    - is process-wide. Guarded by a lock; the patches come off when the last interception
    ends, in whatever order they end. A call goes to the latest interception that answers
    its host, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: tuple[Interception, ...] = ()
        self._originals: dict[tuple[type, str], Any] = {}
        self._hooks: list[tuple[type, str, Any]] = []

    def enter(self, interception: Interception) -> None:
        with self._lock:
            if any(active is interception for active in self._active):
                raise RuntimeError("this mock_clicrdv() is active already: make another one to nest")
            if not self._active:
                self._patch()
            self._active = (*self._active, interception)

    def exit(self, interception: Interception) -> None:
        with self._lock:
            self._active = tuple(active for active in self._active if active is not interception)
            if not self._active:
                self._unpatch()

    def route(self, method: str, url: str) -> Interception | None:
        """The interception that answers `url`; None: the call goes out as usual."""
        active = self._active
        for interception in reversed(active):
            if interception.answers(url):
                return interception
        if any(interception.other_hosts == "refuse" for interception in active):
            answered = sorted({str(host) for interception in active for host in interception.hosts})
            raise OtherHostRefused(
                f"mock_clicrdv refused {method} {url}: the active mocks answer only "
                f"{', '.join(answered)}, and other_hosts='refuse' lets no call to another host go out")
        return None

    def original(self, owner: type, name: str) -> Any:
        """The method as it was before the first patch."""
        return self._originals[(owner, name)]

    def _patch(self) -> None:
        if not self._hooks:  # the clients are imported on the first interception only
            from . import requests_client

            self._hooks = requests_client.hooks(self)
            try:
                from . import httpx_client
            except ImportError:  # httpx is optional: then there is nothing of it to patch
                pass
            else:
                self._hooks += httpx_client.hooks(self)
        for owner, name, ours in self._hooks:
            current = owner.__dict__[name]
            if current is not ours:
                self._originals[(owner, name)] = current
            setattr(owner, name, ours)

    def _unpatch(self) -> None:
        for owner, name, ours in self._hooks:
            if owner.__dict__.get(name) is ours:  # else patched over since: ours passes through
                setattr(owner, name, self._originals[(owner, name)])


ACTIVE = ActiveInterceptions()
