"""`calendar-mock seed-from-har` of recordings made otherwise than the kit's proxy makes them: a
file that starts with a byte order mark, an answer the recorder cut, calendars first seen after
a write to them, lists of which only some pages were read, revalidations and redirects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from har_recording import HarRecorder, cut_as_the_proxy_cuts, recording_api
from recorded_sessions import CLINIC, IDENTITY, clinic_seed, recorded_clinic

from mock_server import create_app
from mock_server.proxy.har import MAX_TEXT
from mock_server.serve.cli import main


def _seed_from(har: Path, tmp_path: Path, capsys: Any, *options: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "seed.json"
    code = main(["seed-from-har", str(har), "--out", str(out), *options])
    printed = capsys.readouterr()
    seed = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return code, seed, printed.out + printed.err


def test_a_file_with_a_byte_order_mark_is_read(tmp_path, capsys):
    """HAR 1.2: readers must accept a UTF-8 byte order mark."""
    har, _, _ = recorded_clinic(tmp_path)
    har.write_bytes(b"\xef\xbb\xbf" + har.read_bytes())
    code, seed, printed = _seed_from(har, tmp_path, capsys)
    assert code == 0, printed
    assert "19 API calls" in printed and len(seed["calendars"]) == 7


def test_an_answer_the_recorder_cut_is_not_read_and_says_so(tmp_path, capsys):
    """The proxy keeps the start of a long body and says so in the entry's comment: the
    calendars past the cut are not in the text, so the list is no data."""
    har, _, _ = recorded_clinic(tmp_path)
    document = json.loads(har.read_text())
    cut_as_the_proxy_cuts(document["log"]["entries"][0]["response"]["content"])  # all of group 7
    har.write_text(json.dumps(document))
    code, seed, printed = _seed_from(har, tmp_path, capsys, "--state", "before")
    assert code == 0, printed
    assert (f"warning: entry 0 (GET /api/v1/groups/7/calendars): its answer is not read: the recorder cut "
            f"it (cut to its first {MAX_TEXT} bytes)") in printed
    # every calendar of group 7 is also in later answers
    assert [c["id"] for c in seed["calendars"]] == [101, 102, 103, 104, 105]


# -- D15: --state before and a calendar first seen after a write to it -------------------------------
def _clinic_calendar(cid: int) -> dict[str, Any]:
    return next(calendar for calendar in CLINIC["calendars"] if calendar["id"] == cid)


def test_a_calendar_first_seen_in_a_writes_answer_is_seeded_as_before_that_write(tmp_path, capsys):
    """The answer to a PUT or a DELETE shows the calendar after it: a field the PUT did not
    send is as it was, one it sent (and updated_at) is not known, and the calendar a DELETE
    soft-deleted was not deleted before. A read before any write is the state before."""
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.show(103)
    api.update(103, {"city": "Brest"})
    api.update(101, {"city": "Brest"})
    api.delete(102)
    api.list([("results", "all")])
    har = recorder.write(tmp_path / "writes.har")
    code, seed, printed = _seed_from(har, tmp_path, capsys, "--state", "before")
    assert code == 0, printed
    seeded = {calendar["id"]: calendar for calendar in seed["calendars"]}
    assert seeded[103] == _clinic_calendar(103)
    assert seeded[102]["deleted"] is False
    assert {k: v for k, v in seeded[101].items() if k not in ("city", "updated_at")} == {
        k: v for k, v in _clinic_calendar(101).items() if k not in ("city", "updated_at")}
    assert seeded[101]["city"] == "Brest"  # kept, and said to be unknown
    assert ("warning: calendar 101: first seen after entry 2 (PUT /api/v1/groups/7/calendars/101) wrote to "
            "it: city, updated_at: as seen after that write (not known before it)") in printed
    assert "warning: calendar 102: first seen after entry 3 (DELETE /api/v1/groups/7/calendars/102) wrote " \
           "to it: seeded as not deleted" in printed
    assert "calendar 103" not in printed


def _answer_dropped(entry: dict[str, Any]) -> None:
    entry["response"]["content"] = {"size": -1, "mimeType": "application/json"}


def test_a_read_after_a_write_answered_without_the_calendar_is_not_the_state_before(tmp_path, capsys):
    """The DELETE's answer was not kept: the list after it shows the calendar deleted, which
    it was not before."""
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.delete(102)
    api.list([("results", "all")])
    _answer_dropped(recorder.entries[0])
    code, seed, printed = _seed_from(recorder.write(tmp_path / "nobody.har"), tmp_path, capsys,
                                     "--state", "before")
    assert code == 0, printed
    assert next(c for c in seed["calendars"] if c["id"] == 102)["deleted"] is False
    assert "warning: calendar 102: first seen after entry 0 (DELETE" in printed


def test_the_last_seen_state_still_takes_the_writes_answers(tmp_path, capsys):
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.update(101, {"city": "Brest"})
    api.delete(102)
    code, seed, printed = _seed_from(recorder.write(tmp_path / "writes.har"), tmp_path, capsys)
    assert code == 0, printed
    seeded = {calendar["id"]: calendar for calendar in seed["calendars"]}
    assert (seeded[101]["city"], seeded[102]["deleted"]) == ("Brest", True)
    assert "warning" not in printed


# -- D3: lists of which the recording read only some pages --------------------------------------------
def test_a_recording_that_saw_only_some_pages_of_a_list_says_so(tmp_path, capsys):
    """Group 7 holds five calendars; the app read two pages of two. The create after the lists
    is not one they counted, and the filtered list counts only its matches."""
    recorder = HarRecorder(create_app(clinic_seed()))
    api = recording_api(recorder, IDENTITY)
    api.list([("results", "2")])
    api.list([("results", "2"), ("startIndex", "2")])
    api.create({"name": "Nouveau", "sort": 60})
    api.list([("search", "nouveau")])
    code, seed, printed = _seed_from(recorder.write(tmp_path / "pages.har"), tmp_path, capsys,
                                     "--state", "before")
    assert code == 0, printed
    assert len(seed["calendars"]) == 4
    assert ("warning: the recording saw 4 of the 5 calendars of group 7 (totalRecords of entry 0 "
            "(GET /api/v1/groups/7/calendars)): a replay against this seed will differ in totals and pages"
            ) in printed
    assert printed.count("the recording saw") == 1


def test_a_recording_that_saw_every_calendar_its_lists_counted_does_not_warn(tmp_path, capsys):
    """The session lists all of group 7, creates two calendars and lists all again (7 counted)."""
    har, _, _ = recorded_clinic(tmp_path)
    for options in ((), ("--state", "before")):
        code, _, printed = _seed_from(har, tmp_path, capsys, *options)
        assert code == 0 and "warning" not in printed, printed


# -- D12: a revalidation and a redirect ---------------------------------------------------------------
def test_revalidations_and_redirects_are_not_read(tmp_path, capsys):
    """A 304 and a 301 carry no calendar: the seed is the one the recording without them makes."""
    har, _, _ = recorded_clinic(tmp_path)
    _, plain, _ = _seed_from(har, tmp_path, capsys, "--state", "before")
    document = json.loads(har.read_text())
    entries = document["log"]["entries"]
    revalidated, redirected = json.loads(json.dumps(entries[0])), json.loads(json.dumps(entries[7]))
    revalidated["response"].update(status=304, content={"size": 0, "mimeType": "", "text": ""})
    redirected["response"].update(status=301, redirectURL=redirected["request"]["url"],
                                  content={"size": 9, "mimeType": "text/html", "text": "<p>moved"})
    document["log"]["entries"] = [*entries[:7], redirected, *entries[7:], revalidated]
    har.write_text(json.dumps(document))
    code, seed, printed = _seed_from(har, tmp_path, capsys, "--state", "before")
    assert code == 0 and "21 API calls" in printed, printed
    assert seed == plain
