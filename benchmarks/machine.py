"""How busy the machine is with work that is not ours, so a disturbed run can be seen and redone.

CPU time of the whole machine (/proc/stat) minus what the server under test, wrk and this
process used: the rest is "other load", in cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
QUIET_CORES = 0.25  # other load above this marks a run as disturbed
MAX_WAIT_S = 60.0  # the longest wait for a quiet machine before measuring anyway
WAIT_BUDGET_S = 900.0  # all waits of one benchmark run together; then runs go on unguarded
_waited = 0.0


def budget_left() -> float:
    return max(0.0, WAIT_BUDGET_S - _waited)


def busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def ours_seconds() -> float:
    """CPU seconds of this process and of its finished children (wrk)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class OtherLoad:
    """Measures, between start() and stop(), the CPU used by everything but us and `server_cpu`."""

    def __init__(self, server_cpu: Callable[[], float] | None = None) -> None:
        self._server_cpu = server_cpu or (lambda: 0.0)

    def start(self) -> OtherLoad:
        self._t0 = time.perf_counter()
        self._busy0, self._ours0, self._server0 = busy_seconds(), ours_seconds(), self._server_cpu()
        return self

    def stop(self) -> float:
        """Other load in cores over the interval."""
        wall = time.perf_counter() - self._t0
        foreign = (busy_seconds() - self._busy0) - (ours_seconds() - self._ours0) \
            - (self._server_cpu() - self._server0)
        return max(0.0, foreign / wall) if wall > 0 else 0.0


def wait_for_quiet(server_cpu: Callable[[], float] | None = None, max_wait: float | None = None) -> dict:
    """Wait (at most `max_wait` s, in 1 s windows, within the run's budget) until other load is
    under QUIET_CORES."""
    global _waited
    max_wait = min(MAX_WAIT_S if max_wait is None else max_wait, budget_left())
    started = time.perf_counter()
    level = 0.0
    while True:
        probe = OtherLoad(server_cpu).start()
        time.sleep(1.0)
        level = probe.stop()
        waited = time.perf_counter() - started
        if level < QUIET_CORES or waited >= max_wait:
            _waited += waited
            return {"waited_s": round(waited, 1), "other_load": round(level, 2), "quiet": level < QUIET_CORES}
