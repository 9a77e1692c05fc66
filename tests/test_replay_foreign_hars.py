"""`calendar-contract replay` of recordings other tools made, or made otherwise than the kit's
proxy makes them: a browser's sanitized export, a body the recorder cut, a create whose answer
was not kept, two sessions in one file, creates in two groups, a second replay against the same
deployment, a revalidation and a redirect; and of answers the contract judges, not the open
questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from har_recording import HarRecorder, cut_as_the_proxy_cuts, recording_api
from recorded_sessions import APIKEY, IDENTITY, PASSWORD, clinic_seed, recorded_clinic

from contract_tests.diff import SideOptions
from contract_tests.replay import ReplayOptions, run_replay
from contract_tests.replay.report import as_json, text
from mock_server import create_app
from mock_server.proxy.har import MAX_TEXT
from mock_server.serve.cli import main as mock_main


def _seed_file(har: Path, tmp_path: Path) -> Path:
    out = tmp_path / "seed.json"
    assert mock_main(["seed-from-har", str(har), "--out", str(out), "--state", "before"]) == 0
    return out


def _edited(har: Path, edit: Any, name: str) -> Path:
    """A copy of `har` whose document `edit` changed in place."""
    document = json.loads(har.read_text(encoding="utf-8"))
    edit(document)
    out = har.with_name(name)
    out.write_text(json.dumps(document), encoding="utf-8")
    return out


def _sanitized(document: dict[str, Any]) -> None:
    """As Chrome's "Export HAR (sanitized)": no Authorization, no Cookie, no Set-Cookie."""
    for entry in document["log"]["entries"]:
        for side in (entry["request"], entry["response"]):
            side["headers"] = [h for h in side["headers"]
                               if h["name"].lower() not in ("authorization", "cookie", "set-cookie")]
            side["cookies"] = []


def _clinic_target() -> SideOptions:
    return SideOptions(app=create_app(clinic_seed()), apikey=APIKEY, user=IDENTITY.user, password=PASSWORD,
                       group_id=7)


# -- D1: a sanitized export --------------------------------------------------------------------------
def test_a_sanitized_export_is_replayed_with_the_targets_basic_credentials(tmp_path):
    """Every call the API answered was sent with credentials, though the export shows none: it
    goes with the target's Basic user; the call refused with 401 still goes without (refused
    for that, not for the wrong password it had: another error body)."""
    har, _, _ = recorded_clinic(tmp_path)
    sanitized = _edited(har, _sanitized, "sanitized.har")
    result = run_replay(ReplayOptions(str(sanitized), SideOptions(), fixtures=str(_seed_file(har, tmp_path))))
    assert result.unexplained() == 0 and set(result.questions()) == {"error_body"}, as_json(result)
    refused = next(step for step in result.steps if step.call is not None and step.call.status == 401)
    assert refused.statuses == (401, 401) and IDENTITY.user not in refused.curls[1]
    answered = [step for step in result.steps if step.call is not None and step.call.ok
                and step.call.operation != "login"]
    assert answered and all(f"{IDENTITY.user}:" in step.curls[1] for step in answered)
    assert any("its recorder dropped them" in note for note in result.notes)


def test_a_recording_without_credentials_on_any_answered_call_keeps_them_out(tmp_path):
    """Only a call the API answered proves the recorder dropped credentials: a recording of
    calls refused without them is sent without them."""
    recorder = HarRecorder(create_app(clinic_seed()))
    recording_api(recorder, IDENTITY).list(auth=None)
    har = _edited(recorder.write(tmp_path / "anonymous.har"), _sanitized, "anonymous-sanitized.har")
    result = run_replay(ReplayOptions(str(har), _clinic_target()))
    assert [step.statuses for step in result.steps] == [(401, 401)], as_json(result)
    assert IDENTITY.user not in result.steps[0].curls[1]
    assert not any("recorder dropped" in note for note in result.notes)


