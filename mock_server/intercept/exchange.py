"""One request answered by a mock's WSGI app in-process, whatever client library sent it.

The client adapters (`clients.py`) turn their request into `Call`, and the `Outcome` back
into their own response or their own connection error; everything in between is here, once:
the WSGI environ (werkzeug's EnvironBuilder, the test client's), the fault the request meets
and its delay - waited out here, so that a delay longer than the client's read timeout ends
in the client's timeout error - and the app's answer, cut short where a fault cuts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder

from ..config import CONTROL_PREFIX
from ..traffic.faults import PICKED_FAULT, ConnectionCut

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Host:
    """A host a mock answers: a name, and a port when it was given (any port otherwise)."""

    name: str
    port: int | None = None
    scheme: str = "https"

    @classmethod
    def parse(cls, entry: str) -> Host:
        """`www.clicrdv.com`, `localhost:8080` or a base URL (`https://sandbox.clicrdv.com`)."""
        if not isinstance(entry, str) or not entry.strip():
            raise ValueError(f"hosts: {entry!r} is not a host name or a base URL")
        parts = urlsplit(entry if "://" in entry else f"//{entry}")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or port == -1 or parts.path not in ("", "/"):
            raise ValueError(f"hosts: {entry!r} is not a host name, host:port or base URL")
        return cls(parts.hostname.lower(), port, parts.scheme or "https")

    def answers(self, url: str) -> bool:
        parts = urlsplit(url)
        if (parts.hostname or "").lower() != self.name:
            return False
        return self.port is None or self.port == (parts.port or _DEFAULT_PORTS.get(parts.scheme))

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.name}" + ("" if self.port is None else f":{self.port}")

    def __str__(self) -> str:
        return self.name if self.port is None else f"{self.name}:{self.port}"


_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass
class Call:
    """A request as a client library sent it."""

    method: str
    url: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    read_timeout: float | None = None  # seconds; None: the client waits for ever


@dataclass
class Outcome:
    """What came back: no status when the connection was cut before an answer; `complete`
    false when the body was cut short (its declared length is in the headers)."""

    status: int | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = True
    declared_length: int | None = None


class Exchange:
    """One call to `app` (a mock's WSGI app): what to wait first, then the outcome."""

    def __init__(self, app: Any, call: Call) -> None:
        self.app = app
        self.call = call
        parts = urlsplit(call.url)
        builder = EnvironBuilder(
            path=parts.path or "/", base_url=f"{parts.scheme}://{parts.netloc}",
            query_string=parts.query, method=call.method, headers=list(call.headers),
            data=call.body or None)
        try:
            self.environ = builder.get_environ()
        finally:
            builder.close()
        stack = app.wsgi_app
        picker = getattr(stack, "pick", None)  # the fault middleware, unless someone wrapped it
        if picker is None or parts.path.startswith(CONTROL_PREFIX):
            self.fault = None
        else:
            self.fault = picker(self.environ)
            self.environ[PICKED_FAULT] = self.fault  # its delay is waited out by the caller

    def delay(self) -> tuple[float, bool]:
        """(seconds to wait before the answer, whether the client's read timeout ends the wait:
        a delay fault longer than the timeout is waited out for the timeout only)."""
        delay = 0.0 if self.fault is None else self.fault.delay_seconds()
        timeout = self.call.read_timeout
        if timeout is not None and delay > timeout:
            return timeout, True
        return delay, False

    def outcome(self) -> Outcome:
        """The app's answer. After a timeout the app still answers (a server goes on when its
        client gives up: a write is done), and the caller raises the client's timeout error."""
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started["status"], started["headers"] = int(status.split()[0]), list(headers)
            return chunks.append

        try:
            result = self.app.wsgi_app(self.environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except ConnectionCut:
            headers = started.get("headers", [])
            declared = next((int(value) for name, value in headers if name.lower() == "content-length"), None)
            return Outcome(started.get("status"), headers, b"".join(chunks), False, declared)
        return Outcome(started["status"], started["headers"], b"".join(chunks))
