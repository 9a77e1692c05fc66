"""`calendar-contract calibrate` learns the profile a deployment answers with: run against the
real mock answering as a known profile, it must say exactly that profile - and no more than it
saw (read-only, inconsistent or odd answers are unknown, with the reason)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from calendar_fixtures import load_fixtures
from calendar_spec import profiles
from going_away import served_until
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import cli
from contract_tests.calibrate import PROBES, CalibrateOptions, calibrate
from contract_tests.calibrate.registry import READ_ONLY_REASON
from contract_tests.model import DEMO
from mock_server import create_app, mock_of
from mock_server.errors import NotFound
from mock_server.serve.waitress_server import serve_in_thread

README = Path(__file__).resolve().parents[1] / "README.md"
README_SECTION = "### Calibrate: the profile a deployment answers with"
CREDENTIALS = {key: DEMO[key] for key in ("apikey", "user", "password", "group_id")}
WRITES = ("POST", "PUT", "DELETE", "PATCH")


class TickingClock:
    """A mock clock a second further on every reading: calibrate's wait for updated_at to move
    (`noop_updated_at`) ends at once, without changing what the probe sees."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def run(app: Any, **options: Any):
    return calibrate(CalibrateOptions(app=app, **CREDENTIALS, **options))


def test_every_open_question_has_exactly_one_probe():
    assert set(PROBES) == set(profiles.questions())


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_calibrate_recovers_any_profile_of_the_mock(seed):
    profile = profiles.random_profile(random.Random(seed))
    result = run(create_app(profile=profile, clock=TickingClock()))
    assert result.unknown == {}
    assert result.answers == profile.complete()


@pytest.mark.parametrize("name", profiles.BUILTIN)
def test_calibrate_recovers_the_builtin_profiles_and_touches_only_its_own_calendars(name):
    app = create_app(profile=name)
    result = run(app)
    assert (result.answers, result.unknown) == (profiles.builtin(name).complete(), {})
    assert set(result.differences()) == {q for q, a in result.answers.items()
                                         if a != profiles.questions()[q]["default"]}
    store = mock_of(app).store
    seeded = {calendar["id"]: calendar for calendar in load_fixtures()["calendars"]}
    assert all(store.get_calendar(c["group_id"], cid) == c for cid, c in seeded.items())
    made = []
    with contextlib.suppress(NotFound):  # ids are handed out in order, after the seed's
        for calendar_id in itertools.count(max(seeded) + 1):
            made.append(store.get_calendar(4, calendar_id))
    assert len(made) > 20
    assert all(re.match(r"contract-kit-\d{14}-[0-9a-f]{4}-calibrate-", c["name"]) and c["deleted"] is True
               for c in made)


def test_repeated_calibrations_reuse_the_kits_calendars_within_the_bound():
    """Calibrate in CI (`--level profile`, nightly) must not add calendars run after run: with a
    bound, each run reuses what the earlier ones let go of, creates only for the probes that
    judge a create's own answer, and stops there - those questions unknown, saying why."""
    app = create_app(clock=TickingClock())
    seeded = {calendar["id"] for calendar in load_fixtures()["calendars"]}
    store = mock_of(app).store
    bound, counts, results = 20, [], []
    for _ in range(4):
        results.append(run(app, max_own_calendars=bound))
        ours = [c for c in store.dump()["calendars"] if c["id"] not in seeded]
        counts.append(len(ours))
        assert all(c["name"].startswith("contract-kit-free-") and c["deleted"] is True for c in ours)
    assert counts[-1] <= bound and counts[-1] == counts[-2], counts
    first, last = results[0], results[-1]
    assert first.unknown == {} and first.answers == profiles.builtin("default").complete()
    # once the bound is reached, only the questions whose probes must create go unknown
    assert set(last.unknown) and all("--max-own-calendars 20" in why for why in last.unknown.values())
    assert set(last.unknown) <= {"omitted_sort", "omitted_texts", "group_id_mismatch",
                                 "unknown_calendarset", "top_level_keys", "unknown_calendar_keys",
                                 "string_integers", "error_precedence"}, last.unknown
    assert {q: a for q, a in last.answers.items()} == {
        q: a for q, a in first.answers.items() if q not in last.unknown}


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_calibrated_profile_makes_the_mock_answer_the_same(tmp_path, suffix):
    profile = profiles.random_profile(random.Random(f"round trip {suffix}"))
    first = run(create_app(profile=profile, clock=TickingClock()))
    path = first.write(tmp_path / f"staging{suffix}")
    loaded = profiles.load(path)
    assert (loaded.answers, loaded.name) == (profile.complete(), first.name)
    again = run(create_app(profile=path, clock=TickingClock()))
    assert (again.answers, again.unknown) == (first.answers, {})