# -- D6: a create into another group ------------------------------------------------------------------
def _into_group_8(document: dict[str, Any]) -> None:
    """The create's body names group 8 while its path is group 7's: the recorded deployment
    answered 201, writing into another group."""
    post = document["log"]["entries"][0]["request"]["postData"]
    body = json.loads(post["text"])
    body["calendar"]["group_id"] = 8
    post["text"] = json.dumps(body)


def test_a_create_into_another_group_answered_2xx_is_not_an_open_question(tmp_path):
    """CONTRACT.md leaves open 400 or 403 for a body group_id other than the path's, not a 201."""
    recorder = HarRecorder(create_app(clinic_seed()))
    recording_api(recorder, IDENTITY).create({"name": "Ailleurs", "sort": 60})
    har = _edited(recorder.write(tmp_path / "faulty.har"), _into_group_8, "into-group-8.har")
    result = run_replay(ReplayOptions(str(har), _clinic_target()))
    findings = [(f.diff.kind, f.diff.a, f.diff.b, f.questions) for f in result.steps[0].findings]
    assert result.steps[0].step.kind == "group_mismatch"
    assert findings == [("status", 201, 403, [])], as_json(result)


# -- D4: sort and dir echoed or null ------------------------------------------------------------------
def _envelope(sort: Any, direction: Any) -> Any:
    def edit(document: dict[str, Any]) -> None:
        content = document["log"]["entries"][0]["response"]["content"]
        page = json.loads(content["text"])
        page.update(sort=sort, dir=direction)
        content["text"] = json.dumps(page)
    return edit


def _sorted_list(tmp_path: Path, sort: Any, direction: Any) -> Any:
    """A list sorted by name, descending, recorded from a deployment whose envelope said
    `sort`, `dir`; replayed against the mock, which echoes the request."""
    recorder = HarRecorder(create_app(clinic_seed()))
    recording_api(recorder, IDENTITY).list([("sort", "name"), ("dir", "desc")])
    har = _edited(recorder.write(tmp_path / "sorted.har"), _envelope(sort, direction), "envelope.har")
    result = run_replay(ReplayOptions(str(har), _clinic_target()))
    return {f.diff.path: f.questions for f in result.steps[0].findings}


def test_sort_and_dir_null_on_one_side_and_echoed_on_the_other_are_both_documented(tmp_path):
    assert _sorted_list(tmp_path, None, None) == {"$.sort": ["list.sort-dir-echo"],
                                                  "$.dir": ["list.sort-dir-echo"]}


def test_sort_and_dir_that_echo_another_value_stay_unexplained(tmp_path):
    assert _sorted_list(tmp_path, "city", "asc") == {"$.sort": [], "$.dir": []}


# -- D8: an error answered as text --------------------------------------------------------------------
def _error_as(mime: str) -> Any:
    def edit(document: dict[str, Any]) -> None:
        response = document["log"]["entries"][0]["response"]
        response["headers"] = [h for h in response["headers"] if h["name"].lower() != "content-type"]
        response["headers"].append({"name": "Content-Type", "value": mime})
        response["content"].update(mimeType=mime, text="Not found")
    return edit


def _unknown_calendar_answered_as(tmp_path: Path, mime: str) -> dict[tuple[str, str], list[str]]:
    """A show of an unknown calendar, recorded from a deployment answering its 404 as `mime`
    (a text), replayed against the mock (JSON): each difference's questions."""
    recorder = HarRecorder(create_app(clinic_seed()))
    recording_api(recorder, IDENTITY).show(999999)
    har = _edited(recorder.write(tmp_path / "error.har"), _error_as(mime), "text-error.har")
    result = run_replay(ReplayOptions(str(har), _clinic_target()))
    return {(f.diff.kind, f.diff.path): f.questions for f in result.steps[0].findings}


