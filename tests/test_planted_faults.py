"""The meta-test: the contract suite must fail every planted fault, and name the right rule.

Each fault of tests/planted_faults/ breaks one behaviour of a fresh mock. For each one:
- the fault is real: a probe observes something different on the broken app than on a
  healthy one (so a suite that "catches" it is not catching noise);
- the suite, run in-process at strict level on the layer expected to catch it, fails and
  names the fault's intended rule (other rules it names besides are allowed: one fault may
  break several, but the intended one must be among them);
- when the fault breaks a documented rule, the suite fails it at documented level too, naming
  that rule and no ASM rule; when it breaks assumptions of ours only, the documented run passes.
A control run per layer and level shows the suite passes the healthy mock with the same options.
And checks side by side change nothing a run concludes: the strict run of every fourth fault
by name (of the engine layers' faults one each; every one with PLANTED_FAULTS_EQUIVALENCE=all),
and the healthy mock's runs, are made again at --concurrency 8 (the others run at 1, the in-process
default) and must give the same verdict and the same findings. A finding is (rule id, layer,
operation, message) with the run's own numbers (ids of the calendars it made, their names' run
stamp) masked: those differ between any two runs.

The contract runs go to worker processes (two per core, at most 4) as soon as the first one
is needed; with 93 faults the file takes about 3 minutes alone on 2 cores (4 to 5 beside
another pytest worker), most of it the conformance and stateful faults. That each rule a level holds
has a fault is tests/test_rule_coverage.py's matter. The detection rates are
printed at the end of the session and stored in the pytest cache under
`planted_faults/report` (`.pytest_cache/v/planted_faults/report`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pytest
from planted_faults import (
    CATALOGUE,
    LAYERS,
    RULE_TAGS,
    Api,
    Fault,
    SteppingClock,
    run_case,
)
from session_notes import say

from mock_server import create_app

SEED = 20240115
# Hypothesis examples per generated operation, by layer: enough for a schema or status
# deviation to show, few enough to keep the whole file well under four minutes.
MAX_EXAMPLES = {"conformance": 3, "stateful": 5, "semantic": 5, "auth": 5}
FAULTS = list(CATALOGUE.values())
DOCUMENTED_FAULTS = [f for f in FAULTS if f.documented]
ASSUMED_FAULTS = [f for f in FAULTS if not f.documented]  # they break ASM rules only


def _ids(fault: Fault) -> str:
    return fault.name


# -- the catalogue itself ------------------------------------------------------------------
def test_catalogue_is_broad():
    assert len(FAULTS) >= 25
    assert {f.layer for f in FAULTS} == set(LAYERS), "every layer has a fault to catch"
    assert len({f.rule for f in FAULTS}) >= 20
    assert any(not f.documented for f in FAULTS) and len(DOCUMENTED_FAULTS) >= 20


@pytest.mark.parametrize("fault", FAULTS, ids=_ids)
def test_fault_is_documented(fault: Fault):
    assert fault.summary, f"{fault.name} needs a docstring saying what it breaks"
    assert fault.rule in RULE_TAGS
    assert fault.documented_rule is None or RULE_TAGS[fault.documented_rule] in ("DOC", "INF")


@pytest.mark.parametrize("fault", FAULTS, ids=_ids)
def test_each_fault_really_deviates(fault: Fault):
    """The probe sees the healthy mock and the broken one answer differently."""
    healthy = fault.probe(Api(create_app(clock=SteppingClock())))
    broken = fault.probe(Api(fault.build(clock=SteppingClock())))
    assert broken != healthy, f"{fault.name} changes nothing its probe can see: {healthy!r}"


def test_faults_stay_in_their_own_app():
    """Planting and exercising every fault leaves a fresh healthy app as healthy as before."""
    before = [f.probe(Api(create_app(clock=SteppingClock()))) for f in FAULTS]
    broken = [f.probe(Api(f.build(clock=SteppingClock()))) for f in FAULTS]
    after = [f.probe(Api(create_app(clock=SteppingClock()))) for f in FAULTS]
    assert broken != before and after == before


# -- the suite against the faults ------------------------------------------------------------
# Every contract run is independent (its own app), so the runs the selected tests need are
# started together in worker processes when the first one is asked for; each test then
# waits for its own run. PLANTED_FAULTS_WORKERS overrides the number of workers.
# Two workers a core: a semantic run sleeps a second of its two (update.updated-at waits out the
# timestamps' one-second resolution), and the other worker fills it (252 -> 186 s on 2 cores).
WORKERS = int(os.environ.get("PLANTED_FAULTS_WORKERS") or min(2 * (os.cpu_count() or 1), 4))
STRICT_TEST, DOCUMENTED_TEST, ASSUMED_TEST, CONTROL_TEST = (
    "test_suite_catches_fault_at_strict_level",
    "test_suite_catches_documented_fault_at_documented_level",
    "test_suite_lets_assumed_fault_pass_at_documented_level",
    "test_suite_passes_the_healthy_mock",
)
SAME_FINDINGS_TEST, SAME_VERDICT_TEST = (
    "test_planted_fault_same_findings_at_any_concurrency",
    "test_healthy_mock_same_verdict_at_any_concurrency",
)
SIDE_BY_SIDE = 8  # the concurrency compared with 1
OWN_LAYERS, ENGINE_LAYERS = ("semantic", "auth"), ("conformance", "stateful")
# fault name (None: healthy), level, layers, concurrency
RunKey = tuple[str | None, str, tuple[str, ...], int]


def _fault_key(fault: Fault, level: str, concurrency: int = 1) -> RunKey:
    return fault.name, level, (fault.layer,), concurrency


def _control_key(level: str, layer: str) -> RunKey:
    return None, level, (layer,), 1


def _planned(items: list[pytest.Item]) -> list[RunKey]:
    keys: list[RunKey] = []
    for item in items:
        params = getattr(item, "callspec", None)
        name = getattr(item, "originalname", "")
        if params is None or item.module is None or item.module.__name__ != __name__:
            continue
        if name == STRICT_TEST:
            keys.append(_fault_key(params.params["fault"], "strict"))
        elif name in (DOCUMENTED_TEST, ASSUMED_TEST):
            keys.append(_fault_key(params.params["fault"], "documented"))
        elif name == CONTROL_TEST:
            keys.append(_control_key(params.params["level"], params.params["layer"]))
        elif name == SAME_FINDINGS_TEST:
            keys += [_fault_key(params.params["fault"], "strict", c) for c in (1, SIDE_BY_SIDE)]
        elif name == SAME_VERDICT_TEST:
            level, layers = params.params["level"], params.params["layers"]
            keys += [_control_key(level, layer) for layer in layers] + [(None, level, layers, SIDE_BY_SIDE)]
    # the slow schemathesis layers first, so the workers finish together
    return sorted(dict.fromkeys(keys), key=lambda key: key[2][0] not in ("conformance", "stateful"))


@pytest.fixture(scope="session")
def suite_runs(request: pytest.FixtureRequest) -> Iterator[dict[RunKey, Future]]:
    pytest.importorskip("contract_tests.runner", reason="contract_tests/runner.py is not there yet")
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield {
            key: pool.submit(run_case, key[0], key[1], key[2], MAX_EXAMPLES[key[2][0]], SEED, key[3])
            for key in _planned(request.session.items)
        }
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def detection(request: pytest.FixtureRequest) -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
    """Outcomes per (fault, level); reported once the session is over."""
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    started = time.perf_counter()
    yield outcomes
    if outcomes:
        _report(request.config, outcomes, time.perf_counter() - started)


def _report(config: pytest.Config, outcomes: dict[tuple[str, str], dict[str, Any]], wall: float) -> None:
    lines = ["", f"planted faults: detection by the contract suite ({WORKERS} workers, {wall:.0f}s)"]
    summary: dict[str, Any] = {}
    for level, required in (("strict", FAULTS), ("documented", DOCUMENTED_FAULTS)):
        ran = [f for f in required if (f.name, level) in outcomes]
        caught = [f for f in ran if outcomes[(f.name, level)]["caught"]]
        summary[level] = {"caught": len(caught), "ran": len(ran), "catalogue": len(required)}
        lines.append(f"  {level:<10} caught with the right rule: {len(caught)}/{len(ran)}"
                     f" (catalogue: {len(required)})")
    for (name, level), outcome in sorted(outcomes.items()):
        if not outcome["caught"]:
            lines.append(f"  MISSED {name} at {level}: expected {outcome['expected']},"
                         f" suite named {outcome['named'] or 'nothing'}")
    cache = getattr(config, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        cache.set("planted_faults/report", {
            "summary": summary,
            "outcomes": [{"fault": name, "level": level, **outcome}
                         for (name, level), outcome in sorted(outcomes.items())],
        })
    say(config, lines)


def _describe(result: dict[str, Any]) -> str:
    failures = [
        f"  - [{f['layer']}] {f['rule_id']} ({f['tag']}) {f['operation']}: {f['message']}"
        + (f"\n      {f['curl']}" if f["curl"] else "")
        for f in result["failures"]
    ]
    return (f"passed={result['passed']} checks_run={result['checks_run']} ({result['seconds']}s)\n"
            + ("\n".join(failures) or "  (no failures)"))


def _check_caught(fault: Fault, level: str, suite_runs, detection) -> None:
    intended = fault.intended(level)
    result = suite_runs[_fault_key(fault, level)].result()
    named = sorted({f["rule_id"] for f in result["failures"]})
    caught = result["passed"] is False and intended in named
    detection[(fault.name, level)] = {
        "caught": caught, "expected": intended, "named": named, "layer": fault.layer,
        "seconds": result["seconds"],
    }
    assert result["passed"] is False, (
        f"the suite passed {fault.name} ({fault.summary}) at {level} level\n{_describe(result)}")
    assert caught, (
        f"the suite failed {fault.name} at {level} level but did not name {intended}\n"
        f"{_describe(result)}")
    if level == "documented":
        assumed = sorted({f["rule_id"] for f in result["failures"] if f["tag"] == "ASM"})
        assert not assumed, f"at documented level the suite named ASM rules {assumed}\n{_describe(result)}"


@pytest.mark.parametrize("fault", FAULTS, ids=_ids)
def test_suite_catches_fault_at_strict_level(fault: Fault, suite_runs, detection):
    _check_caught(fault, "strict", suite_runs, detection)


@pytest.mark.parametrize("fault", DOCUMENTED_FAULTS, ids=_ids)
def test_suite_catches_documented_fault_at_documented_level(fault: Fault, suite_runs, detection):
    _check_caught(fault, "documented", suite_runs, detection)


@pytest.mark.parametrize("fault", ASSUMED_FAULTS, ids=_ids)
def test_suite_lets_assumed_fault_pass_at_documented_level(fault: Fault, suite_runs):
    """A fault that breaks only ASM rules is no failure at documented level: the suite holds a
    deployment to what the docs say, and the fault changes nothing the docs settle."""
    result = suite_runs[_fault_key(fault, "documented")].result()
    assert result["passed"] is True, (
        f"{fault.name} breaks only {fault.rule} (ASM), yet the documented run failed\n"
        f"{_describe(result)}")


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("level", ["strict", "documented"])
def test_suite_passes_the_healthy_mock(level: str, layer: str, suite_runs):
    """The control: each layer with the options the faults use, on an unbroken mock."""
    result = suite_runs[_control_key(level, layer)].result()
    assert result["passed"] is True, _describe(result)
    assert result["checks_run"] > 0


if __name__ == "__main__":  # a quick listing of the catalogue
    print(json.dumps([{"name": f.name, "rule": f.rule, "documented_rule": f.documented_rule, "layer": f.layer}
                      for f in FAULTS], indent=1))


# -- the same conclusions side by side ---------------------------------------------------------
_NUMBERS = re.compile(r"contract-kit-[0-9]+-[0-9a-f]+|[0-9]+")


def _finding(failure: dict[str, Any]) -> tuple[str, str, str, str]:
    return (failure["rule_id"], failure["layer"], _NUMBERS.sub("#", failure["operation"]),
            _NUMBERS.sub("#", failure["message"]))


def _verdict(run: dict[str, Any]) -> tuple[bool, list[tuple[str, str, str, str]]]:
    return run["passed"], sorted({_finding(failure) for failure in run["failures"]})


@pytest.mark.parametrize("layers", [OWN_LAYERS, ENGINE_LAYERS], ids="+".join)
@pytest.mark.parametrize("level", ["strict", "documented"])
def test_healthy_mock_same_verdict_at_any_concurrency(level: str, layers: tuple[str, ...], suite_runs):
    """The layers together side by side against each one's control run at 1 (a healthy mock's
    verdict is "passed", with no finding: the layers' runs at 1 add up to it)."""
    ones = [suite_runs[_control_key(level, layer)].result() for layer in layers]
    many = suite_runs[(None, level, layers, SIDE_BY_SIDE)].result()
    # (How many `expect`s ran may differ: a refused write's snapshot compares every calendar
    # the run has made so far, and side by side more of them exist by then.)
    assert all(one["passed"] for one in ones) and many["passed"], ([one["failures"] for one in ones],
                                                                   many["failures"])


