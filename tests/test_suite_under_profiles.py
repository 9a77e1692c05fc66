"""The suite passes every correct deployment: the mock under profiles hypothesis draws.

- documented: passes under ANY profile (every answer to every question is correct);
- strict: passes under any profile that keeps the ASM answers; under one that does not, it
  fails only ASM rules, and only those of the assumed questions answered otherwise.

`make test` draws a few profiles over the fast layers; `make profiles` draws many over every
layer (PROFILE_EXAMPLES, PROFILE_LAYERS); `PROFILE_HTTP=1` serves each mock on 127.0.0.1 and runs
the suite as against a deployment (by URL: --concurrency 8 and the footprint bound by default).
A failing profile is printed as a dict to replay with `create_app(profile={"answers": ...})`.
"""

from __future__ import annotations

import os

import pytest
from calendar_spec import profiles
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from suite_runs import describe, failed_rules, options

from contract_tests.runner import run_suite
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

QUESTIONS = profiles.questions()
EXAMPLES = int(os.environ.get("PROFILE_EXAMPLES", "4"))
LAYERS = tuple(os.environ.get("PROFILE_LAYERS", "semantic,auth").split(","))
OVER_HTTP = bool(os.environ.get("PROFILE_HTTP"))
# No shrinking: each example is a whole contract run; the failing profile is printed to replay.
PROFILE_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                            derandomize=not os.environ.get("PROFILE_RANDOM"),
                            phases=[Phase.explicit, Phase.generate],
                            suppress_health_check=[HealthCheck.too_slow])


def answers(keep_assumptions: bool = False) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({
        qid: (st.just(q["default"]) if keep_assumptions and q["kind"] == "assumed"
              else st.sampled_from(q["answers"]))
        for qid, q in QUESTIONS.items()})


def run(profile_answers: dict[str, str], level: str):
    note(f"replay: create_app(profile={{'answers': {profile_answers!r}}})")
    app = create_app(profile={"answers": profile_answers})
    if not OVER_HTTP:
        return run_suite(options(app, level=level, layers=LAYERS))
    with serve_in_thread(app) as server:
        return run_suite(options(base_url=server.base_url, level=level, layers=LAYERS))


@pytest.mark.slow
@PROFILE_SETTINGS
@given(answers())
def test_documented_level_passes_the_mock_under_any_profile(profile_answers):
    result = run(profile_answers, "documented")
    assert result.passed, describe(result)


@pytest.mark.slow
@PROFILE_SETTINGS
@given(answers(keep_assumptions=True))
def test_strict_level_passes_the_mock_under_any_profile_keeping_the_assumptions(profile_answers):
    result = run(profile_answers, "strict")
    assert result.passed, describe(result)


@pytest.mark.slow
@PROFILE_SETTINGS
@given(answers().filter(lambda a: not profiles.Profile(a).keeps_assumptions()))
def test_strict_level_fails_only_the_assumptions_a_profile_answers_otherwise(profile_answers):
    otherwise = {qid for qid, answer in profile_answers.items()
                 if QUESTIONS[qid]["kind"] == "assumed" and answer != QUESTIONS[qid]["default"]}
    allowed = {rule for qid in otherwise for rule in QUESTIONS[qid]["rules"]}
    result = run(profile_answers, "strict")
    assert not result.passed
    assert {failure.tag for failure in result.failures} == {"ASM"}, describe(result)
    assert failed_rules(result) <= allowed, describe(result)
