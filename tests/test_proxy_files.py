"""What the proxy writes: the report (JUnit XML, NDJSON) on POST /_mock/report and on exit, the
HAR file (HAR 1.2, secrets masked), the violations header within its length, and the command
itself: banner, Ctrl-C, summary table, exit 0."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import requests
from proxy_support import APIKEY, AUTH, EMAIL, LIST, LOGIN, PASSWORD, proxy, sha1, upstream_mock
from test_mock_cli import cli

from mock_server.proxy.exchange import violations_header
from mock_server.proxy.findings import Violation
from mock_server.proxy.report import JUNIT_FILE, NDJSON_FILE

pytestmark = pytest.mark.http
STOP_WITHIN_S = 2.0


def _traffic(url: str) -> str:
    """Requests carrying every secret the HAR file must mask; returns the session id."""
    q = {"apikey": APIKEY}
    requests.get(f"{url}{LIST}", params=q, auth=AUTH, timeout=10)
    requests.post(f"{url}{LIST}", auth=AUTH, json={"apikey": APIKEY, "calendar": {"name": "Har"}}, timeout=10)
    login = requests.post(f"{url}{LOGIN}", params=q, timeout=10,
                          data={"pro[email]": EMAIL, "pro[password]": sha1(PASSWORD)})
    session_id = login.cookies["_session_id"]
    requests.post(f"{url}{LOGIN}", params={**q, "pro[email]": EMAIL, "pro[password]": sha1(PASSWORD)},
                  timeout=10)
    requests.get(f"{url}{LIST}/1", params=q, cookies={"_session_id": session_id}, timeout=10)
    requests.delete(f"{url}{LIST}/2", params=q, auth=AUTH, timeout=10)
    return session_id


def check_har(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys HAR 1.2 requires, with their types; returns the entries."""
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] and log["creator"]["version"]
    for entry in log["entries"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["startedDateTime"])
        assert isinstance(entry["time"], int | float) and isinstance(entry["cache"], dict)
        assert all(isinstance(entry["timings"][key], int | float) for key in ("send", "wait", "receive"))
        request, response = entry["request"], entry["response"]
        for key, kind in (("method", str), ("url", str), ("httpVersion", str), ("headers", list),
                          ("queryString", list), ("cookies", list), ("headersSize", int), ("bodySize", int)):
            assert isinstance(request[key], kind), key
        if "postData" in request:
            post = request["postData"]
            assert isinstance(post["mimeType"], str)
            assert isinstance(post["text"], str) if "text" in post else post["comment"]  # why it is not kept
        for key, kind in (("status", int), ("statusText", str), ("httpVersion", str), ("headers", list),
                          ("cookies", list), ("content", dict), ("redirectURL", str), ("headersSize", int),
                          ("bodySize", int)):
            assert isinstance(response[key], kind), key
        content = response["content"]
        assert isinstance(content["size"], int) and isinstance(content["mimeType"], str)
        assert isinstance(content["text"], str) if "text" in content else content["comment"]
        assert all(set(pair) >= {"name", "value"} for pair in request["headers"] + response["headers"])
    return log["entries"]


def test_har_file_is_valid_and_masks_every_secret(tmp_path: Path) -> None:
    har = tmp_path / "traffic.har"
    with upstream_mock() as upstream, proxy(upstream.base_url, record=har, har_flush_every=2) as (_, url):
        session_id = _traffic(url)
        flushed_early = json.loads(har.read_text())["log"]["entries"]  # whole after every flush
    text = har.read_text()
    entries = check_har(json.loads(text))
    assert len(flushed_early) >= 4 and len(entries) == 6
    basic = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    for secret in (APIKEY, PASSWORD, basic, sha1(PASSWORD), session_id):
        assert secret not in text
    sent = {h["name"].lower(): h["value"] for h in entries[0]["request"]["headers"]}
    assert base64.b64decode(sent["authorization"].split()[1]) == f"{EMAIL}:***".encode()  # who, not how
    login = entries[2]
    assert login["request"]["postData"]["mimeType"].startswith("application/x-www-form-urlencoded")
    assert any(c["name"] == "_session_id" and c["value"] == "***" for c in login["response"]["cookies"])
    assert entries[0]["request"]["url"].startswith(upstream.base_url + LIST)
    assert json.loads(entries[0]["response"]["content"]["text"])["records"]


