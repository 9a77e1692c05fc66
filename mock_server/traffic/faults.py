"""Fault injection: make matching API requests slow, fail, or break the connection.

For integrators who need to see how their app copes when ClicRDV is slow or failing. Faults
are set through the control plane (`POST /_mock/faults`) or the pytest fixture, match by
method and a path expression, fire for the next N matches or at a seeded ratio, and never
touch the mock's state: a faulted request does not reach the API at all (a delay and a
dribble aside).

One class per kind knows how it answers and whether the journal records it here (the base
and the registry in fault_base, the network's kinds in faults_net); the servers only
translate `ConnectionCut` into closing the connection their way, and send a `Paced` body
at its pace.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import re2

from ..errors import FaultSpecError, InjectedError, error_reply
from ..replies import encode_json
from .delays import MAX_DELAY_MS, parse_delay
from .fault_base import COMMON_KEYS, KINDS, ConnectionCut, Fault, WsgiApp, optional_int

__all__ = ["KINDS", "MAX_DELAY_MS", "PICKED_FAULT", "ConnectionCut", "Fault", "FaultInjector",
           "FaultMiddleware", "Paced", "WsgiApp", "parse_fault"]
MAX_FAULTS = 100
MAX_HEADERS = 16

# The environ key under which a server that picked the fault itself (and already waited
# out its delay without holding a thread) hands it to the middleware.
PICKED_FAULT = "calendar_mock.fault"

# A fault's path is a regular expression matched against every API request, so it is RE2's
# (time linear in the path, whatever the expression), not Python's backtracking `re`: no
# backreferences or lookarounds, and `(a+)+$` costs what `a+$` does.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused expression is the client's error, not a log line


@dataclass
class Delay(Fault):
    """The real answer, `delay_ms` later: fixed, uniform or lognormal (traffic.delays)."""

    kind: ClassVar[str] = "delay"
    journaled_here: ClassVar[bool] = False
    default_delay_ms: ClassVar[int | None] = None

    def answer(self, app, environ, start_response):
        return app(environ, start_response)


@dataclass
class Error(Fault):
    """An error status (500 by default; 429, 503, any 4xx or 5xx) with a JSON error body and the
    headers asked for: `retry_after` (seconds) is a Retry-After header, `headers` any others."""

    kind: ClassVar[str] = "error"
    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"status", "retry_after", "headers"}
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def journal_status(self) -> int | None:
        return self.status

    def answer(self, app, environ, start_response):
        return error_reply(InjectedError(self.id, self.status, self.headers)).wsgi(start_response)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "status": self.status, "headers": dict(self.headers)}

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        status = optional_int(spec, "status", 400, 599)
        headers = _headers(spec.get("headers", {}))
        retry_after = optional_int(spec, "retry_after", 0, 86_400)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return {"status": 500 if status is None else status, "headers": headers}


def _headers(value: Any) -> dict[str, str]:
    """Extra response headers: names of letters, digits and '-', values of printable text."""
    if not isinstance(value, dict) or len(value) > MAX_HEADERS:
        raise FaultSpecError(f"headers must be an object of at most {MAX_HEADERS} names and values")
    headers = {}
    for name, text in value.items():
        if not (name and len(name) <= 64 and name.replace("-", "").isalnum() and name.isascii()):
            raise FaultSpecError(f"headers: {name[:64]!r} is not a header name (letters, digits, '-')")
        if name.lower() in ("content-length", "content-type", "transfer-encoding", "connection"):
            raise FaultSpecError(f"headers: {name} is the server's to set")
        if not isinstance(text, str) or len(text) > 1024 or not text.isprintable() or not text.isascii():
            raise FaultSpecError(f"headers.{name} must be printable ASCII text of at most 1024 characters")
        headers[name] = text
    return headers


@dataclass
class Drop(Fault):
    """The connection closes without an answer."""

    kind: ClassVar[str] = "drop"

    def answer(self, app, environ, start_response):
        raise ConnectionCut(f"injected fault {self.id}: drop")


@dataclass
class Truncate(Fault):
    """Headers promise a body that stops halfway."""

    kind: ClassVar[str] = "truncate"

    def answer(self, app, environ, start_response):
        body = encode_json({"records": [], "note": "this body is cut short on purpose"})
        start_response("200 OK", [("Content-Type", "application/json; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return self._halfway(body)

    def _halfway(self, body: bytes) -> Iterator[bytes]:
        yield body[: len(body) // 2]
        raise ConnectionCut(f"injected fault {self.id}: truncate")


def parse_fault(spec: Any) -> Fault:
    """The fault a JSON description asks for; FaultSpecError naming what is wrong."""
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault is a JSON object")
    kind = KINDS.get(spec.get("action"))  # type: ignore[arg-type]
    if kind is None:
        raise FaultSpecError(f"action must be one of {', '.join(KINDS)}")
    unknown = set(spec) - kind.keys
    if unknown:
        raise FaultSpecError(f"unknown fault keys: {', '.join(sorted(unknown))}")
    method = spec.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise FaultSpecError("method must be an HTTP method name such as GET")
    try:
        path = re2.compile(str(spec.get("path", "")), _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
        raise FaultSpecError(f"path is not a valid (RE2) regular expression: {reason}") from None
    times = optional_int(spec, "times", 1, 1_000_000)
    ratio = spec.get("ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float)
                              or not 0 < ratio <= 1):
        raise FaultSpecError("ratio must be a number in (0, 1]")
    if times is None and ratio is None:
        raise FaultSpecError("give times (the next N matches) or ratio (a share of them), or both")
    seed = optional_int(spec, "seed", -(2**63), 2**63 - 1)
    delay = parse_delay(spec.get("delay_ms", kind.default_delay_ms))
    return kind(id=0, method=method.upper() if method else None, path=path, times=times,
                ratio=None if ratio is None else float(ratio), seed=seed, delay=delay,
                _random=random.Random(seed), **kind.options(spec))


class FaultInjector:
    """The active faults of one mock instance; thread-safe."""

    def __init__(self, on_fire: Callable[[str], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._on_fire = on_fire  # told the kind of every fault that fires (coverage)

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = parse_fault(spec)
        with self._lock:
            if len(self._faults) >= MAX_FAULTS:
                raise FaultSpecError(f"at most {MAX_FAULTS} faults may be active; clear some first")
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [fault for fault in self._faults if fault.id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def clear(self) -> None:
        with self._lock:
            self._faults = []

    def pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            fired = next((fault for fault in self._faults if fault.matches(method, path) and fault.fires()),
                         None)
        if fired is not None and self._on_fire is not None:
            self._on_fire(fired.kind)
        return fired


class FaultMiddleware:
    """Wraps the WSGI app; requests to the control plane are never faulted."""

    def __init__(self, app: WsgiApp, injector: FaultInjector, exempt_prefix: str,
                 on_fault: Callable[[dict[str, Any], Fault], None] | None = None) -> None:
        self.app = app
        self.injector = injector
        self.exempt_prefix = exempt_prefix
        self.on_fault = on_fault

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if PICKED_FAULT in environ:
            fault, waited = environ[PICKED_FAULT], True
        else:
            fault, waited = self.pick(environ), False
        if fault is None:
            return self.app(environ, start_response)
        if fault.delays and not waited:
            time.sleep(fault.delay_seconds())
        if fault.journaled_here and self.on_fault is not None:
            self.on_fault(environ, fault)
        return fault.answer(self.app, environ, start_response)

    def pick(self, environ: dict[str, Any]) -> Fault | None:
        """The fault this request meets, if any; control-plane requests meet none."""
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return None
        return self.injector.pick(environ.get("REQUEST_METHOD", "GET"), path)


# The network's kinds (reset, garbage, dribble) register after the API's, so they list after them.
from .faults_net import Paced  # noqa: E402
