"""A verdict does not depend on how fast the machine running the suite is: Hypothesis' `too_slow`
health check (generation slower than its limit) would otherwise fail a layer with "suite.error"
on a loaded CI runner, a profiler attached, or an engine that waits its turn mid-draw. An error
that may depend on timing (an unreliable result) says what failed the first time."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import hypothesis.internal.conjecture.engine as conjecture_engine
from hypothesis.control import currently_in_test_context
from suite_runs import options

from contract_tests.runner import run_suite
from contract_tests.schemathesis_layers import findings as engine_findings
from contract_tests.schemathesis_layers import one_run as schemathesis_run

SLOW_OPERATION = "PUT /api/v1/groups/{group_id}/calendars/{calendar_id}"


def test_slow_generation_is_not_a_finding(monkeypatch):
    # Hypothesis allows max(1 s, 5 x deadline) of drawing before it gives up; schemathesis sets no
    # deadline, so the limit is 30 s. Shrink it to 1 s (the floor) and draw for longer than that.
    assert hasattr(conjecture_engine, "timedelta"), "the health check's limit moved: update this test"
    monkeypatch.setattr(conjecture_engine, "timedelta", lambda **kw: timedelta(seconds=0.01))
    is_negative, slowed = schemathesis_run.is_negative, []

    def slow_is_negative(case):  # the negative engine's case filter: inside Hypothesis' draws
        if case.operation.label == SLOW_OPERATION and currently_in_test_context() and len(slowed) < 2:
            slowed.append(case)
            time.sleep(0.6)
        return is_negative(case)

    monkeypatch.setattr(schemathesis_run, "is_negative", slow_is_negative)
    result = run_suite(options(level="documented", layers=("conformance",), max_examples=3, concurrency=1))
    assert len(slowed) == 2  # 1.2 s of slow draws did happen, in the health check's window
    errors = [failure.message for failure in result.failures if failure.rule_id == "suite.error"]
    assert not errors, errors
    assert result.passed, result.summary()


def test_an_unreliable_result_says_what_failed_the_first_time():
    # Hypothesis' "produces unreliable results" (a case that failed, then passed when replayed)
    # groups the first failure; schemathesis' message leaves it out, the finding must not.
    first = AssertionError("[rule:invalid.rejected] a refused PUT (401) changes nothing: calendar 15")
    unreliable = ExceptionGroup("Hypothesis ... produces unreliable results", [first])
    said = engine_findings._first_failures(unreliable)
    assert "AssertionError" in said and "calendar 15" in said
    assert engine_findings._first_failures(RuntimeError("no group")) == ""


def test_another_thread_moving_the_global_random_state_is_not_a_finding():
    # Hypothesis notes a deprecation when the global random state moved during a draw; engines
    # side by side move it for each other (pytest here turns warnings into errors, as CI may).
    # Another thread moving it all through the run makes that race happen in most draws.
    stop = threading.Event()

    def move_global_random_state():
        deadline = time.monotonic() + 300
        while not stop.is_set() and time.monotonic() < deadline:
            random.random()
            time.sleep(0.0005)

    mover = threading.Thread(target=move_global_random_state, daemon=True)
    mover.start()
    try:
        result = run_suite(options(level="documented", layers=("conformance",), max_examples=3,
                                   concurrency=2))
    finally:
        stop.set()
        mover.join()
    errors = [failure.message for failure in result.failures if failure.rule_id == "suite.error"]
    assert not errors, errors
    assert result.passed, result.summary()
