"""How long a fault waits before it answers: a fixed time, uniform between two bounds, or drawn
from a lognormal distribution (most answers near the median, a long tail), always within
0..MAX_DELAY_MS and drawn from the fault's own seeded random source, so that the same seed
gives the same delays for the same sequence of requests.

    "delay_ms": 300
    "delay_ms": [50, 500]                                   (uniform, as below)
    "delay_ms": {"distribution": "uniform", "min_ms": 50, "max_ms": 500}
    "delay_ms": {"distribution": "lognormal", "median_ms": 120, "sigma": 0.8, "max_ms": 5000}
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from ..errors import FaultSpecError

MAX_DELAY_MS = 30_000
MAX_SIGMA = 4.0
LOGNORMAL_KEYS = frozenset({"distribution", "median_ms", "sigma", "max_ms"})
UNIFORM_KEYS = frozenset({"distribution", "min_ms", "max_ms"})


@dataclass(frozen=True)
class Uniform:
    """`low` ms, or uniform between `low` and `high` (whole milliseconds)."""

    low: int
    high: int

    @property
    def waits(self) -> bool:
        return self.high > 0

    def sample_ms(self, source: random.Random) -> float:
        return self.low if self.low == self.high else source.randint(self.low, self.high)

    def describe(self) -> Any:
        return [self.low, self.high]


@dataclass(frozen=True)
class Lognormal:
    """exp(N(ln median, sigma)) ms, cut at `max_ms`."""

    median_ms: float
    sigma: float
    max_ms: int

    waits = True

    def sample_ms(self, source: random.Random) -> float:
        return min(source.lognormvariate(math.log(self.median_ms), self.sigma), self.max_ms)

    def describe(self) -> Any:
        return {"distribution": "lognormal", "median_ms": self.median_ms, "sigma": self.sigma,
                "max_ms": self.max_ms}


Distribution = Uniform | Lognormal
NO_DELAY = Uniform(0, 0)


def parse_delay(value: Any) -> Distribution:
    """The distribution a fault's `delay_ms` describes; FaultSpecError naming what is wrong."""
    if _is_int(value):
        return _uniform(value, value)
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) for v in value):
        return _uniform(*value)
    if isinstance(value, dict) and value.get("distribution") == "uniform":
        _only(value, UNIFORM_KEYS)
        return _uniform(value.get("min_ms"), value.get("max_ms"))
    if isinstance(value, dict) and value.get("distribution") == "lognormal":
        _only(value, LOGNORMAL_KEYS)
        median, sigma = value.get("median_ms"), value.get("sigma")
        cap = value.get("max_ms", MAX_DELAY_MS)
        if not _is_number(median) or not 1 <= median <= MAX_DELAY_MS:
            raise FaultSpecError(f"delay_ms.median_ms must be milliseconds within 1..{MAX_DELAY_MS}")
        if not _is_number(sigma) or not 0 < sigma <= MAX_SIGMA:
            raise FaultSpecError(f"delay_ms.sigma must be a number in (0, {MAX_SIGMA}]")
        if not _is_int(cap) or not median <= cap <= MAX_DELAY_MS:
            raise FaultSpecError(f"delay_ms.max_ms must be whole ms within median_ms..{MAX_DELAY_MS}")
        return Lognormal(float(median), float(sigma), cap)
    raise FaultSpecError("delay_ms must be milliseconds, [min, max] for a uniform delay, or "
                         '{"distribution": "uniform"|"lognormal", ...}')


def _uniform(low: Any, high: Any) -> Uniform:
    if not (_is_int(low) and _is_int(high)) or not 0 <= low <= high <= MAX_DELAY_MS:
        raise FaultSpecError(f"delay_ms must lie within 0..{MAX_DELAY_MS} with min <= max (whole ms)")
    return Uniform(low, high)


def _only(value: dict[str, Any], keys: frozenset[str]) -> None:
    unknown = set(value) - keys
    if unknown:
        raise FaultSpecError(f"unknown delay_ms keys: {', '.join(sorted(unknown))}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
