"""The order the rule checks run in, and how many at once (`--concurrency`).

Rules are the unit: a rule's checks run one after the other, in one thread, as registered.
The phases, each finished before the next starts:
1. readers - rules none of whose checks writes: side by side, on a group no check changes
   (the calendar they may all read is made before, `SuiteContext.own_calendar`);
2. writers - rules that write: side by side; each write (and the snapshots that judge a
   refused one) and each before/after comparison holds the group alone (`gate.Gate`);
3. alone - rules whose verdict depends on every calendar the run made so far: one at a time;
4. final - sweeps over every exchange sent: one at a time.
The same phases run at --concurrency 1, so a seed gives the same verdicts and findings at
any concurrency; names a check makes depend on its place in this order, not on timing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

from .registry import RuleCheck

Key = tuple[str, str]  # (layer, rule id)
T = TypeVar("T")
# How often a thread waiting for jobs runs Python code again. A signal (Ctrl-C, a CI job's
# SIGTERM) is caught by whichever thread the kernel hands it to, and its Python handler runs in
# the main thread only once that thread runs Python code: a main thread blocked for good in a
# wait missed it until the job it waited for ended (a SIGTERM not acted on for over 12 s).
WAKE_S = 0.1


def phases(grouped: dict[Key, list[RuleCheck]], keys: Sequence[Key]) -> list[tuple[bool, list[Key]]]:
    """(side by side?, rules) for each phase, rules in `keys` order within a phase."""
    def kind(key: Key) -> int:
        checks = grouped[key]
        if any(check.final for check in checks):
            return 3
        if any(check.alone for check in checks):
            return 2
        return 1 if any(check.writes for check in checks) else 0

    return [(number < 2, [key for key in keys if kind(key) == number]) for number in range(4)]


def run_all(jobs: Sequence[Callable[[], T]], concurrency: int, side_by_side: bool) -> list[T]:
    """Every job's result, in `jobs` order; at most `concurrency` at once when side by side.
    An exception (Unreachable) is raised once every job started has ended; an interruption
    (Ctrl-C, SIGTERM) at once, the jobs not started dropped (those running end at their next
    request: stopping.RunStop). Each job runs in a copy of the caller's context, so that the
    clean-up's jobs may send after the stop as the clean-up does."""
    if not side_by_side or concurrency <= 1 or len(jobs) <= 1:
        return [job() for job in jobs]
    return run_in_pool(jobs, concurrency, "contract-check", range(len(jobs)))


def run_in_pool(jobs: Sequence[Callable[[], T]], lanes: int, name: str, order: Sequence[int]) -> list[T]:
    """Each job's result, in `jobs` order, `lanes` at a time, started in `order`."""
    pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix=name)
    futures: dict[int, Future[T]] = {}
    try:
        futures = {number: pool.submit(contextvars.copy_context().run, jobs[number]) for number in order}
        results = [_awaited(futures[number]).result() for number in range(len(jobs))]
    except KeyboardInterrupt:
        # Leaving `with ThreadPoolExecutor` would run every queued job first (26 s with 250 ms
        # answers, 300 requests sent after a SIGTERM): they are dropped instead.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        for future in futures.values():  # every job ends first, as shutdown(wait=True) has them
            _awaited(future)
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    return results


def _awaited(future: Future[T]) -> Future[T]:
    """`future`, done: waited for WAKE_S at a time, so that a signal's handler runs meanwhile."""
    while not wait([future], timeout=WAKE_S).done:
        pass
    return future
