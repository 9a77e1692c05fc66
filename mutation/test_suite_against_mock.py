"""The contract suite as mutmut's test: a mutant of the mock is killed when the suite fails it.

Not part of `make test` (pytest's `testpaths` is `tests/`): `make mutation` runs this file from
mutmut's `mutants/` copy, where `mock_server` is the mutated one.

The suite runs its semantic and auth layers at strict level (about 2 s on an idle core) against
the default mock. `MUTATION_PROFILES=default,other-answers` adds a run against a mock answering
every open question of the spec the other way (pages capped, `startIndex` as pages, nulls
last, ... - it keeps the contract), which measures the mock's code for those answers too, at
twice the cost of a surviving mutant. A run stops at its first failed rule: a mutant needs one
failure to be killed. `MUTATION_LAYERS=semantic,auth,stateful,conformance` adds the
schemathesis layers (about 15 s more a run). `MUTATION_LEVEL=profile` runs `--level profile:`
with the profile the mock was given (every question answered): a mutant that makes the mock
answer an open question otherwise than its profile says keeps the contract, and only that level
sees it. Profiles: `default`, `other-answers`, `contrarian` and `flip:<question id>`.
"""

from __future__ import annotations

import json
import os

import pytest
from calendar_spec.profiles import questions

from contract_tests import runner
from contract_tests.runner import DEMO, SuiteOptions, run_suite
from mock_server import create_app
from mock_server.contract import _default_contract

LAYERS = tuple(os.environ.get("MUTATION_LAYERS", "semantic,auth").split(","))
PROFILES = {
    "default": {},
    "other-answers": {qid: next(a for a in q["answers"] if a != q["default"])
                      for qid, q in questions().items() if q["kind"] == "open"},
    # every question answered otherwise, our assumptions too: only with MUTATION_LEVEL=profile
    # (the strict level fails the assumptions this mock no longer keeps, as it should)
    "contrarian": {qid: next(a for a in q["answers"] if a != q["default"]) for qid, q in questions().items()},
}
# `flip:<question>`: that one question answered otherwise, every other as the mock does by
# default - code that runs only for some mix of answers (a fast path off under one answer,
# wrong under another) shows under no all-or-nothing profile.
PROFILES.update({f"flip:{qid}": {qid: other} for qid, other in PROFILES["contrarian"].items()})
CHOSEN = os.environ.get("MUTATION_PROFILES", "default").split(",")
LEVEL = os.environ.get("MUTATION_LEVEL", "strict")


def level_for(profile: str, directory) -> str:
    if LEVEL != "profile":
        return LEVEL
    path = directory / f"{profile.replace(':', '-')}.json"
    every_answer = {qid: q["default"] for qid, q in questions().items()}
    path.write_text(json.dumps({**every_answer, **PROFILES[profile]}), encoding="utf-8")
    return f"profile:{path}"


class FirstFailure(AssertionError):
    """The suite failed a rule: enough to kill the mutant, no need to run the rest."""


@pytest.fixture
def stop_at_first_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    run_rule = runner._run_rule

    def run_or_stop(*args, **kwargs):
        outcome = run_rule(*args, **kwargs)
        if outcome.failures:
            failure = outcome.failures[0]
            raise FirstFailure(f"{failure.rule_id}: {failure.message}\n{failure.curl}\n"
                               f"expected {failure.expected}\nactual {failure.actual}")
        return outcome

    monkeypatch.setattr(runner, "_run_rule", run_or_stop)


@pytest.mark.usefixtures("stop_at_first_failure")
@pytest.mark.parametrize("profile", CHOSEN)
def test_suite_passes_the_mock(profile: str, tmp_path) -> None:
    # mutmut forks each mutant's run from a process that has already compiled the contract:
    # compiled afresh here, a mutant of the compiler (mock_server.contract) takes effect.
    _default_contract.cache_clear()
    result = run_suite(SuiteOptions(app=create_app(settings=PROFILES[profile]), layers=LAYERS,
                                    level=level_for(profile, tmp_path), seed=12345, max_examples=3,
                                    **DEMO))
    assert result.passed, result.summary()
