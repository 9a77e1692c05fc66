"""Engine runs that only read, drawn in a second process (--concurrency > 1, over HTTP).

Drawing cases is CPU work under one GIL: at 50 ms from a deployment a conformance run is bound
by one core drawing cases, not by the network (benchmarks/RESULTS.md, "The conformance layer at
50 ms: what bounds it"). The engine runs that send nothing but GETs - the read operations'
examples and fuzzing phases - are forked into a child once the rule layers are done; each is
judged there as it ends (findings.judge) and its findings come back through a pipe, merged in
the plan's order with every other run's: the same cases and the same findings as in one process.

What keeps the two processes apart, and the run's bounds whole:
- the child writes nothing: its runs send GETs only (a read operation's coverage phase probes
  other methods, and runs here), so no write turn or snapshot is shared;
- it shares no connection: http.py and bounded_http.py start afresh in a forked child;
- --concurrency is split: the child has `lanes` of the in-flight bound, which this process
  holds for it until it ends; with --max-rate nothing is forked (one bucket for the run);
- its cases (progress), busy answers (429/503), a deployment it gave up on and its own client's
  exchanges come back into this process's counts;
- a child that ends without its findings, or starts no request for `silence_s`, is killed and
  its runs run here after all: slower, the same verdict; Ctrl-C or SIGTERM here kills it, and
  it ends itself within HEARTBEAT_S of a parent killed outright.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..context import SuiteContext
from ..pacing import LONGEST_WAIT_S, PacedTransport, StayedBusy
from ..schedule import WAKE_S
from .engines import import_ahead, run_engines
from .findings import EngineFindings

OnCases = Callable[[int], None] | None
Job = Callable[[OnCases], EngineFindings]  # one engine run, told where its progress goes
HEARTBEAT_S = 0.5
DRAWING_S = 60.0  # the longest Hypothesis may take between two requests, and more


def available(ctx: SuiteContext) -> bool:
    """Whether engine runs may go to a second process: over HTTP (an in-process app's state would
    be copied, not shared), side by side, without --max-rate (one bucket for the whole run), on
    Linux (fork with threads is unsafe on macOS' system libraries)."""
    options = ctx.options
    return (sys.platform.startswith("linux") and options.app is None and bool(options.base_url)
            and ctx.concurrency > 1 and not options.max_rate and isinstance(ctx.transport, PacedTransport))


def run_split(ctx: SuiteContext, jobs: Sequence[Job], away: Sequence[int], concurrency: int,
              order: Sequence[int], on_cases: OnCases, notes: list[str]) -> list[EngineFindings]:
    """Each job's findings, in `jobs` order: those numbered in `away` in a child process (see
    the module docstring), the others here, up to `concurrency` requests in flight in all.
    Within each process the jobs start in `order`. Why the child failed, if it did, goes in `notes`."""
    here = sorted(set(range(len(jobs))) - set(away))
    if not away or not here:  # nothing to share the work with: no second process
        return _run_here(jobs, range(len(jobs)), concurrency, order, on_cases)
    transport = ctx.transport
    assert isinstance(transport, PacedTransport)
    lanes = max(1, concurrency // 2)
    import_ahead()  # before the fork, so that the child has them too (a no-op once the runner did it)
    child = _Child(ctx, transport, [jobs[number] for number in away], lanes,
                   _renumbered(order, away), on_cases)
    try:
        found_here = _run_here(jobs, here, concurrency, order, on_cases)
        found_away = child.findings()
    finally:
        child.end()
    if found_away is None:
        if transport.gone:  # given up on, by either process: running the child's runs again cannot help
            raise StayedBusy(transport.gone[0])
        notes.append(f"the second process of the engine runs that change nothing ended without their "
                     f"findings ({child.why}): its {len(away)} runs ran again in the suite's own")
        found_away = _run_here(jobs, away, concurrency, order, on_cases)
    found = dict(zip(here, found_here, strict=True)) | dict(zip(away, found_away, strict=True))
    return [found[number] for number in range(len(jobs))]


def _run_here(jobs: Sequence[Job], numbers: Sequence[int], concurrency: int, order: Sequence[int],
              on_cases: OnCases) -> list[EngineFindings]:
    return run_engines([functools.partial(jobs[number], on_cases) for number in numbers], concurrency,
                       _renumbered(order, numbers))


def _renumbered(order: Sequence[int], numbers: Sequence[int]) -> list[int]:
    """`order` restricted to `numbers`, each given as its place in `numbers`."""
    place = {number: index for index, number in enumerate(numbers)}
    return [place[number] for number in order if number in place]


@dataclass
class _Answer:
    """What the child sends back once its runs ended (or failed)."""

    found: list[EngineFindings] | None
    busy: dict[str, int]
    gone: list[str]
    exchanges: list[Any]
    error: str = ""


@dataclass
class _Child:
    ctx: SuiteContext
    transport: PacedTransport
    jobs: list[Job]
    lanes: int
    order: list[int]
    on_cases: OnCases
    answer: _Answer | None = None
    why: str = ""

    def __post_init__(self) -> None:
        # A request may take --timeout, a busy answer's back-off LONGEST_WAIT_S before the next
        # try, and Hypothesis may draw for a while between two requests.
        self.silence_s = float(self.ctx.options.timeout) + LONGEST_WAIT_S + DRAWING_S
        self.transport.take_lanes(self.lanes)  # before the fork: the child's share is the rest
        receiving, sending = multiprocessing.Pipe(duplex=False)
        journal_from = len(self.ctx.journal)
        fork = multiprocessing.get_context("fork")
        self._process = fork.Process(target=_child_main, name="contract-reads", daemon=True, args=(
            sending, self.jobs, self.lanes, self.order, self.transport, self.ctx.journal, journal_from))
        try:
            with warnings.catch_warnings():  # 3.12+: "This process is multi-threaded, use of fork()..."
                warnings.simplefilter("ignore", DeprecationWarning)
                self._process.start()
        except BaseException:
            self.transport.release_lanes(self.lanes)
            raise
        sending.close()
        self._receiving = receiving
        self._listener = threading.Thread(target=self._listen, name="contract-reads-listener", daemon=True)
        self._listener.start()

    def _listen(self) -> None:
        last_count, last_change = -1, time.monotonic()
        try:
            while True:
                if self._receiving.poll(WAKE_S):
                    kind, payload = self._receiving.recv()
                    if kind == "cases" and self.on_cases is not None:
                        self.on_cases(payload)
                    elif kind == "alive" and payload != last_count:
                        last_count, last_change = payload, time.monotonic()
                    elif kind == "answer":
                        self.answer = payload
                        return
                elif not self._process.is_alive():
                    self.why = f"it ended with exit code {self._process.exitcode}"
                    return
                if time.monotonic() - last_change > self.silence_s:
                    self.why = f"it started no request for {self.silence_s:g} s"
                    return
        except (EOFError, OSError) as error:
            self._process.join(5.0)  # its exit code, once the kernel has it
            self.why = f"it ended ({type(error).__name__}) with exit code {self._process.exitcode}"
        finally:
            self.transport.release_lanes(self.lanes)  # the child's lanes are this process's again

    def findings(self) -> list[EngineFindings] | None:
        while self._listener.is_alive():
            self._listener.join(WAKE_S)  # a signal's handler runs meanwhile
        answer = self.answer
        if answer is None:
            return None
        self.transport.add_busy(answer.busy, answer.gone)
        self.ctx.journal.extend(answer.exchanges)
        if answer.found is None:
            self.why = f"it failed: {answer.error}"
        return answer.found

    def end(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5.0)
        with contextlib.suppress(OSError):
            self._receiving.close()


def _child_main(sending: Any, jobs: list[Job], lanes: int, order: list[int], transport: PacedTransport,
                journal: list[Any], journal_from: int) -> None:
    # The parent stops the run and kills this process: a Ctrl-C to the terminal's process group
    # must not interrupt it half-way instead (its findings would be lost, not its requests).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    transport.keep_lanes(lanes)
    busy_before = Counter(transport.busy)  # the parent's, copied by the fork
    lock = threading.Lock()

    def send(kind: str, payload: Any) -> None:
        with lock:
            sending.send((kind, payload))

    done = threading.Event()
    parent = os.getppid()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_S):
            if os.getppid() != parent:  # the run was killed (SIGKILL: no clean-up of its own)
                os._exit(1)  # and its requests end with it
            send("alive", transport.requests_started)

    threading.Thread(target=heartbeat, name="contract-reads-heartbeat", daemon=True).start()
    try:
        found = run_engines([functools.partial(job, functools.partial(send, "cases")) for job in jobs],
                            lanes, order)
        answer = _Answer(found, dict(transport.busy - busy_before), list(transport.gone),
                         journal[journal_from:])
    except BaseException as error:  # reported, and the parent runs these jobs itself
        answer = _Answer(None, dict(transport.busy - busy_before), list(transport.gone),
                         journal[journal_from:], f"{type(error).__name__}: {error}")
    done.set()
    send("answer", answer)
    sending.close()
