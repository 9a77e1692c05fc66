"""`calendar-mock serve` in a subprocess: banner with the real port and credentials, then HTTP."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from spec_validation import DEMO_APIKEY, check_http_response

pytestmark = pytest.mark.http


def cli() -> list[str]:
    script = Path(sys.executable).with_name("calendar-mock")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mock_server.serve.cli"]


def read_banner(process: subprocess.Popen, deadline: float = 20.0) -> str:
    """Lines up to the control-plane line (the banner's last), or fail after `deadline`."""
    lines: list[str] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "control plane" in line:
            return "".join(lines)
    raise AssertionError(f"no banner from calendar-mock: {''.join(lines)!r}")


@contextlib.contextmanager
def serving(*options: str, stderr: Any = subprocess.DEVNULL) -> Iterator[subprocess.Popen]:
    """`calendar-mock serve --port 0 *options` in a subprocess, stopped on leaving."""
    process = subprocess.Popen([*cli(), "serve", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def served():
    with serving("--intervention-match", "any") as process:
        yield process


def test_serve_prints_the_real_url_and_the_demo_credentials(served):
    banner = read_banner(served)
    found = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", banner)
    assert found, banner
    base_url, port = found[1], int(found[2])
    assert port != 0
    assert DEMO_APIKEY in banner
    for email, password in (("pro@demo.test", "demo-password"), ("pro5@demo.test", "other-password"),
                            ("manager@demo.test", "manager-password")):
        assert f"{email} / {password}" in banner
    curl = re.search(r"curl -u '([^']+):([^']+)' '([^']+)'", banner)
    assert curl, banner
    response = requests.get(curl[3], auth=(curl[1], curl[2]), timeout=10)
    assert [record["id"] for record in check_http_response(response)["records"]][:3] == [1, 2, 3]
    settings = requests.get(base_url + "/_mock/settings", timeout=10).json()
    assert settings["intervention_match"] == "any"
    for page in (f"{base_url}/_mock/docs", f"{base_url}/_mock/"):  # the pages it names, for people
        assert page in banner
        assert requests.get(page, timeout=10).headers["Content-Type"] == "text/html; charset=utf-8"


def test_serve_refuses_a_missing_seed_file(tmp_path):
    run = subprocess.run([*cli(), "serve", "--port", "0", "--fixtures", str(tmp_path / "none.json")],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2
    assert "cannot load the seed data" in run.stderr


def test_serve_refuses_invalid_seed_data(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text('{"calendars": [{"id": "x"}]}', encoding="utf-8")
    run = subprocess.run([*cli(), "serve", "--port", "0", "--fixtures", str(path)],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2
    assert "cannot load the seed data" in run.stderr


def test_serve_reports_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run([*cli(), "serve", "--port", str(port)],
                             capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in run.stderr


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_the_banner_comes_once_the_port_takes_connections(server):
    """Scripts wait for the banner and then connect at once; under granian the worker binds
    the port only after building the mock, so the banner must wait for that."""
    for _ in range(3):
        with serving("--server", server) as process:
            url = re.search(r"listening on (http://\S+)", read_banner(process))[1]
            host, port = url.removeprefix("http://").rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=5):
                pass
