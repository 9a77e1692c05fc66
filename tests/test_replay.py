"""`calendar-contract replay`: a recording of real traffic resent to a deployment. Recorded on a
mock of a clinic, read back by seed-from-har and replayed against a mock of that seed, nothing
differs; a mock answering the open questions otherwise differs, every difference named."""

from __future__ import annotations

import base64
import json
import re
import shlex
import socket
from pathlib import Path
from typing import Any

import pytest
from calendar_spec.profiles import questions
from going_away import served_until
from har_recording import HarRecorder, browser_noise, recording_api
from recorded_sessions import APIKEY, IDENTITY, PASSWORD, clinic_seed, record_session, recorded_clinic

from contract_tests.cli import main
from contract_tests.diff import SideOptions
from contract_tests.replay import ReplayOptions, run_replay
from contract_tests.replay.report import as_json
from mock_server import create_app
from mock_server.recorded import PLACEHOLDER_APIKEY, PLACEHOLDER_PASSWORD
from mock_server.serve.cli import main as mock_main
from mock_server.serve.waitress_server import serve_in_thread

SEEDED = ["--apikey", PLACEHOLDER_APIKEY, "--user", IDENTITY.user, "--password", PLACEHOLDER_PASSWORD,
          "--group-id", "7"]


def _seed_file(har: Path, tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "seed.json"
    assert mock_main(["seed-from-har", str(har), "--out", str(out), "--state", "before", *options]) == 0
    return out


def _state(app: Any, apikey: str, user: str, password: str, group: int) -> dict[int, dict[str, Any]]:
    answer = app.test_client().get(f"/api/v1/groups/{group}/calendars",
                                   query_string={"apikey": apikey, "results": "all"}, auth=(user, password))
    return {record["id"]: record for record in answer.get_json()["records"]}


def _journal(app: Any) -> list[dict[str, Any]]:
    return app.test_client().get("/_mock/requests").get_json()["requests"]


def test_record_seed_replay_round_trip_differs_in_nothing(tmp_path, capsys):
    har, _, _ = recorded_clinic(tmp_path)
    seed = _seed_file(har, tmp_path)
    capsys.readouterr()
    assert main(["replay", str(har), "--fixtures", str(seed)]) == 0
    out = capsys.readouterr().out
    assert "result: no differences: 0 of 19 requests differ, 0 difference(s)" in out
    assert "clean-up target: the 2 calendar(s) this run created are soft-deleted" in out


@pytest.mark.http
def test_over_http_the_replay_writes_only_what_it_creates_and_soft_deletes_it(tmp_path, capsys):
    har, _, _ = recorded_clinic(tmp_path)
    seed = json.loads(_seed_file(har, tmp_path).read_text())
    target = create_app(seed)
    credentials = (PLACEHOLDER_APIKEY, IDENTITY.user, PLACEHOLDER_PASSWORD, 7)
    before = _state(target, *credentials)
    report = tmp_path / "replay.json"
    with serve_in_thread(target) as server:
        code = main(["replay", str(har), "--base-url", server.base_url, *SEEDED,
                     "--report-json", str(report)])
    assert code == 0, capsys.readouterr().out
    after = _state(target, *credentials)
    created = {cid: record for cid, record in after.items() if cid not in before}
    assert {cid: after[cid] for cid in before} == before
    assert sorted(created) == [106, 107] and all(record["deleted"] for record in created.values())
    document = json.loads(report.read_text())
    assert document["passed"] and len(document["requests"]) == 19
    assert "/groups/7/calendars/106" in document["requests"][8]["curl"]  # the recording's 202


def test_a_contrarian_mock_differs_and_every_difference_names_its_question(tmp_path):
    har, _, _ = recorded_clinic(tmp_path)
    result = run_replay(ReplayOptions(str(har), SideOptions(profile="contrarian"),
                                      fixtures=str(_seed_file(har, tmp_path))))
    assert not result.passed and result.unexplained() == 0, as_json(result)
    assert {"omitted_sort", "omitted_texts", "extra_fields", "deleted_output", "deleted_calendars",
            "page_cap", "delete_body", "error_body"} <= set(result.questions())
    created = next(step for step in result.steps if step.step.kind == "create")
    assert [(f.diff.path, f.questions) for f in created.findings if f.diff.path == "$.sort"] == [
        ("$.sort", ["omitted_sort"])]
    later = [f for step in result.steps[created.step.index:] for f in step.findings
             if f.diff.path.endswith("sort")]
    assert later and all(f.questions == ["omitted_sort"] for f in later), "named after the create they follow"


# The open questions the recorded session shows when a deployment answers them otherwise.
SHOWN = {"page_cap", "error_body", "extra_fields", "omitted_sort", "omitted_texts", "delete_body",
         "deleted_calendars", "deleted_output"}


@pytest.fixture(scope="module")
def clinic_recording(tmp_path_factory: Any) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("clinic")
    har, _, _ = recorded_clinic(tmp)
    return har, _seed_file(har, tmp)


@pytest.mark.parametrize("question", sorted(questions()))
def test_one_question_answered_the_other_way_is_the_only_one_named(clinic_recording, question):
    har, seed = clinic_recording
    known = questions()[question]
    other = next(answer for answer in known["answers"] if answer != known["default"])
    result = run_replay(ReplayOptions(str(har), SideOptions(profile={"answers": {question: other}}),
                                      fixtures=str(seed)))
    assert set(result.questions()) <= {question} and result.unexplained() == 0, as_json(result)
    assert result.passed == (question not in SHOWN)


def test_cli_against_a_contrarian_mock_exits_1_naming_questions(tmp_path, capsys):
    har, _, _ = recorded_clinic(tmp_path)
    seed = _seed_file(har, tmp_path)
    capsys.readouterr()
    assert main(["replay", str(har), "--fixtures", str(seed), "--profile", "contrarian"]) == 1
    out = capsys.readouterr().out
    assert "value $.deleted: recorded false | target 0  [deleted_output]" in out
    assert "differences no open question explains: 0" in out


def test_a_deployment_that_answers_otherwise_replays_alike_against_the_mock_under_its_profile(tmp_path):
    """Recorded where every open question is answered the other way (`deleted` as 0/1, extra
    fields holding ids, `{}` for a delete, deleted calendars hidden): its seed holds what it
    showed, the mock under its profile answers as recorded, the default mock differs by question."""
    recorder = HarRecorder(create_app(clinic_seed(), profile="contrarian"))
    record_session(recorder)
    har = recorder.write(tmp_path / "contrarian.har")
    seed = _seed_file(har, tmp_path)
    assert [c["id"] for c in json.loads(seed.read_text())["calendars"]] == [101, 102, 103, 105]
    alike = run_replay(ReplayOptions(str(har), SideOptions(profile="contrarian"), fixtures=str(seed)))
    assert alike.passed, as_json(alike)
    other = run_replay(ReplayOptions(str(har), SideOptions(), fixtures=str(seed)))
    assert not other.passed and other.unexplained() == 0, as_json(other)


def test_ids_group_and_user_are_the_targets_own(tmp_path, capsys):
    """Recorded by the clinic (group 7, new ids from 202), replayed against the demo mock as its
    demo user (group 4, new ids from 13): a session on its own calendars differs in nothing."""
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    made = api.create({"name": "Replay essai", "sort": 7, "city": "Lyon", "group_id": 7}).json()["id"]
    api.update(made, {"publicname": "Essai"})
    cookie = api.login().session_cookie()
    api.show(made, auth=None, cookie=cookie)
    api.list([("search", "Replay essai")])
    api.list([("conditions[0][field]", "id"), ("conditions[0][op]", "in"),
              ("conditions[0][value]", str(made))])
    api.delete(made)
    target = create_app()
    result = run_replay(ReplayOptions(str(recorder.write(tmp_path / "own.har")), SideOptions(
        app=target, apikey="demo-apikey-4f1c2b", user="pro@demo.test", password="demo-password", group_id=4)))
    assert made == 202 and result.passed, as_json(result)
    paths = [entry["path"] for entry in _journal(target)]
    assert "/api/v1/groups/4/calendars/13" in paths
    assert not any("/202" in path or "/groups/7" in path for path in paths)
    assert "group 7 of the recording is group 4 on the target" in result.notes


def test_the_kits_own_mock_gets_the_writes_to_calendars_the_recording_did_not_create(tmp_path):
    # --fixtures makes a mock that lives for this replay alone: skipping the PUT would only make
    # the read after it differ (city Rezé recorded, Nantes on the target) for no reason.
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.update(103, {"city": "Rezé"})
    api.show(103)
    har = recorder.write(tmp_path / "writes.har")
    seed = tmp_path / "clinic.json"
    seed.write_text(json.dumps(clinic_seed()), encoding="utf-8")
    result = run_replay(ReplayOptions(str(har), SideOptions(password=PASSWORD), fixtures=str(seed)))
    assert result.skipped == [] and len(result.steps) == 2
    assert result.passed, as_json(result)


def test_writes_to_calendars_the_recording_did_not_create_are_skipped_unless_allowed(tmp_path):
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.update(103, {"city": "Rezé"})
    api.show(103)
    har = recorder.write(tmp_path / "writes.har")

    def replay(allow: bool) -> Any:
        target = create_app(clinic_seed())  # 103 still in Nantes
        options = SideOptions(app=target, apikey=APIKEY, user=IDENTITY.user, password=PASSWORD, group_id=7)
        result = run_replay(ReplayOptions(str(har), options, allow_writes_to_existing=allow))
        return result, _state(target, APIKEY, IDENTITY.user, PASSWORD, 7)[103]

    skipped, untouched = replay(allow=False)
    assert untouched["city"] == "Nantes" and len(skipped.steps) == 1
    assert [why for _, why in skipped.skipped] == [
        "calendar 103 was not created by the recording (--allow-writes-to-existing sends it)"]
    findings = [(f.diff.path, f.diff.a, f.diff.b) for f in skipped.steps[0].findings]
    assert findings == [("$.city", "Rezé", "Nantes")]
    allowed, written = replay(allow=True)
    assert written["city"] == "Rezé" and allowed.passed and not allowed.skipped


def test_a_browser_recording_is_replayed_for_its_api_calls_only(tmp_path):
    recorder = HarRecorder(create_app(clinic_seed()))
    record_session(recorder)
    har = recorder.write(tmp_path / "browser.har", browser_noise())
    target = create_app(json.loads(_seed_file(har, tmp_path).read_text()))
    result = run_replay(ReplayOptions(str(har), SideOptions(app=target, apikey=PLACEHOLDER_APIKEY,
                                                            user=IDENTITY.user, password=PLACEHOLDER_PASSWORD,
                                                            group_id=7)))
    assert result.passed and len(result.steps) == 19
    sent = _journal(target)
    assert all(entry["path"].startswith("/api/v1/") for entry in sent)
    assert not any(entry["method"] == "OPTIONS" for entry in sent)


def test_secrets_never_appear_in_the_output_or_the_report(tmp_path, capsys):
    """A Postman export keeps the recorded secrets in clear; the target's are given on the
    command line: none of them is printed or written."""
    har, _, _ = recorded_clinic(tmp_path)
    seed = _seed_file(har, tmp_path, "--password", "target-only-secret")
    document = json.loads(har.read_text())
    clear = base64.b64encode(f"{IDENTITY.user}:{PASSWORD}".encode()).decode()
    for entry in document["log"]["entries"]:
        entry["request"]["url"] = entry["request"]["url"].replace("apikey=%2A%2A%2A", f"apikey={APIKEY}")
        for header in entry["request"]["headers"]:
            header["value"] = f"Basic {clear}" if header["name"] == "Authorization" else header["value"]
    har.write_text(json.dumps(document))
    report = tmp_path / "replay.json"
    capsys.readouterr()
    code = main(["replay", str(har), "--fixtures", str(seed), "--password", "target-only-secret",
                 "--report-json", str(report)])
    printed = capsys.readouterr()
    written = printed.out + printed.err + report.read_text()
    assert code == 0, printed.out
    for secret in (APIKEY, PASSWORD, clear, "target-only-secret", PLACEHOLDER_APIKEY):
        assert secret not in written, secret
    assert "[Filtered]" in written


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(("argv", "message"), [
    (["--base-url", "http://127.0.0.1:{port}", *SEEDED], "the target is unreachable"),
    (["--base-url", "http://127.0.0.1:{port}"], "missing --apikey, --user, --password, --group-id"),
    (["--fixtures", "{seed}", "--base-url", "http://127.0.0.1:{port}", *SEEDED],
     "give it without --base-url"),
    (["--fixtures", "{seed}", "--password", "wrong"], "refused a first list of group 7"),
    (["--profile", "no-such-profile.yaml"], "no-such-profile.yaml"),
    (["--fixtures", "{missing}"], "cannot load the seed data"),
])
def test_usage_errors_refused_credentials_and_unreachable_targets_exit_2(tmp_path, capsys, argv, message):
    har, _, _ = recorded_clinic(tmp_path)
    values = {"port": _closed_port(), "seed": _seed_file(har, tmp_path), "missing": tmp_path / "none.json"}
    capsys.readouterr()
    assert main(["replay", str(har), *[arg.format(**values) for arg in argv]]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    ("{", "not JSON, so not a HAR file"),
    ('{"log": {"entries": [{"request": {"method": "GET"}, "response": {"status": 200}}]}}',
     "log.entries[0].request: the field 'url' is missing (HAR 1.2)"),
    ('{"log": {"entries": []}}', "no Calendar API call to replay"),
])
def test_a_file_that_is_not_har_exits_2(tmp_path, capsys, content, message):
    har = tmp_path / "bad.har"
    har.write_text(content)
    assert main(["replay", str(har)]) == 2
    error = capsys.readouterr().err
    assert message in error and str(har) in error


