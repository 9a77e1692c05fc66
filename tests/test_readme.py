"""The README's curl examples, run as written against a real mock, so they cannot rot: each
one must do what the README says it does (the expected answers are worked out from the seed
data, never copied from the mock)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from spec_validation import DEMO

from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = [
    pytest.mark.http,
    pytest.mark.skipif(not shutil.which("curl") or not shutil.which("sha1sum"),
                       reason="curl and sha1sum run the README's examples"),
]
GROUP = [calendar for calendar in DEMO["calendars"] if calendar["group_id"] == 4]
BY_ID = {calendar["id"]: calendar for calendar in GROUP}
OFFERING = {item["id"]: set(item["calendar_ids"]) for item in DEMO["interventions"]}


def _mock_examples() -> list[str]:
    """Shell commands of the first sh block under 'Using the mock', continuation lines joined."""
    section = README.read_text(encoding="utf-8").split("## Using the mock", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_readme_opens_with_the_two_setup_commands():
    first_block = re.search(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines() if line.strip()]
    assert commands == ["make serve", "make test"]


def _ids(body: dict[str, Any]) -> list[int]:
    return [record["id"] for record in body["records"]]


def _run_examples(tmp_path: Path) -> list[tuple[str, int, Any]]:
    commands = _mock_examples()
    assignments = [c for c in commands if re.fullmatch(r"[A-Z]+=\S+", c)]
    curls = [c for c in commands if c.startswith("curl ")]
    results = []
    with serve_in_thread(create_app()) as server:
        prelude = "\n".join(assignments).replace("http://127.0.0.1:8000", server.base_url)
        for command in curls:
            command = command.replace("/tmp/clicrdv-cookies", str(tmp_path / "cookies"))
            script = f"set -e\n{prelude}\n{command} -w '\\n%{{http_code}}'"
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (command, done.stderr)
            body, _, status = done.stdout.rpartition("\n")
            results.append((command, int(status), json.loads(body)))
    return results


def test_readme_curl_examples_do_what_they_say(tmp_path):
    results = _run_examples(tmp_path)
    assert len(results) == 11, "every example: list, filters, search, conditions, writes, login"
    (listed, both, sets, searched, conditions, created, updated, deleted, restored, login, read) = results

    # list: the default page, paged by 25 from 0
    assert listed[1] == 200 and listed[2]["startIndex"] == 0 and listed[2]["pageSize"] == 25
    assert _ids(listed[2]) == sorted(BY_ID)

    # intervention_ids 21 AND 23; calendarset_ids 8 OR 12, every record
    assert "intervention_ids" in both[0] and set(_ids(both[2])) == OFFERING[21] & OFFERING[23]
    assert "calendarset_ids" in sets[0] and "results=all" in sets[0]
    assert set(_ids(sets[2])) == {cid for cid, c in BY_ID.items() if c["calendarset_id"] in (8, 12)}

    # sort by name descending, search "dr" in name or publicname, ignoring case
    wanted = [c for c in GROUP if "dr" in (c["name"] + " " + c["publicname"]).casefold()]
    assert _ids(searched[2]) == [c["id"] for c in sorted(wanted, key=lambda c: c["name"], reverse=True)]

    # conditions: generate_interval >= 20
    assert set(_ids(conditions[2])) == {cid for cid, c in BY_ID.items() if c["generate_interval"] >= 20}

    # create: 201, defaults applied, sort = the group's largest sort + 1
    assert created[1] == 201 and created[2]["name"] == "Agenda de test"
    assert created[2]["group_id"] == 4 and created[2]["sort"] == max(c["sort"] for c in GROUP) + 1
    assert (created[2]["generate_interval"], created[2]["mintime_rdv"], created[2]["maxrdv_period"],
            created[2]["mintime_annulation"], created[2]["deleted"]) == (15, 0, 131400, 2880, False)

    # partial update: only publicname changes (and updated_at)
    before = BY_ID[5]
    assert updated[1] == 200 and updated[2]["publicname"] == "Agenda ouvert à Internet"
    assert {key for key in before if updated[2][key] != before[key]} <= {"publicname", "updated_at"}

    # soft delete: 200, deleted true, nothing else changed
    assert deleted[1] == 200 and deleted[2]["deleted"] is True
    assert {key for key in before if deleted[2][key] != updated[2][key]} <= {"deleted", "updated_at"}

    # restore through the .json alias
    assert restored[1] == 200 and restored[2]["deleted"] is False and restored[2]["id"] == 5

    # login by SHA1 digest, then the cookie alone identifies the user
    assert login[1] == 200 and login[2]["pro"]["email"] == "pro@demo.test"
    assert read[1] == 200 and read[2]["id"] == 1 and "-u " not in read[0]


def _python_blocks(start: str, end: str) -> list[str]:
    """The python blocks of the README between two headings."""
    section = README.read_text(encoding="utf-8").split(start, 1)[1].split(end, 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_pytest_examples_pass_as_written(pytester):
    """The integrator's examples (fixtures, interception, marker, verification), each block a
    test file of an integrator's suite."""
    blocks = _python_blocks("### In your own pytest suite", "### Answering the open questions")
    assert len(blocks) >= 4
    for index, block in enumerate(blocks):
        pytester.makepyfile(**{f"test_readme_block_{index}": block})
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--strict-markers")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 7 and not outcomes.get("failed") and not outcomes.get("errors"), (
        result.stdout.str())


def test_readme_pictures_are_there():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README.read_text(encoding="utf-8"))
    assert {"docs/screenshots/docs.png", "docs/screenshots/dashboard.png"} <= set(pictures)
    for picture in pictures:
        assert (README.parent / picture).read_bytes().startswith(b"\x89PNG\r\n"), picture
