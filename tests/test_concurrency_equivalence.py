"""Checks side by side change nothing a run concludes: the same seed gives the same verdict and
the same findings at --concurrency 1 and 8, on the healthy mock and on every planted fault of
the suite's own layers (semantic, auth), and of the schemathesis layers, whose engine runs go
side by side at 8.

A finding is (rule id, layer, operation, message) with the run's own numbers (ids of the
calendars it made, their names' run stamp) masked: those differ between any two runs.
The runs go to worker processes (at most 2), as in test_planted_faults.py.
"""

from __future__ import annotations

import multiprocessing
import re
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pytest
from planted_faults import CATALOGUE, Fault, run_case

SEED = 7
CONCURRENCIES = (1, 8)
OWN_LAYERS = ("semantic", "auth")
ENGINE_LAYERS = ("conformance", "stateful")
FAULTS = [fault for fault in CATALOGUE.values() if fault.layer in OWN_LAYERS + ENGINE_LAYERS]
_NUMBERS = re.compile(r"contract-kit-[0-9]+-[0-9a-f]+|[0-9]+")


def finding(failure: dict[str, Any]) -> tuple[str, str, str, str]:
    return (failure["rule_id"], failure["layer"], _NUMBERS.sub("#", failure["operation"]),
            _NUMBERS.sub("#", failure["message"]))


def verdict(run: dict[str, Any]) -> tuple[bool, list[tuple[str, str, str, str]]]:
    return run["passed"], sorted({finding(failure) for failure in run["failures"]})


@pytest.fixture(scope="module")
def runs():
    """(fault name, or the layers of a healthy run; level; concurrency) -> the run, all
    submitted at once."""
    context = multiprocessing.get_context("spawn")
    cases = [(None, level, layers) for level in ("strict", "documented")
             for layers in (OWN_LAYERS, ENGINE_LAYERS)]
    cases += [(fault.name, "strict", (fault.layer,)) for fault in FAULTS]
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures: dict[tuple[Any, ...], Future] = {
            (name if name else layers, level, concurrency): pool.submit(
                run_case, name, level, layers, 5, SEED, concurrency)
            for name, level, layers in cases for concurrency in CONCURRENCIES
        }
        yield {key: future.result(timeout=900) for key, future in futures.items()}


def test_there_are_faults_to_compare():
    assert len(FAULTS) >= 40


@pytest.mark.parametrize("layers", [OWN_LAYERS, ENGINE_LAYERS], ids="+".join)
@pytest.mark.parametrize("level", ["strict", "documented"])
def test_healthy_mock_same_verdict_at_any_concurrency(level: str, layers: tuple[str, ...], runs):
    one, many = (runs[(layers, level, concurrency)] for concurrency in CONCURRENCIES)
    # (How many `expect`s ran may differ: a refused write's snapshot compares every calendar
    # the run has made so far, and side by side more of them exist by then.)
    assert one["passed"] and many["passed"], (one["failures"], many["failures"])


@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
def test_planted_fault_same_findings_at_any_concurrency(fault: Fault, runs):
    one, many = (runs[(fault.name, "strict", concurrency)] for concurrency in CONCURRENCIES)
    assert not one["passed"], f"{fault.name} is not caught at concurrency 1"
    assert verdict(one) == verdict(many)


def test_no_check_takes_its_evidence_from_the_shared_journal():
    """Side by side, the journal's last exchange may be another check's: a finding's evidence is
    the check's own (`ctx.last_exchange()`), or it changes with the concurrency."""
    from pathlib import Path
    checks = Path(__file__).resolve().parent.parent / "contract_tests" / "checks"
    offenders = [f"{path.relative_to(checks)}:{number}"
                 for path in sorted(checks.rglob("*.py"))
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if "journal[-1]" in line]
    assert not offenders, offenders