def test_an_error_answered_as_text_differs_by_the_open_error_body(tmp_path):
    """CONTRACT.md leaves an error body open, its media type included (the contract suite's
    transport.json-responses holds errors only to "JSON when the deployment says so")."""
    assert _unknown_calendar_answered_as(tmp_path, "text/plain; charset=utf-8") == {
        ("header", "content-type"): ["error_body"], ("body", "$"): ["error_body"]}


def test_an_error_that_says_json_and_is_not_is_no_open_question(tmp_path):
    assert _unknown_calendar_answered_as(tmp_path, "application/json") == {("body", "$"): []}


# -- D13: a body the recorder cut ---------------------------------------------------------------------
def _first_answer_cut(document: dict[str, Any]) -> None:
    cut_as_the_proxy_cuts(document["log"]["entries"][0]["response"]["content"])


def test_a_body_the_recorder_cut_is_not_compared_and_the_report_says_why(tmp_path):
    har, _, _ = recorded_clinic(tmp_path)
    seed = _seed_file(har, tmp_path)
    cut = _edited(har, _first_answer_cut, "cut.har")
    result = run_replay(ReplayOptions(str(cut), SideOptions(), fixtures=str(seed)))
    assert result.passed, as_json(result)
    assert [(call.entry, why) for call, why in result.not_compared] == [
        (0, f"its body: the recorder cut it (cut to its first {MAX_TEXT} bytes)")]
    assert "not compared entry 0 GET /api/v1/groups/7/calendars?apikey=[Filtered]&results=all: its body" \
           in text(result)


# -- D14: a create whose answer was not kept ----------------------------------------------------------
def _create_answer_dropped(document: dict[str, Any]) -> None:
    document["log"]["entries"][0]["response"]["content"] = {"size": -1, "mimeType": "application/json"}


def test_a_calendar_whose_create_answer_was_not_kept_is_not_sent_to_the_recorded_id(tmp_path):
    """The recording's create made 202, which its answer does not show; the target, holding a
    202 of its own in group 8, makes 203. The show of 202 is not sent (it would reach the
    target's other 202), and the list that differs by that id is no open question's."""
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    made = api.create({"name": "Sans corps", "sort": 60}).json()["id"]
    api.show(made)
    api.list([("results", "all")])
    har = _edited(recorder.write(tmp_path / "nobody.har"), _create_answer_dropped, "create-nobody.har")
    seed = clinic_seed()
    seed["calendars"].append({**seed["calendars"][-1], "id": 202})  # group 8's
    result = run_replay(ReplayOptions(str(har), SideOptions(
        app=create_app(seed), apikey=APIKEY, user=IDENTITY.user, password=PASSWORD, group_id=7)))
    assert made == 202
    assert [(call.entry, why) for call, why in result.not_compared] == [
        (1, "the recording does not show the id the create made")]
    listed = [(f.diff.kind, f.questions) for step in result.steps for f in step.findings
              if step.step.kind == "list"]
    assert listed == [("records", [])], as_json(result)


# -- D10: one id created twice ------------------------------------------------------------------------
def test_an_id_two_creates_gave_names_the_latest_of_them(tmp_path):
    """Two sessions against fresh deployments, in one file: each create made 202. A later
    request on 202 is about the second one, which the target made as 203."""
    first = HarRecorder(create_app(clinic_seed()))
    api = recording_api(first, IDENTITY)
    api.show(api.create({"name": "Premier", "sort": 60}).json()["id"])
    second = HarRecorder(create_app(clinic_seed()))
    second._clock = first._clock  # the second session starts after the first
    api = recording_api(second, IDENTITY)
    made = api.create({"name": "Second", "sort": 61}).json()["id"]
    api.update(made, {"city": "Brest"})
    api.show(made)
    har = first.write(tmp_path / "twice.har", second.entries)
    result = run_replay(ReplayOptions(str(har), _clinic_target()))
    assert made == 202 and result.passed, as_json(result)
    assert [step.curls[1].split("?")[0].rsplit("/", 1)[-1] for step in result.steps[3:]] == ["203", "203"]


