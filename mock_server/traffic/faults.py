"""Fault injection: make matching API requests slow, fail with 5xx, drop or truncate.

For integrators who need to see how their app copes when ClicRDV is slow or failing. Faults
are set through the control plane (`POST /_mock/faults`) or the pytest fixture, match by
method and a path expression, fire for the next N matches or at a seeded ratio, and never
touch the mock's state: a faulted request does not reach the API at all (a delay aside).

One class per kind knows how it answers and whether the journal records it here; the servers
only translate `ConnectionCut` into closing the connection their way.
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

MAX_FAULTS = 100
MAX_DELAY_MS = 30_000
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The environ key under which a server that picked the fault itself (and already waited
# out its delay without holding a thread) hands it to the middleware.
PICKED_FAULT = "calendar_mock.fault"

# A fault's path is a regular expression matched against every API request, so it is RE2's
# (time linear in the path, whatever the expression), not Python's backtracking `re`: no
# backreferences or lookarounds, and `(a+)+$` costs what `a+$` does.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused expression is the client's error, not a log line
COMMON_KEYS = frozenset({"action", "method", "path", "times", "ratio", "seed", "delay_ms"})
# Every kind of fault by its `action` name: a subclass of Fault registers itself here.
KINDS: dict[str, type[Fault]] = {}


class ConnectionCut(Exception):
    """Raised to cut the connection (drop, truncate); each server closes it its own way."""


@dataclass
class Fault:
    """What every kind shares: which requests it meets, how often, and a delay before."""

    kind: ClassVar[str]
    keys: ClassVar[frozenset[str]] = COMMON_KEYS
    journaled_here: ClassVar[bool] = True  # False: the request reaches the API, which journals it
    default_delay_ms: ClassVar[int | None] = 0  # None: the description must give delay_ms

    id: int
    method: str | None
    path: Any  # a compiled RE2 expression
    times: int | None
    ratio: float | None
    seed: int | None
    delay_ms: tuple[int, int] = (0, 0)
    hits: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def journal_status(self) -> int | None:
        """The status the journal records for a request this fault answered (None: no answer)."""
        return None

    def answer(self, app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any]
               ) -> Iterable[bytes]:
        raise NotImplementedError

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

    def delay_seconds(self) -> float:
        low, high = self.delay_ms
        return (low if low == high else self._random.randint(low, high)) / 1000

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.kind, "method": self.method, "path": self.path.pattern,
            "times": self.times, "ratio": self.ratio, "seed": self.seed,
            "delay_ms": list(self.delay_ms), "status": None, "hits": self.hits,
            "remaining": None if self.times is None else self.times - self.hits,
        }

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        """The options only this kind takes, from the fault's description."""
        return {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        KINDS[cls.kind] = cls


@dataclass
class Delay(Fault):
    """The real answer, `delay_ms` later (`[low, high]` for a random delay)."""

    kind: ClassVar[str] = "delay"
    journaled_here: ClassVar[bool] = False
    default_delay_ms: ClassVar[int | None] = None

    def answer(self, app, environ, start_response):
        return app(environ, start_response)


@dataclass
class Error(Fault):
    """A 5xx (500 by default) with a JSON error body."""

    kind: ClassVar[str] = "error"
    keys: ClassVar[frozenset[str]] = COMMON_KEYS | {"status"}
    status: int = 500

    @property
    def journal_status(self) -> int | None:
        return self.status

    def answer(self, app, environ, start_response):
        return error_reply(InjectedError(self.id, self.status)).wsgi(start_response)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "status": self.status}

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        status = _optional_int(spec, "status", 500, 599)
        return {"status": 500 if status is None else status}


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
    times = _optional_int(spec, "times", 1, 1_000_000)
    ratio = spec.get("ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, int | float)
                              or not 0 < ratio <= 1):
        raise FaultSpecError("ratio must be a number in (0, 1]")
    if times is None and ratio is None:
        raise FaultSpecError("give times (the next N matches) or ratio (a share of them), or both")
    seed = _optional_int(spec, "seed", -(2**63), 2**63 - 1)
    delay = _delay(spec.get("delay_ms", kind.default_delay_ms))
    return kind(id=0, method=method.upper() if method else None, path=path, times=times,
                ratio=None if ratio is None else float(ratio), seed=seed, delay_ms=delay,
                _random=random.Random(seed), **kind.options(spec))


class FaultInjector:
    """The active faults of one mock instance; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

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
            for fault in self._faults:
                if fault.matches(method, path) and fault.fires():
                    return fault
        return None


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
        if fault.journaled_here and self.on_fault is not None:
            self.on_fault(environ, fault)
        return fault.answer(self.app, environ, start_response)

    def pick(self, environ: dict[str, Any]) -> Fault | None:
        """The fault this request meets, if any; control-plane requests meet none."""
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return None
        return self.injector.pick(environ.get("REQUEST_METHOD", "GET"), path)