ENGINE_SAMPLE = ("delete_is_hard", "response_missing_publicname")


def _sampled(faults: list[Fault]) -> list[Fault]:
    """Of every second fault by name, every second of the suite's own layers; and one named fault
    of each engine layer (an engine fault's run at 8 costs as much as ten others; the healthy
    runs above compare the engines too). make test has a time budget;
    PLANTED_FAULTS_EQUIVALENCE=all (`make evidence`) compares every one."""
    by_name = sorted(faults, key=_ids)
    own = [f for f in by_name[::2] if f.layer in OWN_LAYERS][::2]
    # Named, not picked by position: a fault added elsewhere must neither leave a layer out nor
    # swap in a run of another cost (these two are the ones make test has long compared).
    engines = [f for f in by_name if f.name in ENGINE_SAMPLE]
    assert sorted(f.layer for f in engines) == sorted(ENGINE_LAYERS), ENGINE_SAMPLE
    return [f for f in by_name if f in own or f in engines]


_SIDE_BY_SIDE_FAULTS = [f for f in FAULTS if f.layer in OWN_LAYERS + ENGINE_LAYERS]
if os.environ.get("PLANTED_FAULTS_EQUIVALENCE") != "all":
    _SIDE_BY_SIDE_FAULTS = _sampled(_SIDE_BY_SIDE_FAULTS)


@pytest.mark.parametrize("fault", _SIDE_BY_SIDE_FAULTS, ids=_ids)
def test_planted_fault_same_findings_at_any_concurrency(fault: Fault, suite_runs):
    one, many = (suite_runs[_fault_key(fault, "strict", c)].result() for c in (1, SIDE_BY_SIDE))
    assert not one["passed"], f"{fault.name} is not caught at concurrency 1"
    assert _verdict(one) == _verdict(many)


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
