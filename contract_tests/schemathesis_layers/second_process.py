"""The engine runs that change nothing, drawn in a second process beside the rule layers
(--concurrency > 1, over HTTP).

Drawing cases is CPU work under one GIL: at 50 ms from a deployment a conformance run is bound
by one core drawing cases, not by the network (benchmarks/RESULTS.md, "The conformance layer at
50 ms: what bounds it"), while the rule layers before it mostly wait on the network. So the
plan's runs that send nothing but GETs and logins - the read operations' examples and fuzzing
phases - are forked into a child before the rules start (`start`), with a quarter of the lanes
(one at least once the rules are done: `Reads.run_beside`). The plan fixed what they read (plan.py),
so they draw the cases a run at --concurrency 1 draws after the rules. Each is judged there as it
ends (findings.judge) and its findings come back through a pipe, merged in the plan's order with
every other run's: the same cases and the same findings as in one process.

What keeps the two processes apart, and the run's bounds whole:
- the child writes nothing: its runs send GETs and logins only (a read operation's coverage
  phase probes other methods, and runs here), so no write turn or snapshot is shared; its logins
  wait for the rules to end (plan.Run.logs_in);
- it shares no connection: http.py and bounded_http.py start afresh in a forked child;
- --concurrency is split: the child has `lanes` of the in-flight bound, which this process
  holds for it until it ends; with --max-rate nothing is forked (one bucket for the run);
- its cases (progress), busy answers (429/503), a deployment it gave up on and its own client's
  exchanges come back into this process's counts;
- a child that ends without its findings, or starts no request for `silence_s` once it has its
  share of lanes, is killed and its runs run here after all: slower, the same verdict; Ctrl-C
  or SIGTERM here kills it, and it ends itself within HEARTBEAT_S of a parent killed outright.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..context import SuiteContext
from ..pacing import LONGEST_WAIT_S, PacedTransport, StayedBusy
from ..schedule import WAKE_S
from .plan import Job, OnCases, Plan

if TYPE_CHECKING:  # schemathesis and Hypothesis are imported after the fork, on each process's core
    from .findings import EngineFindings

HEARTBEAT_S = 0.5
DRAWING_S = 60.0  # the longest Hypothesis may take between two requests, and more


def available(ctx: SuiteContext) -> bool:
    """Whether engine runs may go to a second process: over HTTP (an in-process app's state would
    be copied, not shared), side by side, without --max-rate (one bucket for the whole run), on
    Linux (fork with threads is unsafe on macOS' system libraries)."""
    options = ctx.options
    return (sys.platform.startswith("linux") and options.app is None and bool(options.base_url)
            and ctx.concurrency > 1 and not options.max_rate and isinstance(ctx.transport, PacedTransport))


def start(ctx: SuiteContext, plan: Plan) -> Reads | None:
    """The plan's runs that change nothing, started now in a second process, if one is
    `available` and there is work for both."""
    if not available(ctx) or not plan.reads or len(plan.reads) == len(plan.runs):
        return None
    assert isinstance(ctx.transport, PacedTransport)
    # A quarter of the lanes: beside the rules, which wait on the network (8 lanes of theirs took
    # 12.2 s at 50 ms, 6 took 12.6-12.9 s, 4 took 15.1 s), and after them, when the write engines'
    # chains here are the longest path and the child has little left (benchmarks/RESULTS.md).
    return Reads(ctx, ctx.transport, plan, early=ctx.concurrency // 4, share=max(1, ctx.concurrency // 4))


def _run_here(jobs: Sequence[Job], numbers: Sequence[int], concurrency: int, order: Sequence[int],
              on_cases: OnCases) -> list[EngineFindings]:
    from .engines import run_engines  # imported by then (run.py)

    return run_engines([functools.partial(jobs[number], on_cases) for number in numbers], concurrency,
                       _renumbered(order, numbers))


def _counted_past(on_cases: OnCases, already: int) -> OnCases:
    """`on_cases` for the child's runs run again here: they draw the cases the child drew, and
    the first `already` of them were counted when the child reported them."""
    if on_cases is None or not already:
        return on_cases
    lock, left = threading.Lock(), [already]

    def count(cases: int) -> None:
        with lock:
            seen = min(cases, left[0])
            left[0] -= seen
        if cases > seen:
            on_cases(cases - seen)

    return count


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


class Reads:
    """The child process running the plan's `reads`, from `start` until `run_beside` has their
    findings (or `end`)."""

    def __init__(self, ctx: SuiteContext, transport: PacedTransport, plan: Plan, early: int,
                 share: int) -> None:
        self.ctx, self.transport, self.numbers = ctx, transport, plan.reads
        self.answer: _Answer | None = None
        self.why = ""
        self._lock = threading.Lock()
        self._lanes = early  # held here for the child, given back when it ends
        self._more_lanes = share - early  # once the rules are done
        self._ended = False
        self._on_cases: OnCases = None
        self._cases_before = 0  # cases counted before run_beside: the engine layer's, not the rules'
        self._reported = 0  # cases the child reported in all: counted once, even if its runs run again
        self._last_change, self._watching = time.monotonic(), False
        # A request may take --timeout, a busy answer's back-off LONGEST_WAIT_S before the next
        # try, and Hypothesis may draw for a while between two requests.
        self.silence_s = float(ctx.options.timeout) + LONGEST_WAIT_S + DRAWING_S
        transport.take_lanes(early)  # before the fork: the child's share is the rest
        receiving, sending = multiprocessing.Pipe(duplex=False)
        lanes_given, self._giving_lanes = multiprocessing.Pipe(duplex=False)
        fork = multiprocessing.get_context("fork")
        self._process = fork.Process(target=_child_main, name="contract-reads", daemon=True, args=(
            sending, lanes_given, ctx, plan, early, share, transport, len(ctx.journal)))
        try:
            with warnings.catch_warnings():  # 3.12+: "This process is multi-threaded, use of fork()..."
                warnings.simplefilter("ignore", DeprecationWarning)
                self._process.start()
        except BaseException:
            transport.release_lanes(early)
            raise
        sending.close()
        lanes_given.close()
        self._receiving = receiving
        self._listener = threading.Thread(target=self._listen, name="contract-reads-listener", daemon=True)
        self._listener.start()

    def run_beside(self, jobs: Sequence[Job], concurrency: int, order: Sequence[int], on_cases: OnCases,
                   notes: list[str]) -> list[EngineFindings]:
        """Each of the plan's `jobs`' findings, in plan order: the child's, and the others run
        here, up to `concurrency` requests in flight in all. Within each process the jobs start
        in `order`. Why the child failed, if it did, goes in `notes`."""
        away = self.numbers
        here = sorted(set(range(len(jobs))) - set(away))
        self._count_from_now(on_cases)
        self._give_more_lanes()
        try:
            found_here = _run_here(jobs, here, concurrency, order, on_cases)
            found_away = self._findings()
        finally:
            self.end()
        if found_away is None:
            if self.transport.gone:  # given up on, by either process: running its runs again cannot help
                raise StayedBusy(self.transport.gone[0])
            notes.append(f"the second process of the engine runs that change nothing ended without their "
                         f"findings ({self.why}): its {len(away)} runs ran again in the suite's own")
            found_away = _run_here(jobs, away, concurrency, order, _counted_past(on_cases, self._reported))
        found = dict(zip(here, found_here, strict=True)) | dict(zip(away, found_away, strict=True))
        return [found[number] for number in range(len(jobs))]

    def end(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5.0)
        with contextlib.suppress(OSError):
            self._receiving.close()
            self._giving_lanes.close()

    def _count_from_now(self, on_cases: OnCases) -> None:
        with self._lock:
            self._on_cases = on_cases
            before, self._cases_before = self._cases_before, 0
        if before and on_cases is not None:
            on_cases(before)

    def _give_more_lanes(self) -> None:
        """The rules are done: the child's logins start, and its share grows to one lane if it had none."""
        self.transport.take_lanes(self._more_lanes)  # free: the rules are done
        with self._lock:
            if self._ended:
                self.transport.release_lanes(self._more_lanes)
                return
            self._lanes += self._more_lanes
            # Its silence counts from now: with no lane before, it could start no request.
            self._last_change, self._watching = time.monotonic(), True
            with contextlib.suppress(OSError):
                self._giving_lanes.send(self._more_lanes)

    def _cases(self, count: int) -> None:
        with self._lock:
            self._reported += count
            report = self._on_cases
            if report is None:
                self._cases_before += count
        if report is not None:
            report(count)

    def _listen(self) -> None:
        last_count = -1
        try:
            while True:
                if self._receiving.poll(WAKE_S):
                    kind, payload = self._receiving.recv()
                    if kind == "cases":
                        self._cases(payload)
                    elif kind == "alive" and payload != last_count:
                        last_count, self._last_change = payload, time.monotonic()
                    elif kind == "answer":
                        self.answer = payload
                        return
                elif not self._process.is_alive():
                    self.why = f"it ended with exit code {self._process.exitcode}"
                    return
                if self._watching and time.monotonic() - self._last_change > self.silence_s:
                    self.why = f"it started no request for {self.silence_s:g} s"
                    return
        except (EOFError, OSError) as error:
            self._process.join(5.0)  # its exit code, once the kernel has it
            self.why = f"it ended ({type(error).__name__}) with exit code {self._process.exitcode}"
        finally:
            with self._lock:  # the child's lanes are this process's again
                self._ended = True
                self.transport.release_lanes(self._lanes)

    def _findings(self) -> list[EngineFindings] | None:
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


def _child_main(sending: Any, lanes_given: Any, ctx: SuiteContext, plan: Plan, early: int, share: int,
                transport: PacedTransport, journal_from: int) -> None:
    # The parent stops the run and kills this process: a Ctrl-C to the terminal's process group
    # must not interrupt it half-way instead (its findings would be lost, not its requests).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _close_listening_sockets()
    transport.keep_lanes(early)
    busy_before = Counter(transport.busy)  # the parent's, copied by the fork
    lock = threading.Lock()

    def send(kind: str, payload: Any) -> None:
        with lock:
            sending.send((kind, payload))

    done, rules_done = threading.Event(), threading.Event()
    parent = os.getppid()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_S):
            if os.getppid() != parent:  # the run was killed (SIGKILL: no clean-up of its own)
                os._exit(1)  # and its requests end with it
            send("alive", transport.requests_started)

    def more_lanes() -> None:
        with contextlib.suppress(EOFError, OSError):
            transport.release_lanes(lanes_given.recv())
            rules_done.set()

    threading.Thread(target=heartbeat, name="contract-reads-heartbeat", daemon=True).start()
    threading.Thread(target=more_lanes, name="contract-reads-lanes", daemon=True).start()
    journal = ctx.journal
    try:
        from . import one_run
        from .engines import run_engines

        numbers = plan.reads
        jobs = [functools.partial(_after, rules_done, job) if plan.runs[number][1].logs_in else job
                for number, job in zip(numbers, one_run.read_jobs(ctx, plan, numbers), strict=True)]
        # The logins last: they wait for the rules, and the other runs need not wait behind them.
        order = sorted(_renumbered(plan.order, numbers),
                       key=lambda place: plan.runs[numbers[place]][1].logs_in)
        found = run_engines([functools.partial(job, functools.partial(send, "cases")) for job in jobs],
                            share, order)
        answer = _Answer(found, dict(transport.busy - busy_before), list(transport.gone),
                         journal[journal_from:])
    except BaseException as error:  # reported, and the parent runs these jobs itself
        answer = _Answer(None, dict(transport.busy - busy_before), list(transport.gone),
                         journal[journal_from:], f"{type(error).__name__}: {error}")
    done.set()
    send("answer", answer)
    sending.close()


def _close_listening_sockets() -> None:
    """A server the parent process serves in a thread (a test's, an integrator's fixture) must
    stop when the parent stops it: this process's copy of its listening socket kept it listening,
    connections accepted by the kernel and never answered, each request waiting out --timeout.
    The copies are closed here, the objects that hold them left alone (no thread of theirs runs
    in this process)."""
    for name in os.listdir("/proc/self/fd"):
        try:
            copy = socket.socket(fileno=int(name))
        except (OSError, ValueError):
            continue  # not a socket (a pipe, a file), or gone meanwhile (the listing's own)
        try:
            listening = copy.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
        except OSError:
            listening = 0
        if listening:
            copy.close()
        else:
            copy.detach()


def _after(event: threading.Event, job: Job, on_cases: OnCases) -> EngineFindings:
    event.wait()
    return job(on_cases)
