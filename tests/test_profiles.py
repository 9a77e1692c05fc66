"""Profiles: a file answers every open question; the mock takes one everywhere it is
configured, and refuses a bad one with the question (and the file) named."""

from __future__ import annotations

import json
import subprocess

import pytest
import requests
from calendar_spec import profiles
from spec_validation import ApiClient, calendar_path, calendars_path
from test_mock_cli import cli, read_banner, serving

from mock_server import create_app, mock_of

QUESTIONS = profiles.questions()


def test_builtins_answer_every_question_and_contrarian_differs_everywhere():
    default, contrarian = profiles.builtin("default"), profiles.builtin("contrarian")
    assert set(default.answers) == set(contrarian.answers) == set(QUESTIONS)
    assert all(default.answers[q] != contrarian.answers[q] for q in QUESTIONS)
    assert default.keeps_assumptions() and not contrarian.keeps_assumptions()
    assert mock_of(create_app(profile="default")).settings.differs() == {}
    assert mock_of(create_app(profile="contrarian")).settings.as_dict() == dict(contrarian.answers)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_profile_file_in_json_or_yaml(tmp_path, suffix):
    path = tmp_path / f"staging{suffix}"
    document = {"name": "staging", "answers": {"page_cap": "5", "start_index": "pages"},
                "unknown": {"nulls_order": "no calendar with a null to sort"}}
    path.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML too
    profile = profiles.load(path)
    assert profile.name == "staging" and profile.unknown == {"nulls_order": "no calendar with a null to sort"}
    settings = mock_of(create_app(profile=path)).settings
    assert settings.differs() == {"page_cap": "5", "start_index": "pages"}


def test_a_bare_mapping_is_read_as_answers_and_numbers_as_their_text(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("group_id_mismatch: 400\npage_cap: 5\n", encoding="utf-8")
    assert dict(profiles.load(path).answers) == {"group_id_mismatch": "400", "page_cap": "5"}


@pytest.mark.parametrize(("text", "message"), [
    ('{"answers": {"colour": "red"}}', "unknown question 'colour'"),
    ('{"answers": {"page_cap": "7"}}', "question 'page_cap' has no answer '7'; its answers: none, 5"),
    ('{"answers": {"page_cap": null}}', "question 'page_cap' has no answer None"),
    ('{"answers": [], "name": "x"}', "answers must be a mapping"),
    ('{"answers": {}, "colour": 1}', "unknown key 'colour'"),
    ('{"answers": {}, "unknown": {"colour": "?"}}', "unknown question 'colour' under unknown"),
    ('[1, 2]', "a profile is a mapping"),
    ('{"answers": {', "not valid JSON"),
])
def test_a_bad_profile_names_the_file_and_the_question(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(profiles.ProfileError) as refused:
        create_app(profile=path)
    assert message in str(refused.value) and str(path) in str(refused.value)


def test_an_unknown_builtin_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(profiles.ProfileError, match="built in: default, contrarian"):
        profiles.load(tmp_path / "missing.yaml")


def test_shorthands_and_settings_override_single_answers_of_a_profile():
    settings = mock_of(create_app(profile="contrarian", intervention_match="all",
                                  settings={"page_cap": "none"})).settings
    assert settings.intervention_match == "all" and settings.page_cap == "none"
    assert settings.start_index == "pages"


def test_put_profile_replaces_every_answer_until_reset_and_a_bad_one_changes_nothing():
    app = create_app(settings={"nulls_order": "last"})
    client = ApiClient(app, view="documented")
    before = client.control("GET", "/profile").get_json()
    assert before["differs_from_default"] == {"nulls_order": "last"}
    refused = client.control("PUT", "/profile", json={"answers": {"page_cap": "7"}})
    assert refused.status_code == 400 and "page_cap" in refused.get_json()["error"]
    assert client.control("GET", "/profile").get_json() == before
    answered = client.control("PUT", "/profile", json={"answers": {"delete_body": "empty_object"}})
    assert answered.status_code == 200
    assert mock_of(app).settings.differs() == {"delete_body": "empty_object"}  # nulls_order back
    assert client.delete(calendar_path(2)).get_json() == {}
    assert client.control("PUT", "/profile?builtin=contrarian").get_json() == dict(
        profiles.builtin("contrarian").answers)
    assert client.control("PUT", "/profile").status_code == 400
    client.control("POST", "/reset")
    assert mock_of(app).settings.differs() == {"nulls_order": "last"}


@pytest.mark.http
def test_serve_takes_a_profile_and_refuses_a_bad_one(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text("answers:\n  page_cap: '5'\n", encoding="utf-8")
    with serving("--profile", str(path), "--deleted-calendars", "hidden") as process:
        banner = read_banner(process)
        base_url = banner.split("listening on ")[1].split()[0]
        answers = requests.get(base_url + "/_mock/profile", timeout=10).json()["differs_from_default"]
        assert answers == {"page_cap": "5", "deleted_calendars": "hidden"}
        listed = requests.get(base_url + calendars_path(), params={"apikey": "demo-apikey-4f1c2b"},
                              auth=("pro@demo.test", "demo-password"), timeout=10).json()
        assert listed["recordsReturned"] == 5
    path.write_text("answers:\n  page_cap: '7'\n", encoding="utf-8")
    run = subprocess.run([*cli(), "serve", "--port", "0", "--profile", str(path)],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2 and "question 'page_cap' has no answer '7'" in run.stderr


def test_the_pytest_plugin_takes_a_profile_from_ini_or_option(pytester):
    pytester.makefile(".yaml", staging="answers:\n  delete_body: empty_object\n")
    pytester.makeini("[pytest]\ncalendar_mock_profile = staging.yaml\n")
    pytester.makepyfile(test_profiled="""
        def test_app(calendar_mock_app):
            client = calendar_mock_app.app.test_client()
            answer = client.delete("/api/v1/groups/4/calendars/2?apikey=demo-apikey-4f1c2b",
                                   headers={"Authorization": "Basic cHJvQGRlbW8udGVzdDpkZW1vLXBhc3N3b3Jk"})
            assert answer.get_json() == {}

        def test_server_and_configure(calendar_mock):
            assert calendar_mock.profile()["delete_body"] == "empty_object"
            calendar_mock.configure(profile="contrarian")
            assert calendar_mock.profile()["page_cap"] == "5"

        def test_reset_between_tests(calendar_mock):
            assert calendar_mock.profile()["page_cap"] == "none"
    """)
    assert pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider").ret == 0
    # The command-line option wins over the ini file: under contrarian, pages are capped at 5.
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--calendar-mock-profile",
                                           "contrarian", "-k", "reset")
    result.assert_outcomes(failed=1)