# -- D7: creates in two groups ------------------------------------------------------------------------
def test_what_the_replay_created_in_another_group_is_soft_deleted_there(tmp_path):
    seed = clinic_seed()
    seed["users"][0]["group_ids"] = [7, 8]
    recorder = HarRecorder(create_app(seed))
    api = recording_api(recorder, IDENTITY)
    api.create({"name": "Ici", "sort": 60})
    api.create({"name": "Chez le voisin", "sort": 61}, group=8)
    api.create({"name": "Encore ici", "sort": 62})  # group 7 stays the recording's group
    target = create_app(seed)
    result = run_replay(ReplayOptions(str(recorder.write(tmp_path / "two-groups.har")), SideOptions(
        app=target, apikey=APIKEY, user=IDENTITY.user, password=PASSWORD, group_id=7)))
    assert result.passed, as_json(result)
    assert result.notes[-1] == "clean-up target: the 3 calendar(s) this run created are soft-deleted"
    neighbour = target.test_client().get("/api/v1/groups/8/calendars/203", query_string={"apikey": APIKEY},
                                         auth=(IDENTITY.user, PASSWORD)).get_json()
    assert (neighbour["name"], neighbour["deleted"]) == ("Chez le voisin", True)


# -- D2: the same recording replayed twice against one deployment -------------------------------------
def test_a_second_replay_against_the_same_deployment_says_what_the_first_left(tmp_path):
    """Soft delete removes nothing: the second run finds the first one's calendars in its lists
    and says so before it starts, rather than leaving the differences to be guessed at."""
    har, _, _ = recorded_clinic(tmp_path)
    target = _clinic_target()
    first = run_replay(ReplayOptions(str(har), target))
    second = run_replay(ReplayOptions(str(har), target))
    assert first.passed and not second.passed
    assert not any("already holds" in note for note in first.notes)
    said = "the target already holds calendars named as the recording's creates: 'Dr Nouveau' (1), 'Salle 2'"
    assert any(note.startswith(said) for note in second.notes), second.notes


# -- D12: a revalidation and a redirect ---------------------------------------------------------------
def _revalidated_and_redirected(document: dict[str, Any]) -> None:
    """As a browser records them: the first list asked again with If-None-Match and answered
    304 (the browser used its cache), and the first create answered 301 before the create it
    led to, each an entry of its own."""
    entries = document["log"]["entries"]
    revalidated, redirected = json.loads(json.dumps(entries[0])), json.loads(json.dumps(entries[7]))
    revalidated["request"]["headers"].append({"name": "If-None-Match", "value": '"v1"'})
    revalidated["response"].update(status=304, content={"size": 0, "mimeType": "", "text": ""})
    redirected["response"].update(status=301, redirectURL=redirected["request"]["url"],
                                  content={"size": 9, "mimeType": "text/html", "text": "<p>moved"})
    document["log"]["entries"] = [entries[0], revalidated, *entries[1:7], redirected, *entries[7:]]


def test_a_revalidation_and_a_redirect_are_not_sent_and_the_report_says_why(tmp_path):
    """Sent again, the 304 would be answered 200 in full (its validators are not resent), and
    the redirected create would make a calendar twice."""
    har, _, _ = recorded_clinic(tmp_path)
    seed = _seed_file(har, tmp_path)
    browsed = _edited(har, _revalidated_and_redirected, "browsed.har")
    result = run_replay(ReplayOptions(str(browsed), SideOptions(), fixtures=str(seed)))
    assert result.passed and len(result.steps) == 19, as_json(result)
    assert [(call.entry, why) for call, why in result.not_compared] == [
        (1, "a revalidation answered 304 from the recorder's cache: nothing to compare"),
        (8, "a redirect (3xx): the request it led to is replayed on its own")]
    assert result.notes[-1] == "clean-up target: the 2 calendar(s) this run created are soft-deleted"
    said = "not compared entry 8 POST /api/v1/groups/7/calendars?apikey=[Filtered]: a redirect (3xx)"
    assert said in text(result)
