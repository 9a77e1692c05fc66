"""`calendar-mock seed-from-har`: a recording of real traffic on a mock (a clinic's data, not the
demo's) becomes seed data the mock loads, holding what the recording last showed."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from har_recording import HarRecorder, browser_noise, recording_api
from recorded_sessions import APIKEY, IDENTITY, PASSWORD, clinic_seed, record_session, recorded_clinic

from mock_server import create_app
from mock_server.recorded import PLACEHOLDER_APIKEY, PLACEHOLDER_PASSWORD, PLACEHOLDER_USER
from mock_server.serve.cli import main


def _seed_from(har: Path, tmp_path: Path, capsys: Any, *options: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "seed.json"
    code = main(["seed-from-har", str(har), "--out", str(out), *options])
    printed = capsys.readouterr()
    seed = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return code, seed, printed.out + printed.err


def _listed(app: Any, group: int, apikey: str, user: str, password: str, **query: str) -> dict[str, Any]:
    answer = app.test_client().get(f"/api/v1/groups/{group}/calendars",
                                   query_string={"apikey": apikey, "results": "all", **query},
                                   auth=(user, password))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_the_seed_loads_and_holds_every_calendar_as_the_recording_last_showed_it(tmp_path, capsys):
    har, source, created = recorded_clinic(tmp_path)
    code, seed, printed = _seed_from(har, tmp_path, capsys)
    assert code == 0, printed
    # Every calendar of group 7 was shown after its last change: the seed holds them as they are
    # now on the recorded mock; group 8's calendar was never seen.
    now = _listed(source, 7, APIKEY, IDENTITY.user, PASSWORD)["records"]
    mock = create_app(seed)
    loaded = _listed(mock, 7, PLACEHOLDER_APIKEY, IDENTITY.user, PLACEHOLDER_PASSWORD)["records"]
    assert loaded == now and {c["id"] for c in now} == {101, 102, 103, 104, 105, *created}
    assert [c["id"] for c in seed["calendars"]] == sorted(c["id"] for c in now)
    assert [g["id"] for g in seed["groups"]] == [7]
    assert [s["id"] for s in seed["calendarsets"]] == [30, 31]
    # interventions asked for one at a time: which calendars offer each, as the lists showed
    offers = {item["id"]: item["calendar_ids"] for item in seed["interventions"]}
    assert offers == {40: [101, 102], 41: [102, 103, 104]}
    for intervention in (40, 41):
        query = {"intervention_ids[]": str(intervention)}
        assert (_listed(mock, 7, PLACEHOLDER_APIKEY, IDENTITY.user, PLACEHOLDER_PASSWORD, **query)
                == _listed(source, 7, APIKEY, IDENTITY.user, PASSWORD, **query))


def test_the_identity_is_the_recorded_user_with_printed_placeholders(tmp_path, capsys):
    har, _, _ = recorded_clinic(tmp_path)
    code, seed, printed = _seed_from(har, tmp_path, capsys, "--password", "local-only")
    assert code == 0
    # The Basic header kept its user and the login answer its id, group and creation date.
    assert seed["users"] == [{"id": 21, "email": IDENTITY.user, "group_id": 7, "group_ids": [7],
                              "created_at": "2025-02-01 08:00:00", "password": "local-only"}]
    assert seed["apikeys"] == [{"key": PLACEHOLDER_APIKEY, "application": "recorded"}]
    assert "password 'local-only' (a placeholder" in printed
    assert f"apikey: {PLACEHOLDER_APIKEY!r} (a placeholder: the recording masks the apikey)" in printed
    assert PASSWORD not in printed and APIKEY not in printed


def test_a_recording_that_masks_the_whole_basic_header_and_never_logs_in(tmp_path, capsys):
    recorder = HarRecorder(create_app(clinic_seed()), basic="whole")
    recording_api(recorder, IDENTITY).list([("results", "all")])
    code, seed, printed = _seed_from(recorder.write(tmp_path / "s.har"), tmp_path, capsys)
    assert code == 0
    assert [(u["email"], u["group_ids"]) for u in seed["users"]] == [(PLACEHOLDER_USER, [7])]
    assert "a placeholder: the recording masks the user" in printed
    mock = create_app(seed)
    assert len(_listed(mock, 7, PLACEHOLDER_APIKEY, PLACEHOLDER_USER, PLACEHOLDER_PASSWORD)["records"]) == 5


def test_state_before_leaves_out_what_the_recording_created(tmp_path, capsys):
    har, _, created = recorded_clinic(tmp_path)
    code, seed, printed = _seed_from(har, tmp_path, capsys, "--state", "before")
    assert code == 0 and "as first seen; 2 the recording created left out" in printed
    assert [c["id"] for c in seed["calendars"]] == [101, 102, 103, 104, 105]
    assert not set(created) & {c["id"] for c in seed["calendars"]}
    assert seed["calendars"] == [c for c in clinic_seed()["calendars"] if c["group_id"] == 7]


def test_a_browser_recording_is_read_for_its_api_calls_only(tmp_path, capsys):
    recorder = HarRecorder(create_app(clinic_seed()))
    record_session(recorder)
    code, seed, printed = _seed_from(recorder.write(tmp_path / "b.har", browser_noise()), tmp_path, capsys)
    assert code == 0
    assert "25 entries, 19 API calls (left out: 4 not the API (other paths or hosts), 1 CORS preflights, " \
           "1 without an answer (status 0))" in printed
    assert len(seed["calendars"]) == 7


def test_unmasked_secrets_never_reach_the_output_and_the_password_never_the_seed(tmp_path, capsys):
    """A Postman export keeps the secrets in clear: the apikey is kept (the app sends it), the
    password never (the seed holds a placeholder), and neither is printed."""
    har, _, _ = recorded_clinic(tmp_path)
    document = json.loads(har.read_text())
    clear = base64.b64encode(f"{IDENTITY.user}:{PASSWORD}".encode()).decode()
    for entry in document["log"]["entries"]:
        request = entry["request"]
        request["url"] = request["url"].replace("apikey=%2A%2A%2A", f"apikey={APIKEY}")
        for header in request["headers"]:
            if header["name"] == "Authorization":
                header["value"] = f"Basic {clear}"
    har.write_text(json.dumps(document))
    code, seed, printed = _seed_from(har, tmp_path, capsys)
    assert code == 0
    assert APIKEY not in printed and PASSWORD not in printed and clear not in printed
    assert PASSWORD not in json.dumps(seed)
    assert seed["apikeys"] == [{"key": APIKEY, "application": "recorded"}]
    assert "holds a user's password unmasked: it is not copied" in printed


def _entries(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    recorder = HarRecorder(create_app(clinic_seed()))
    record_session(recorder)
    path = recorder.write(tmp_path / "r.har")
    return path, json.loads(path.read_text())


@pytest.mark.parametrize(("breaks", "message"), [
    (lambda doc: "not json {", "not JSON, so not a HAR file"),
    (lambda doc: {"entries": []}, "the top level: the field 'log' is missing (HAR 1.2)"),
    (lambda doc: {"log": {"entries": {}}}, "log.entries: must be an array"),
    (lambda doc: doc["log"]["entries"][3]["request"].pop("url") and doc,
     "log.entries[3].request: the field 'url' is missing (HAR 1.2)"),
    (lambda doc: doc["log"]["entries"][2]["response"].update(status="200") or doc,
     "log.entries[2].response.status: must be an integer, not \"200\""),
    (lambda doc: doc["log"]["entries"][1].update(startedDateTime="yesterday") or doc,
     "log.entries[1].startedDateTime: 'yesterday' is not an ISO 8601 date-time"),
    (lambda doc: {"log": {"entries": doc["log"]["entries"][:0]}}, "no Calendar API call to read"),
])
def test_a_file_that_is_not_har_exits_2_naming_the_entry_and_field(tmp_path, capsys, breaks, message):
    path, document = _entries(tmp_path)
    broken = breaks(document)
    path.write_text(broken if isinstance(broken, str) else json.dumps(broken))
    code, _, printed = _seed_from(path, tmp_path, capsys)
    assert code == 2 and message in printed and str(path) in printed
    assert not (tmp_path / "seed.json").exists()


def test_a_recorded_calendar_the_seed_cannot_hold_exits_2_naming_the_entry_and_field(tmp_path, capsys):
    path, document = _entries(tmp_path)
    shown = document["log"]["entries"][4]  # GET .../calendars/101
    calendar = json.loads(shown["response"]["content"]["text"])
    shown["response"]["content"]["text"] = json.dumps({**calendar, "generate_interval": "often"})
    path.write_text(json.dumps(document))
    code, _, printed = _seed_from(path, tmp_path, capsys)
    assert code == 2
    assert "entry 4 (GET /api/v1/groups/7/calendars/101): calendar 101: calendar.generate_interval" in printed


def test_what_a_deployment_leaves_out_or_writes_as_0_1_is_filled_from_the_spec(tmp_path, capsys):
    path, document = _entries(tmp_path)
    listed = document["log"]["entries"][0]  # the first list: where --state before first sees 101
    page = json.loads(listed["response"]["content"]["text"])
    for name in ("mintime_rdv", "address", "updated_at"):
        del page["records"][0][name]
    page["records"][0].update(deleted=0, label="extra")
    listed["response"]["content"]["text"] = json.dumps(page)
    path.write_text(json.dumps(document))
    code, seed, _ = _seed_from(path, tmp_path, capsys, "--state", "before")
    assert code == 0
    found = next(c for c in seed["calendars"] if c["id"] == 101)
    assert (found["mintime_rdv"], found["address"], found["deleted"]) == (0, None, False)
    assert found["updated_at"] == "2026-03-02 09:00:01" and "label" not in found  # when it was recorded


def test_an_unwritable_output_exits_2(tmp_path, capsys):
    har, _, _ = recorded_clinic(tmp_path)
    code = main(["seed-from-har", str(har), "--out", str(tmp_path / "no-such-dir" / "seed.json")])
    assert code == 2 and "cannot write" in capsys.readouterr().err