def test_report_files_on_request(tmp_path: Path) -> None:
    with upstream_mock(profile="contrarian") as upstream, \
            proxy(upstream.base_url, level="strict", report_dir=tmp_path) as (_, url):
        _traffic(url)
        written = requests.post(f"{url}/_mock/report", timeout=10).json()
        suite = ET.parse(tmp_path / JUNIT_FILE).getroot().find("testsuite")
        lines = (tmp_path / NDJSON_FILE).read_text().splitlines()
    assert sorted(written["written"]) == sorted(str(tmp_path / name) for name in (JUNIT_FILE, NDJSON_FILE))
    assert written["exchanges"] == 6 and len(lines) == 6
    assert {"method", "path", "status", "duration_ms", "violations"} <= set(json.loads(lines[-1]))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["delete.body"].find("failure") is not None  # contrarian answers {} to DELETE
    assert cases["list.envelope"].find("failure") is None  # exercised, and it holds
    assert cases["upstream.answers"].find("error") is None
    assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases.values())


def test_the_violations_header_says_when_it_is_cut() -> None:
    broken = [Violation(f"rule.number-{index:02d}", "DOC", "m") for index in range(30)]
    header = violations_header(broken, 120)
    assert len(header) <= 120 and header.startswith("30; rule.number-00, ")
    shown = header.split("; ", 1)[1].split(", ")
    hidden = int(re.fullmatch(r"… \+(\d+) more", shown[-1])[1])
    assert len(shown) - 1 + hidden == 30
    assert violations_header(broken[:2], 120) == "2; rule.number-00, rule.number-01"
    assert violations_header([], 120) == "0"


@contextlib.contextmanager
def proxy_process(*options: str) -> Any:
    process = subprocess.Popen([*cli(), "proxy", "--port", "0", *options], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_the_command_serves_then_stops_on_ctrl_c_with_a_summary(tmp_path: Path) -> None:
    har, reports = tmp_path / "run.har", tmp_path / "reports"
    with upstream_mock(profile="contrarian") as upstream, \
            proxy_process("--upstream", upstream.base_url, "--level", "strict", "--report", str(reports),
                          "--record", str(har)) as process:
        banner = [process.stdout.readline() for _ in range(8)]
        url = re.search(r"listening on (http://\S+)", banner[0])[1]
        assert any(f"upstream  {upstream.base_url}" in line for line in banner), banner
        assert any("level     strict" in line for line in banner), banner
        answer = requests.delete(f"{url}{LIST}/2", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        assert "delete.body" in answer.headers["X-Contract-Violations"]
        requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        took = time.monotonic() - started
    assert process.returncode == 0, err
    assert took < STOP_WITHIN_S
    assert re.search(r"^rule\s+tag\s+count\s+checked$", out, re.MULTILINE), out
    assert re.search(r"^delete\.body\s+ASM\s+1\s+1$", out, re.MULTILINE), out
    assert "2 exchanges at level strict" in out
    assert len((reports / NDJSON_FILE).read_text().splitlines()) == 2
    assert ET.parse(reports / JUNIT_FILE).getroot().find("testsuite") is not None
    assert len(check_har(json.loads(har.read_text()))) == 2


def test_every_option_the_readme_names_exists() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Between your app and ClicRDV: `calendar-mock proxy`", 1)[1]
    proxy_part = section.split("\n## ", 1)[0].split("\n### Recorded traffic", 1)[0]  # not the HAR tools'
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", proxy_part))
    usage = subprocess.run([*cli(), "proxy", "--help"], capture_output=True, text=True, timeout=30).stdout
    others = {"--profile", "--only"}  # calendar-mock serve's, benchmarks/run.py's
    assert named - others and {option for option in named if option not in usage} == others


def test_the_command_refuses_a_bad_level(tmp_path: Path) -> None:
    with proxy_process("--upstream", "http://127.0.0.1:9", "--level", "profile:nowhere.yaml") as process:
        _, err = process.communicate(timeout=20)
    assert process.returncode == 2 and "nowhere.yaml" in err


def test_every_rule_the_proxy_names_is_a_rule_of_the_spec() -> None:
    """Each violation names an x-contract-rules id (or profile.<question> for a profile's answer):
    every such literal in the proxy's source is one."""
    import calendar_spec
    from calendar_spec import profiles

    source = "\n".join(path.read_text(encoding="utf-8") for path in
                       (Path(__file__).resolve().parents[1] / "mock_server" / "proxy").glob("*.py"))
    families = ("transport|auth|isolation|list|show|create|update|delete|restore|invalid|notfound|method"
                "|clients")
    named = set(re.findall(rf'"((?:{families})\.[a-z0-9-]+)"', source))
    asked = set(re.findall(r'"profile\.([a-z_]+)"', source))
    asked |= set(re.findall(r'answer\("([a-z_]+)"\)', source))
    known = calendar_spec.rule_ids("strict")
    assert len(named) > 30 and named <= known, named - known
    assert asked and asked <= set(profiles.questions()), asked - set(profiles.questions())
