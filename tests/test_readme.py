"""The README's curl examples, run as written against a real mock, so they cannot rot."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mock_server import create_app
from mock_server.server import serve_in_thread

README = Path(__file__).resolve().parents[1] / "README.md"
pytestmark = [
    pytest.mark.http,
    pytest.mark.skipif(not shutil.which("curl") or not shutil.which("sha1sum"),
                       reason="curl and sha1sum run the README's examples"),
]


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


def test_readme_curl_examples_do_what_they_say(tmp_path):
    commands = _mock_examples()
    assignments = [c for c in commands if re.fullmatch(r"[A-Z]+=\S+", c)]
    curls = [c for c in commands if c.startswith("curl ")]
    assert len(curls) >= 10, "the README should show list, filter, create, update, delete, restore, login"
    with serve_in_thread(create_app()) as server:
        prelude = "\n".join(assignments).replace("http://127.0.0.1:8000", server.base_url)
        results = []
        for command in curls:
            command = command.replace("/tmp/clicrdv-cookies", str(tmp_path / "cookies"))
            script = f"set -e\n{prelude}\n{command} -w '\\n%{{http_code}}'"
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, (command, done.stderr)
            body, _, status = done.stdout.rpartition("\n")
            results.append((command, int(status), json.loads(body)))
    for command, status, _ in results:
        assert status in (200, 201), (command, status)
    by_verb = {command.split(" -X ")[1].split()[0] if " -X " in command else "GET": body
               for command, _, body in results if "sessions" not in command}
    created = next(body for command, _, body in results if "-X POST" in command and "sessions" not in command)
    assert created["name"] == "Agenda de test" and created["generate_interval"] == 15
    assert by_verb["DELETE"]["deleted"] is True
    restored = [body for command, _, body in results if '"deleted": false' in command]
    assert restored and restored[0]["deleted"] is False
    both = next(body for command, _, body in results if "intervention_ids" in command)
    assert {record["id"] for record in both["records"]} == {1, 5}
    cookie_read = results[-1][2]
    assert cookie_read["id"] == 1