def test_an_inconsistent_answer_is_unknown_never_guessed():
    """Two backends behind one balancer: every other request goes to the one without Allow."""
    app = create_app()
    turns = itertools.cycle(["sent", "omitted"])

    def balancer(environ, start_response):
        mock_of(app).configure(allow_header=next(turns))
        return app(environ, start_response)

    result = run(balancer)
    assert set(result.unknown) == {"allow_header"}
    assert result.unknown["allow_header"].startswith("inconsistent: ")
    assert "(sent)" in result.unknown["allow_header"] and "(omitted)" in result.unknown["allow_header"]
    defaults = profiles.builtin("default").complete()
    assert result.answers == {q: a for q, a in defaults.items() if q != "allow_header"}
    assert "allow_header" not in profiles.load(result.document()).answers


def test_an_answer_that_fits_no_answer_is_unknown_with_what_was_seen():
    """A deployment whose login path breaks on GET: a 500 says nothing about Allow headers."""
    app = create_app(profile="contrarian")

    def broken_login(environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].startswith("/api/v1/sessions/login"):
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"error": "boom"}']
        return app(environ, start_response)

    result = run(broken_login)
    assert list(result.unknown) == ["allow_header"]
    assert "fits none of sent, omitted" in result.unknown["allow_header"]
    assert "answered 500" in result.unknown["allow_header"]


def test_read_only_sends_no_write_and_leaves_write_only_questions_unknown():
    app = create_app(profile="contrarian")
    result = run(app, read_only=True)
    sent = mock_of(app).journal.entries({})
    assert sent and not [e for e in sent if e["method"] in WRITES and "/calendars" in e["path"]]
    assert {e["path"] for e in sent if e["method"] in WRITES} <= {"/api/v1/sessions/login",
                                                                  "/api/v1/sessions/login.json"}
    write_only = {question for question, probe in PROBES.items() if probe.writes}
    assert write_only and result.unknown == dict.fromkeys(write_only, READ_ONLY_REASON)
    contrarian = profiles.builtin("contrarian").answers
    assert result.answers == {q: a for q, a in contrarian.items() if q not in write_only}


