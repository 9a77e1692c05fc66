"""`calendar-contract diff`: one seeded scenario against two deployments. Mocks that answer
alike show no difference; a mock that answers an open question the other way shows
differences, each named after that question and no other."""

from __future__ import annotations

import copy
import json
import re
import socket

import pytest
from calendar_spec.profiles import questions
from going_away import served_until
from spec_validation import DEMO

from contract_tests.cli import main
from contract_tests.diff import DiffOptions, SideOptions, build_scenario, run_diff
from contract_tests.diff.questions import EXPLAINS, check_table
from contract_tests.diff.report import as_json
from contract_tests.diff.scenario import DECK
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

DEMO_CREDENTIALS = ["--apikey", "demo-apikey-4f1c2b", "--user", "pro@demo.test",
                    "--password", "demo-password", "--group-id", "4"]
DEMO_OPTIONS = {"apikey": "demo-apikey-4f1c2b", "user": "pro@demo.test", "password": "demo-password",
                "group_id": 4}
# What the scenario cannot show, and why:
BLIND = {
    "session_cookie": "it sends no login",
    "login_without_credentials": "it sends no login",
    "noop_updated_at": "it compares timestamps only by their format",
    "intervention_match": "none of its own calendars offers an intervention",
    "dir_without_sort": "it sends dir only with sort",
    "default_order": "its calendars' sort values rise with the order they are created in, as ids do",
    "search_fields": "it searches for its prefix, which is in its calendars' names and never only in "
                     "a publicname",
    "omitted_sort": "every create sends sort (an omitted one depends on the group's calendars)",
    "put_deleted_true": "it soft-deletes by DELETE; its one PUT of deleted 1 is refused as a non-boolean",
    "read_only_keys": "no body of it holds id, created_at or updated_at",
    "deleted_interventions": "it compares only calendars of its own, and it can make no intervention",
}
SHOWN = sorted(set(questions()) - set(BLIND))


def _diff(b: SideOptions, seed: int = 1, a: SideOptions | None = None, steps: int = 40):
    return run_diff(DiffOptions(a or SideOptions(), b, seed=seed, steps=steps))


def _other(question: str) -> str:
    known = questions()[question]
    return next(answer for answer in known["answers"] if answer != known["default"])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_mock_against_itself_differs_in_nothing(seed):
    result = _diff(SideOptions(), seed)
    assert result.passed and result.differences == 0, as_json(result)
    assert len(result.steps) == 40


def test_other_data_other_ids_and_another_group_differ_in_nothing():
    """Ids, timestamps, names, groups and data the run did not create are not compared."""
    seed = copy.deepcopy(DEMO)
    seed["calendars"].append({**seed["calendars"][0], "id": 700, "name": "Dr Extra", "sort": 9000})
    other_group = SideOptions(app=create_app(seed), apikey="demo-apikey-4f1c2b", user="pro5@demo.test",
                              password="other-password", group_id=5)
    result = _diff(other_group, seed=4)
    assert result.passed, as_json(result)
    first_put = next(step for step in result.steps if step.step.method == "PUT" and step.step.target)
    assert "/groups/4/calendars/1" in first_put.curls[0] and "/groups/5/calendars/70" in first_put.curls[1]
    assert any("groups differ (A 4, B 5)" in note for note in result.notes)


def test_the_contrarian_mock_differs_and_every_difference_names_its_question():
    result = _diff(SideOptions(profile="contrarian"))
    named = set(result.questions())
    assert not result.passed
    assert {"group_id_mismatch", "error_body", "deleted_output", "extra_fields", "page_cap", "blank_name",
            "unknown_calendarset", "error_precedence", "top_level_keys", "deleted_input", "string_integers",
            "allow_header", "deleted_calendars", "equals_case", "like_case", "delete_body",
            "omitted_texts", "unknown_calendar_keys"} <= named
    unexplained = [f.as_dict() for step in result.steps for f in step.findings if not f.questions]
    assert not unexplained
    statuses = {s.step.kind: s.statuses for s in result.steps if s.step.kind == "group_mismatch"}
    assert statuses == {"group_mismatch": (403, 400)}


@pytest.mark.parametrize("question", SHOWN)
def test_one_question_answered_the_other_way_is_the_only_one_named(question):
    result = _diff(SideOptions(profile={"answers": {question: _other(question)}}), seed=2)
    assert not result.passed
    assert set(result.questions()) == {question}, as_json(result)["questions"]
    assert result.unexplained() == 0


def test_deleted_as_0_1_shows_on_every_calendar_answer():
    result = _diff(SideOptions(profile={"answers": {"deleted_output": "integer"}}), seed=5)
    findings = [f for step in result.steps for f in step.findings]
    assert findings and all(f.questions == ["deleted_output"] for f in findings)
    assert {(f.diff.a, f.diff.b) for f in findings} <= {(False, 0), (True, 1)}


@pytest.mark.parametrize("question", sorted(BLIND))
def test_what_the_scenario_cannot_show(question):
    assert _diff(SideOptions(profile={"answers": {question: _other(question)}}), seed=2).passed


def test_the_same_seed_is_the_same_scenario_and_another_seed_another():
    assert build_scenario(7) == build_scenario(7)
    assert build_scenario(7) != build_scenario(8)
    assert build_scenario(7, 12) == build_scenario(7)[:12]
    first, second = (as_json(_diff(SideOptions(), seed=7, steps=15)) for _ in range(2))
    assert [s["request"] for s in first["steps"]] == [s["request"] for s in second["steps"]]
    assert first["prefixes"] != second["prefixes"], "each run names its calendars afresh"


