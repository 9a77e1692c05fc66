"""`calendar-mock seed-from-har` of recordings made otherwise than the kit's proxy makes them: a
file that starts with a byte order mark, an answer the recorder cut."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from har_recording import cut_as_the_proxy_cuts
from recorded_sessions import recorded_clinic

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