@pytest.mark.http
def test_calibrate_over_http_writes_a_profile_and_a_report_with_secrets_masked(tmp_path, capsys):
    out, report = tmp_path / "staging.yaml", tmp_path / "report.md"
    with serve_in_thread(create_app(profile="contrarian")) as server:
        code = cli.main(["calibrate", "--base-url", server.base_url, "--apikey", DEMO["apikey"],
                         "--user", DEMO["user"], "--password", DEMO["password"], "--group-id", "4",
                         "--out", str(out), "--report", str(report)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    loaded = profiles.load(out)
    assert loaded.answers == profiles.builtin("contrarian").answers and not loaded.unknown
    text = report.read_text(encoding="utf-8")
    assert text in printed and "| group_id_mismatch | 400 | 403 |" in text
    assert "## Unknown" in text

    saved = out.read_text(encoding="utf-8")
    basic = base64.b64encode(f"{DEMO['user']}:{DEMO['password']}".encode()).decode()
    sha1 = hashlib.sha1(DEMO["password"].encode()).hexdigest()
    for secret in (DEMO["apikey"], DEMO["password"], sha1, basic):
        assert secret not in saved and secret not in printed
    assert not re.search(r"_session_id=(?!\[Filtered\])", saved)
    login = yaml.safe_load(saved)["evidence"]["session_cookie"]["readings"][0]["requests"][0]
    assert login["status"] == 200 and login["request"].startswith(f"curl -X POST '{server.base_url}")
    assert "apikey=%5BFiltered%5D" in login["request"]
    assert "pro%5Bpassword%5D=%5BFiltered%5D" in login["request"]
    post = yaml.safe_load(saved)["evidence"]["error_precedence"]["readings"][0]["requests"][0]["request"]
    assert f"-u '{DEMO['user']}:[Filtered]'" in post


@pytest.mark.http
def test_calibrate_over_http_waits_out_a_busy_deployment(tmp_path, capsys):
    """A 429 stands for no answer: waited out, every question is still settled (13 of 33 were
    left unknown, 429 taken for what the probe saw)."""
    out = tmp_path / "busy.yaml"
    app = create_app(profile="contrarian")
    busy = {"action": "error", "status": 429, "retry_after": 0, "path": "^/api/", "ratio": 0.1, "seed": 4}
    with app.test_client() as client:
        assert client.post("/_mock/faults", json=busy).status_code == 201
    with serve_in_thread(app) as server:
        code = cli.main(["calibrate", "--base-url", server.base_url, "--apikey", DEMO["apikey"],
                         "--user", DEMO["user"], "--password", DEMO["password"], "--group-id", "4",
                         "--out", str(out)])
    assert code == 0, capsys.readouterr().out
    loaded = profiles.load(out)
    assert loaded.answers == profiles.builtin("contrarian").answers and not loaded.unknown


def test_unusable_targets_exit_2(capsys):
    assert cli.main(["calibrate", "--base-url", "http://127.0.0.1:9"]) == 2
    assert cli.main(["calibrate", "--base-url", "http://127.0.0.1:9", "--apikey", "k", "--user", "u",
                     "--password", "p", "--group-id", "4"]) == 2
    assert "unreachable" in capsys.readouterr().err
    assert cli.main(["calibrate", "--password", "wrong"]) == 2
    assert "refuses to list group 4" in capsys.readouterr().err
    assert cli.main(["calibrate", "--profile", "no-such-profile.json"]) == 2


def test_the_readme_example_runs_as_written(tmp_path, capsys, monkeypatch):
    section = README.read_text(encoding="utf-8").split(README_SECTION, 1)[1]
    command = re.search(r"```sh\n(calendar-contract calibrate [^\n]*)\n", section).group(1)
    monkeypatch.chdir(tmp_path)
    assert cli.main(command.split()[1:]) == 0
    printed = capsys.readouterr().out
    table = r"```\n(\| question \| deployment \| mock \| seen \|\n.*?)```"
    excerpt = re.search(table, section, re.S).group(1)
    for line in excerpt.splitlines()[2:]:
        question, deployment, mock = (cell.strip() for cell in line.strip("|").split("|")[:3])
        assert f"| {question} | {deployment} | {mock} |" in printed


@pytest.mark.http
def test_a_deployment_that_stops_answering_part_way_keeps_what_was_settled(tmp_path, capsys):
    """Minutes of probing should not come to one stderr line: the questions settled before the
    deployment went away are reported and written, the rest unknown for that reason (exit 2)."""
    out, report = tmp_path / "partial.yaml", tmp_path / "partial.md"
    with served_until(create_app(profile="contrarian"), 120) as server:
        code = cli.main(["calibrate", "--base-url", server.base_url, "--apikey", DEMO["apikey"],
                         "--user", DEMO["user"], "--password", DEMO["password"], "--group-id", "4",
                         "--out", str(out), "--report", str(report)])
    printed, err = capsys.readouterr()
    assert code == 2
    assert "the deployment stopped answering" in err and "**Stopped early**" in printed
    loaded = profiles.load(out)
    contrarian = profiles.builtin("contrarian").answers
    assert loaded.answers and loaded.unknown
    assert all(contrarian[question] == answer for question, answer in loaded.answers.items())
    assert "not probed: the deployment stopped answering (calibrate again)" in loaded.unknown.values()
    assert report.read_text(encoding="utf-8") in printed
    assert DEMO["apikey"] not in printed + err + out.read_text(encoding="utf-8")
