"""`--level profile:FILE`: calibrate -> serve with the profile -> run holds the deployment to it,
and catches a drift from it by question."""

from __future__ import annotations

import json

import pytest
from planted_faults.plumbing import before_request, refusal
from suite_runs import describe, failed_rules, options

from contract_tests.calibrate import CalibrateOptions, calibrate
from contract_tests.cli import main
from contract_tests.profile_level import rules_answered_otherwise, split_level
from contract_tests.runner import run_suite
from mock_server import create_app

FAST = ("semantic", "auth", "profile")


@pytest.fixture(scope="module")
def contrarian_file(tmp_path_factory):
    """The profile calibrate learns from the mock answering every question the other way."""
    return calibrate(CalibrateOptions(profile="contrarian")).write(
        tmp_path_factory.mktemp("profiles") / "contrarian.json")


def test_a_level_names_a_view_and_a_profile(contrarian_file):
    view, profile = split_level(f"profile:{contrarian_file}")
    assert view == "documented" and profile is not None  # it answers assumptions otherwise
    assert {"list.default-order", "delete.body", "invalid.strict-types"} <= rules_answered_otherwise(profile)
    assert split_level("strict") == ("strict", None)


@pytest.mark.slow
def test_round_trip_calibrate_serve_run(contrarian_file):
    """The mock serving a calibrated profile passes `--level profile:` on it: its answers are
    probed, and the ASM rules it answers otherwise are not held against it."""
    result = run_suite(options(create_app(profile=contrarian_file), level=f"profile:{contrarian_file}"))
    assert result.passed, describe(result)
    probed = [o for o in result.outcomes if o.layer == "profile"]
    assert probed and all(o.status == "passed" for o in probed if o.status != "skipped")
    assert sum(o.status == "passed" for o in probed) >= 15


@pytest.mark.parametrize(("question", "drifted"), [("page_cap", "none"), ("group_id_mismatch", "403"),
                                                   ("error_body", "kit")])
def test_a_deployment_drifting_from_its_profile_fails_that_question(contrarian_file, question, drifted):
    app = create_app(profile=contrarian_file, settings={question: drifted})
    result = run_suite(options(app, level=f"profile:{contrarian_file}", layers=FAST))
    assert failed_rules(result) == {f"profile.{question}"}, describe(result)
    failure = next(f for f in result.failures if f.rule_id == f"profile.{question}")
    assert failure.tag == "PROFILE" and drifted in failure.actual and failure.curl.startswith("curl")


def test_an_answer_that_fits_no_answer_of_the_question_fails_it(tmp_path):
    """A deployment whose answer to a probe is none of the question's answers (here: digit
    strings for integers crash with a 500 instead of being refused or taken) does not answer as
    the profile says: the question fails, it is not merely 'could not be probed'."""
    path = tmp_path / "coerced.yaml"
    path.write_text("answers: {string_integers: coerced}\n", encoding="utf-8")
    app = create_app(settings={"string_integers": "coerced"})

    @before_request(app)
    def crash_on_digit_strings(request):
        try:
            calendar = json.loads(request.get_data(cache=True) or b"null").get("calendar")
        except (ValueError, AttributeError):
            return None
        if isinstance(calendar, dict) and any(isinstance(v, str) and v.lstrip("-").isdigit()
                                              for v in calendar.values()):
            return refusal(500, "planted: TypeError")
        return None

    result = run_suite(options(app, level=f"profile:{path}", layers=("profile",)))
    outcome = next(o for o in result.outcomes if o.name == "profile.string_integers")
    assert outcome.status == "failed", describe(result)
    assert "fits none" in outcome.failures[0].actual


def test_the_default_profile_is_the_strict_level_plus_its_answers(tmp_path):
    path = tmp_path / "default.yaml"
    path.write_text("answers: {page_cap: none, start_index: items}\n", encoding="utf-8")
    result = run_suite(options(create_app(), level=f"profile:{path}", layers=FAST))
    assert result.passed, describe(result)
    assert {o.name for o in result.outcomes if o.layer == "profile"} == {"profile.page_cap",
                                                                          "profile.start_index"}
    strict = run_suite(options(create_app(settings={"deleted_calendars": "hidden"}),
                               level=f"profile:{path}", layers=FAST))
    assert "list.deleted-listed" in failed_rules(strict)  # it keeps the assumptions: strict holds


@pytest.mark.parametrize("level", ["profile:/nonexistent/profile.json", "profile:", "lenient"])
def test_a_bad_profile_level_is_a_usage_error(level, capsys):
    assert main(["run", "--level", level, "--layers", "semantic"]) == 2
    assert "level" in capsys.readouterr().err
