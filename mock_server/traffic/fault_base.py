"""What every kind of fault shares: which requests it meets, how often, the delay before it
answers, and the registry of kinds by `action` name (each subclass registers itself)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import FaultSpecError
from .delays import NO_DELAY, Distribution

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
COMMON_KEYS = frozenset({"action", "method", "path", "times", "ratio", "seed", "delay_ms"})
# Every kind of fault by its `action` name: a subclass of Fault registers itself here.
KINDS: dict[str, type[Fault]] = {}


class ConnectionCut(Exception):
    """Raised to cut the connection (drop, truncate, reset, garbage); each server closes it its
    own way. `closed`: the fault already ended the connection itself (a reset, garbage sent
    and the sending side shut), so the server must not try to answer on it."""

    def __init__(self, message: str, *, closed: bool = False) -> None:
        super().__init__(message)
        self.closed = closed


@dataclass
class Fault:
    """Which requests a fault meets, how often, and the delay before it answers."""

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
    delay: Distribution = NO_DELAY
    hits: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def journal_status(self) -> int | None:
        """The status the journal records for a request this fault answered (None: no answer)."""
        return None

    @property
    def delays(self) -> bool:
        """Whether a request this fault meets waits before it is answered."""
        return self.delay.waits

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
        return self.delay.sample_ms(self._random) / 1000

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.kind, "method": self.method, "path": self.path.pattern,
            "times": self.times, "ratio": self.ratio, "seed": self.seed,
            "delay_ms": self.delay.describe(), "status": None, "hits": self.hits,
            "remaining": None if self.times is None else self.times - self.hits,
        }

    @classmethod
    def options(cls, spec: dict[str, Any]) -> dict[str, Any]:
        """The options only this kind takes, from the fault's description."""
        return {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        KINDS[cls.kind] = cls


def optional_int(spec: dict[str, Any], key: str, low: int, high: int) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultSpecError(f"{key} must be an integer from {low} to {high}")
    return value
