"""The README's examples for the clock, namespaces, the new faults and coverage, run as written
against a real mock (as tests/test_readme.py runs the first ones), and its printed coverage
excerpt held to what the plugin prints."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_coverage_report import INNER_TESTS

from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Coverage: what your tests never exercised"
pytestmark = [pytest.mark.http,
              pytest.mark.skipif(not shutil.which("curl"), reason="curl runs the README's examples")]


def _section() -> str:
    return README.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]


def _commands() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", _section(), re.S).group(1).replace("\\\n", " ")
    return [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _run(tmp_path: Path) -> list[tuple[str, int, Any]]:
    commands = _commands()
    prelude = [c for c in commands if re.fullmatch(r"[A-Z]+=\S+", c)]
    results = []
    with serve_in_thread(create_app()) as server:
        setup = "\n".join(prelude).replace("http://127.0.0.1:8000", server.base_url)
        for command in (c for c in commands if c.startswith("curl ")):
            done = subprocess.run(["bash", "-c", f"set -e\n{setup}\n{command} -w '\\n%{{http_code}}'"],
                                  capture_output=True, text=True, timeout=30, cwd=tmp_path)
            assert done.returncode == 0, (command, done.stderr)
            body, _, status = done.stdout.rpartition("\n")
            results.append((command, int(status), json.loads(body)))
    return results


def test_readme_clock_namespace_fault_and_coverage_examples(tmp_path):
    (frozen, created, advanced, unfrozen, alice, bob, reset, listed, dropped, fault, limited,
     coverage) = _run(tmp_path)
    assert frozen[1] == 200 and frozen[2]["now"] == "2024-01-15 09:00:00"
    assert created[1] == 201 and created[2]["created_at"] == created[2]["updated_at"] == "2024-01-15 09:00:00"
    assert advanced[2]["now"] == "2024-01-15 09:01:30"
    assert unfrozen[2]["frozen"] is False
    assert alice[1] == 201 and alice[2]["id"] == 13, "a namespace starts from the seed, not the default's"
    assert bob[1] == 200 and "Seulement chez Alice" not in {r["name"] for r in bob[2]["records"]}
    assert reset[2]["calendars"] == 12
    assert [n["name"] for n in listed[2]["namespaces"]] == ["default", "alice", "bob"]
    assert dropped[2] == {"dropped": "alice"}
    assert fault[1] == 201 and fault[2]["headers"] == {"Retry-After": "30"}
    assert limited[1] == 429 and "Retry-After: 30" not in limited[0]
    # the default namespace's: the create (the 429 never reached the API, its fault is counted)
    covered = {(area["area"], row["subject"], row["key"]) for area in coverage[2]["areas"]
               for row in area["items"] if row["count"]}
    assert coverage[1] == 200 and coverage[2]["requests"] == 1
    assert {("statuses", "createCalendar", "201"), ("faults", None, "error")} <= covered


def test_readme_coverage_excerpt_is_what_the_plugin_prints(pytester):
    excerpt = re.search(r"prints it \(excerpt\):\n\n```\n(.*?)```", _section(), re.S).group(1)
    pytester.makepyfile(test_inner=INNER_TESTS)
    printed = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider").stdout.lines
    for line in excerpt.splitlines():
        if line.strip() != "…":
            assert line in printed, line
