"""Schemathesis engine runs side by side (--concurrency > 1), each one's events kept apart.

Each engine run generates the same cases under the run's seed whatever runs beside it; only
their requests interleave. The events come back per run, in the order of the plan, so that the
findings and the evidence chosen for them do not depend on which engine got somewhere first.
Generated writes take their turns (steer.WriteTurns): side by side when each can only reach its
engine's own calendars (partitions.py), else alone, so a refused one is still judged against
the state it met.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import pkgutil
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hypothesis.errors import HypothesisDeprecationWarning

from ..schedule import run_in_pool

try:  # Hypothesis' own module: a later Hypothesis may move it, and then runs only go slower
    from hypothesis.strategies._internal import lazy as hypothesis_lazy
except ImportError:  # pragma: no cover
    hypothesis_lazy = None
try:  # Hypothesis' own module (6.131 and later): tests/test_same_seed_same_cases.py holds what it is for
    from hypothesis.internal.conjecture import providers as hypothesis_providers
except ImportError:  # pragma: no cover
    hypothesis_providers = None


class _PatchWhileRunning:
    """`owner.name` replaced by `make(original)` while engine runs hold it (counted: they overlap
    and nest), and put back once none does: the process's other users keep the original.
    `then()` runs after each of the two swaps (to drop what was cached under the other one)."""

    def __init__(self, owner: Any, name: str, make: Callable[[Any], Any], wanted: bool = True,
                 then: Callable[[], None] = lambda: None) -> None:
        self._owner, self._name, self._make, self._wanted, self._then = owner, name, make, wanted, then
        self._users_lock = threading.Lock()
        self._users = 0
        self._original: Any = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if not self._wanted:
            yield
            return
        with self._users_lock:
            if not self._users:
                self._original = getattr(self._owner, self._name)
                setattr(self._owner, self._name, self._make(self._original))
                self._then()
            self._users += 1
        try:
            yield
        finally:
            with self._users_lock:
                self._users -= 1
                if not self._users:
                    setattr(self._owner, self._name, self._original)
                    self._then()


def _one_at_a_time(original: Callable[..., Any]) -> Callable[..., Any]:
    lock = threading.Lock()

    def parse(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    return parse


def _lambdas_unnamed(original: Callable[[object], str]) -> Callable[[object], str]:
    def describe(function: object) -> str:
        return "lambda" if getattr(function, "__name__", None) == "<lambda>" else original(function)

    return describe


# CPython before 3.12 (gh-106905): `ast.parse` in several threads at once fails with "AST
# constructor recursion depth mismatch", and Hypothesis parses lambdas' sources while it
# generates. While engines run side by side, one parse at a time.
SERIAL_AST_PARSE = _PatchWhileRunning(ast, "parse", _one_at_a_time, wanted=sys.version_info < (3, 12))
# Each `.filter(lambda ...)` or `.map(lambda ...)` on a lazy strategy names itself by parsing and
# compiling the lambda's source (a fifth of a conformance run's time), and schemathesis makes new
# lambdas for every operation, so Hypothesis' cache never hits. The name only serves the
# strategy's repr, which no run shows: the same cases, the same findings.
SHORT_LAMBDA_NAMES = _PatchWhileRunning(hypothesis_lazy, "get_pretty_function_description", _lambdas_unnamed,
                                        wanted=hasattr(hypothesis_lazy, "get_pretty_function_description"))


def _no_local_constants(original: Callable[[], Any]) -> Callable[[], Any]:
    empty = hypothesis_providers.Constants()
    return lambda: empty


def _forget_constants_drawn() -> None:
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()  # what may be drawn, per kind of choice


# Hypothesis now and then draws a literal from the source of the modules loaded in the process
# that are not installed packages (the kit's own in an editable install, an integrator's app and
# helpers): the same seed drew other cases through the CLI than under pytest, or after one more
# import. While engines run that pool is empty, and the allowed constants it cached are dropped
# on the way in (computed with the process's pool) and on the way out (computed without it).
NO_LOCAL_CONSTANTS = _PatchWhileRunning(
    hypothesis_providers, "_get_local_constants", _no_local_constants,
    wanted=all(hasattr(hypothesis_providers, name) for name in ("_get_local_constants", "CONSTANTS_CACHE")),
    then=_forget_constants_drawn)

# Schemathesis imports much of itself on first use, inside a function: in an engine run. Engines
# starting in several threads at once import the same modules at once, and through circular
# imports one thread can be handed a module half made ("cannot import name 'ASGI_TRANSPORT' from
# 'schemathesis.transport.asgi'", met against a deployment answering 400 to every GET that
# carries a Content-Type): schemathesis could not test the case, and the run FAILED. So those
# packages are imported whole, once, in one thread, before engines start side by side (0.4 s).
# Left out: the fuzz executor of schemathesis' own CLI (300 modules the suite never uses).
IMPORTED_AHEAD = ("schemathesis.engine", "schemathesis.specs.openapi", "schemathesis.generation",
                  "schemathesis.core", "schemathesis.transport", "schemathesis.openapi",
                  "schemathesis.python", "schemathesis.wfc", "hypothesis.stateful",
                  "hypothesis.strategies._internal")
NOT_AHEAD = ("schemathesis.engine.fuzz.",)


@functools.cache
def import_ahead() -> None:
    for name in IMPORTED_AHEAD:
        package = importlib.import_module(name)
        for module in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{name}."):
            if not module.name.startswith(NOT_AHEAD):
                with contextlib.suppress(Exception):  # an optional dependency absent: not used then
                    importlib.import_module(module.name)


def run_engines(jobs: Sequence[Callable[[], list[Any]]], concurrency: int,
                order: Sequence[int] | None = None) -> list[list[Any]]:
    """Each job's events, in `jobs` order; up to `concurrency` at once, started in `order` (the
    jobs' numbers, longest first: what starts last should end soon)."""
    with SHORT_LAMBDA_NAMES.held(), NO_LOCAL_CONSTANTS.held():
        if concurrency <= 1 or len(jobs) <= 1:
            return [job() for job in jobs]
        import_ahead()
        with SERIAL_AST_PARSE.held(), warnings.catch_warnings():
            # Hypothesis notes "Do not use the `random` module inside strategies" when the global
            # random state moved during a draw, and in threads another engine moving it is enough
            # (the race its hypothesis.control describes): no strategy of a run uses it. Under
            # `-W error` the note failed a case once and, replayed, an "unreliable result" (suite.error).
            warnings.filterwarnings("ignore", message="Do not use the `random` module inside strategies",
                                    category=HypothesisDeprecationWarning)
            # On Ctrl-C / SIGTERM the engines not started are dropped, the others told to stop (one_run.py).
            return run_in_pool(jobs, min(concurrency, len(jobs)), "contract-engine",
                               range(len(jobs)) if order is None else order)