def test_the_readme_commands_do_what_they_say(tmp_path, capsys, monkeypatch):
    """The first sh block of the README's part on recorded traffic, run as written on a recorded
    session; `# exit N` says the exit status each command must have (0 when silent)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    part = readme.split("### Recorded traffic → seed data → replay", 1)[1]
    block = re.search(r"```sh\n(.*?)```", part, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 4
    har, _, _ = recorded_clinic(tmp_path)
    har.rename(tmp_path / "session.har")
    monkeypatch.chdir(tmp_path)
    programs = {"calendar-mock": mock_main, "calendar-contract": main}
    for line in commands:
        command, _, comment = line.partition("#")
        expected = re.search(r"exit (\d)", comment)
        program, *argv = shlex.split(command)
        assert programs[program](argv) == (int(expected.group(1)) if expected else 0), line
    out = capsys.readouterr().out
    assert "calendars: 7 (1 soft-deleted), as last seen" in out
    assert "result: no differences: 0 of 19 requests differ" in out
    assert "differences no open question explains: 0" in out


def test_a_target_that_stops_answering_mid_replay_still_gets_the_requests_compared_so_far(tmp_path, capsys):
    """The requests replayed before the target went away are reported (text and JSON), with no
    verdict (exit 2) and the recording's secrets still masked."""
    har, _, _ = recorded_clinic(tmp_path)
    target = create_app(json.loads(_seed_file(har, tmp_path).read_text()))
    report = tmp_path / "replay.json"
    capsys.readouterr()
    with served_until(target, 12) as server:
        code = main(["replay", str(har), "--base-url", server.base_url, *SEEDED,
                     "--report-json", str(report)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "the target stopped answering" in err
    assert "result: STOPPED, NO VERDICT" in out
    assert re.search(r"stopped after \d+ requests: the target stopped", out)
    assert "clean-up skipped" in out
    document = json.loads(report.read_text())
    assert document["passed"] is False and "stopped answering" in document["stopped"]
    assert 3 <= len(document["requests"]) < 19
    assert PLACEHOLDER_APIKEY not in out + err + report.read_text()
