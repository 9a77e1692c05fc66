"""Fault injection: make matching API requests slow, fail with 500, drop or truncate.

For integrators who need to see how their app copes when ClicRDV is slow or failing.
Faults are set through the control plane (`POST /_mock/faults`) or the pytest fixture,
match by method and a path regex, fire for the next N matches or at a seeded ratio, and
never touch the mock's state: a faulted request does not reach the API at all.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import re2
from waitress.channel import ClientDisconnected

ACTIONS = ("delay", "error", "drop", "truncate")
MAX_FAULTS = 100
MAX_DELAY_MS = 30_000


# The environ key under which a server that picked the fault itself (and already waited
# out its delay without holding a thread) hands it to the middleware.
PICKED_FAULT = "calendar_mock.fault"


# A fault's path is a regular expression matched against every API request, so it is RE2's
# (time linear in the path, whatever the expression), not Python's backtracking `re`: no
# backreferences or lookarounds, and `(a+)+$` costs what `a+$` does.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused expression is the client's error, not a log line


class FaultSpecError(ValueError):
    """A fault description the injector refuses; nothing was added."""


class ConnectionCut(ClientDisconnected):
    """Raised to cut the connection (drop, truncate); waitress closes it without another byte."""


@dataclass
class Fault:
    id: int
    action: str
    method: str | None
    path: Any  # a compiled RE2 expression: matched against every API request, so linear-time
    times: int | None
    ratio: float | None
    seed: int | None
    delay_ms: tuple[int, int]
    status: int
    hits: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and bool(self.path.search(path))

    def fires(self) -> bool:
        """Called under the injector's lock for each matching request."""
        if self.times is not None and self.hits >= self.times:
            return False
        if self.ratio is not None and self._random.random() >= self.ratio:
            return False
        self.hits += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def delay_seconds(self) -> float:
        low, high = self.delay_ms
        return (low if low == high else self._random.randint(low, high)) / 1000

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.action, "method": self.method, "path": self.path.pattern,
            "times": self.times, "ratio": self.ratio, "seed": self.seed,
            "delay_ms": list(self.delay_ms), "status": self.status, "hits": self.hits,
            "remaining": None if self.times is None else self.times - self.hits,
        }


class FaultInjector:
    """The active faults of one mock instance; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, spec: dict[str, Any]) -> Fault:
        fault = self._parse(spec)
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
            for fault in self._faults:
                if fault.matches(method, path) and fault.fires():
                    return fault
        return None

    @staticmethod
    def _parse(spec: dict[str, Any]) -> Fault:
        if not isinstance(spec, dict):
            raise FaultSpecError("a fault is a JSON object")
        unknown = set(spec) - {"action", "method", "path", "times", "ratio", "seed", "delay_ms", "status"}
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        action = spec.get("action")
        if action not in ACTIONS:
            raise FaultSpecError(f"action must be one of {', '.join(ACTIONS)}")
        method = spec.get("method")
        if method is not None and (not isinstance(method, str) or not method.isalpha()):
            raise FaultSpecError("method must be an HTTP method name such as GET")
        try:
            path = re2.compile(str(spec.get("path", "")), _RE2_OPTIONS)
        except re2.error as error:
            reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else error
            raise FaultSpecError(f"path is not a valid (RE2) regular expression: {reason}") from None
        times = _optional_int(spec, "times", 1, 1_000_000)
        ratio = spec.get("ratio")
        if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float)
                                  or not 0 < ratio <= 1):
            raise FaultSpecError("ratio must be a number in (0, 1]")
        if times is None and ratio is None:
            raise FaultSpecError("give times (the next N matches) or ratio (a share of them), or both")
        seed = _optional_int(spec, "seed", -(2**63), 2**63 - 1)
        delay = spec.get("delay_ms", 0 if action != "delay" else None)
        low, high = _delay(delay)
        status = _optional_int(spec, "status", 500, 599)
        return Fault(
            id=0, action=action, method=method.upper() if method else None, path=path,
            times=times, ratio=None if ratio is None else float(ratio), seed=seed,
            delay_ms=(low, high), status=500 if status is None else status,
            _random=random.Random(seed),
        )


def _optional_int(spec: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultSpecError(f"{key} must be an integer from {low} to {high}")
    return value


def _delay(value: Any) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        low = high = value
    elif (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        low, high = value
    else:
        raise FaultSpecError("delay_ms must be milliseconds, or [min, max] for a random delay")
    if not 0 <= low <= high <= MAX_DELAY_MS:
        raise FaultSpecError(f"delay_ms must lie within 0..{MAX_DELAY_MS} with min <= max")
    return low, high


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
        if fault.delay_ms != (0, 0) and not waited:
            time.sleep(fault.delay_seconds())
        if fault.action == "delay":
            return self.app(environ, start_response)
        if self.on_fault is not None:
            self.on_fault(environ, fault)
        if fault.action == "error":
            body = json.dumps({"error": f"injected fault {fault.id}: the server failed"}).encode()
            start_response(f"{fault.status} Injected Fault",
                           [("Content-Type", "application/json; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
            return [body]
        return self._broken(fault, start_response)

    def pick(self, environ: dict[str, Any]) -> Fault | None:
        """The fault this request meets, if any; control-plane requests meet none."""
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return None
        return self.injector.pick(environ.get("REQUEST_METHOD", "GET"), path)

    @staticmethod
    def _broken(fault: Fault, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Close the connection: at once (drop), or halfway through a promised body (truncate).

        waitress closes a connection without another byte when the app raises its
        ClientDisconnected; under granian (mock_server.rsgi) a drop comes after the response
        head and one byte of body; under any other server the client still sees a broken
        response.
        """
        if fault.action == "drop":
            raise ConnectionCut(f"injected fault {fault.id}: drop")
        body = json.dumps({"records": [], "note": "this body is cut short on purpose"}).encode()
        start_response("200 OK", [("Content-Type", "application/json; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])

        def stream() -> Iterable[bytes]:
            yield body[: len(body) // 2]
            raise ConnectionCut(f"injected fault {fault.id}: truncate")

        return stream()