@pytest.mark.parametrize("seed", range(10))
def test_forty_steps_send_every_kind_of_step(seed):
    assert set(DECK) | {"create"} <= {step.kind for step in build_scenario(seed)}


def test_the_run_touches_only_its_own_calendars_and_soft_deletes_them():
    app = create_app()
    before = {c["id"]: c for c in DEMO["calendars"] if c["group_id"] == 4}
    result = _diff(SideOptions(), seed=3, a=SideOptions(app=app, **DEMO_OPTIONS))
    listed = app.test_client().get("/api/v1/groups/4/calendars", query_string={
        "apikey": "demo-apikey-4f1c2b", "results": "all"}, auth=("pro@demo.test", "demo-password")).get_json()
    by_id = {record["id"]: record for record in listed["records"]}
    assert {cid: by_id[cid] for cid in before} == before
    created = {cid: record for cid, record in by_id.items() if cid not in before}
    assert created and all(record["deleted"] is True for record in created.values())
    prefix = result.prefixes[0]
    assert all(record["name"].startswith(prefix) or record["publicname"].startswith(prefix)
               for record in created.values())


def test_every_question_the_table_names_is_in_the_spec():
    check_table()
    assert {question for question, _ in EXPLAINS} <= set(questions())
    with pytest.raises(ValueError, match="no_such_question"):
        check_table((("no_such_question", lambda seen: True),))


# -- the CLI, over real HTTP ----------------------------------------------------------------------
def test_cli_over_http_same_mock_exits_0_and_writes_the_json_report(tmp_path, capsys):
    report = tmp_path / "diff.json"
    with serve_in_thread(create_app()) as server:
        # A is in-process with the demo credentials given; B, a base URL, takes A's.
        code = main(["diff", "--against", server.base_url, *DEMO_CREDENTIALS, "--seed", "3",
                     "--steps", "25", "--report-json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "result: no differences: 0 of 25 steps differ" in out
    document = json.loads(report.read_text())
    assert document["passed"] is True and document["b"] == server.base_url
    assert len(document["steps"]) == 25 and "[Filtered]" in document["steps"][0]["curl"]["b"]


def test_cli_reads_a_deployments_credentials_from_the_environment(monkeypatch, capsys):
    """As `run` does: kept off the command line (`ps` shows it on a shared CI runner). A is the
    kit's mock (the demo credentials), B a deployment whose credentials only the environment holds."""
    monkeypatch.setenv("CLICRDV_APIKEY", DEMO_OPTIONS["apikey"])
    monkeypatch.setenv("CLICRDV_USER", DEMO_OPTIONS["user"])
    monkeypatch.setenv("CLICRDV_PASSWORD", DEMO_OPTIONS["password"])
    with serve_in_thread(create_app()) as server:
        code = main(["diff", "--against", server.base_url, "--against-group-id", "4", "--seed", "3",
                     "--steps", "12"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert DEMO_OPTIONS["password"] not in out


def test_cli_over_http_contrarian_exits_1_naming_the_questions(tmp_path, capsys):
    report = tmp_path / "diff.json"
    with serve_in_thread(create_app(profile="contrarian")) as server:
        code = main(["diff", "--base-url", server.base_url, *DEMO_CREDENTIALS, "--against-profile", "default",
                     "--seed", "1", "--report-json", str(report)])
    out = capsys.readouterr().out
    assert code == 1
    assert "status: A 400 | B 403  [group_id_mismatch]" in out
    document = json.loads(report.read_text())
    assert document["unexplained"] == 0
    assert {"group_id_mismatch", "error_body", "deleted_output"} <= set(document["questions"])


def test_cli_in_process_exit_codes(capsys):
    assert main(["diff", "--seed", "1", "--steps", "10"]) == 0
    assert main(["diff", "--seed", "1", "--steps", "10", "--against-profile", "contrarian"]) == 1
    assert "[deleted_output]" in capsys.readouterr().out


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("argv", [
    ["--base-url", "http://127.0.0.1:{port}", *DEMO_CREDENTIALS],
    ["--against", "http://127.0.0.1:{port}", *DEMO_CREDENTIALS],
    ["--base-url", "http://127.0.0.1:{port}"],  # a deployment needs credentials
    ["--against-profile", "no-such-profile.yaml"],
    ["--profile", "contrarian", "--base-url", "http://127.0.0.1:{port}", *DEMO_CREDENTIALS],
    ["--against-password", "wrong"],  # credentials refused by the in-process mock
    ["--steps", "0"],
    ["--steps", "many"],
])
def test_cli_usage_errors_and_unreachable_servers_exit_2(argv, capsys):
    port = _closed_port()
    assert main(["diff", *[arg.format(port=port) for arg in argv]]) == 2
    assert "calendar-contract" in capsys.readouterr().err


def test_a_server_that_stops_answering_mid_diff_still_gets_the_steps_compared_so_far(tmp_path, capsys):
    """Half an hour of steps should not come to one stderr line: what was compared before the
    server went away is printed and written, with no verdict (exit 2)."""
    report = tmp_path / "diff.json"
    with served_until(create_app(), 12) as server:
        code = main(["diff", "--against", server.base_url, *DEMO_CREDENTIALS, "--seed", "3",
                     "--steps", "25", "--report-json", str(report)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "a server stopped answering" in err
    assert "result: STOPPED, NO VERDICT" in out and "clean-up B skipped" in out
    assert re.search(r"stopped after \d+ steps: a server stopped answering", out)
    document = json.loads(report.read_text())
    assert document["passed"] is False and "stopped answering" in document["stopped"]
    assert 5 <= len(document["steps"]) < 25
    assert DEMO_CREDENTIALS[1] not in out + err + report.read_text()  # the apikey
