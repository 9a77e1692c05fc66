"""What a hostile tester found in the proxy, black-box, each now held: an upstream that writes a
body after a HEAD answer (its bytes once became another client's answer), a lone surrogate that
made the journal and the HAR unusable, header bytes sent on changed, empty credentials counted as
credentials, every refused unknown-path verdict keeping its exchange (the answer's body too) alive,
a path's control characters breaking the JUnit XML, and credentials in --upstream echoed in 502s."""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from proxy_support import APIKEY, AUTH, LIST, journal, proxy, upstream_mock, upstream_wsgi, violations
from raw_tcp import tcp_server

from mock_server import create_app
from mock_server.proxy.app import Pending, ProxyApp, ProxyConfig

CALENDAR = f"{LIST}/1"


def _serve_keep_alive(answer) -> contextlib.AbstractContextManager[str]:
    """A kept-alive upstream: each request's head goes to `answer(head, connection)`."""
    def serve(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            buffer = b""
            with contextlib.suppress(OSError):
                while True:
                    while b"\r\n\r\n" not in buffer:
                        data = connection.recv(65536)
                        if not data:
                            return
                        buffer += data
                    head, _, buffer = buffer.partition(b"\r\n\r\n")
                    answer(head, connection)
    return tcp_server(serve)


def _echo_path(head: bytes, connection: socket.socket) -> None:
    method, target = head.split(b" ")[:2]
    body = json.dumps({"you_asked": target.decode()}).encode()
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                       % len(body) + (b"" if method == b"HEAD" else body))
    if method == b"HEAD":  # the body a HEAD must not have, a moment after its head
        threading.Event().wait(0.05)
        connection.sendall(body)


def test_a_body_written_after_a_head_answer_never_reaches_another_client() -> None:
    with _serve_keep_alive(_echo_path) as upstream, proxy(upstream) as (_, url), requests.Session() as client:
        assert client.head(f"{url}/a", timeout=10).status_code == 200
        threading.Event().wait(0.02)
        answers = [client.get(f"{url}/b{n}", timeout=10) for n in range(5)]
    assert [(a.status_code, a.json()) for a in answers] == [(200, {"you_asked": f"/b{n}"}) for n in range(5)]


def test_request_header_bytes_reach_the_upstream_as_they_were_sent() -> None:
    seen: list[bytes] = []

    def remember(head: bytes, connection: socket.socket) -> None:
        seen.append(head)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
                           b"Content-Type: application/json\r\n\r\n{}")

    with _serve_keep_alive(remember) as upstream, proxy(upstream) as (_, url):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9 \xff\r\n"
                         b"Connection: close\r\n\r\n")
            while sock.recv(65536):
                pass
    assert b"\r\nX-Name: caf\xc3\xa9 \xff\r\n" in seen[0] + b"\r\n"


def test_a_lone_surrogate_in_a_body_leaves_the_journal_and_the_har_whole(tmp_path: Path) -> None:
    har = tmp_path / "session.har"
    with upstream_mock() as upstream, proxy(upstream.base_url, record=har) as (app, url):
        refused = requests.post(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10,
                                data=b'{"calendar": {"name": "\\ud800"}}',
                                headers={"Content-Type": "application/json"})
        listed = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        kept = journal(url)
        app.close()
    assert refused.status_code == 400 and listed.status_code == 200
    assert [entry["method"] for entry in kept] == ["POST", "GET"]
    assert kept[0]["body"] == {"calendar": {"name": "\ud800"}}
    entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    assert [entry["request"]["method"] for entry in entries] == ["POST", "GET"]


class FillsEmptyCredentials:
    """A deployment with an auth bypass: an empty apikey or unreadable Basic credentials are
    taken as the demo ones, and data answered."""

    def __init__(self) -> None:
        self.app = create_app()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["QUERY_STRING"] = f"apikey={APIKEY}"
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
        return self.app(environ, start_response)


@pytest.mark.parametrize("params, authorization", [
    ({"apikey": ""}, "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()),
    ({"apikey": APIKEY}, "Basic "),
    ({"apikey": APIKEY}, "Basic " + base64.b64encode(b":").decode()),
    ({"apikey": APIKEY}, "Basic " + base64.b64encode(AUTH[0].encode()).decode()),
])
def test_empty_credentials_answered_with_data_are_a_violation(params, authorization) -> None:
    bypass = FillsEmptyCredentials()
    with upstream_wsgi(bypass) as upstream, proxy(upstream.base_url, level="strict") as (_, url):
        answer = requests.get(f"{url}{CALENDAR}", params=params, headers={"Authorization": authorization},
                              timeout=10)
    assert answer.status_code == 200
    assert "auth.no-data-without-credentials" in violations(answer)


def test_a_shared_verdict_does_not_keep_its_exchange_alive() -> None:
    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9"))
    for n in range(3):
        verdict = app.judge.judge_request("GET", "/api/v1/groups/4/appointments", f"page={n}", {}, b"")
        assert verdict.refusal is not None and verdict.refusal.__traceback__ is None
    pending = app.begin("GET", "/api/v1/groups/4/appointments", "/api/v1/groups/4/appointments?page=0",
                        "page=0", [], b"", 0)
    app.answered(pending, 200, "OK", [("Content-Type", "application/json")], b'{"pad": "' + b"x" * 99 + b'"}')
    app.record(pending)
    del pending
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, Pending)]
    app.close()


def test_control_characters_in_a_path_leave_the_junit_report_readable(tmp_path: Path) -> None:
    app = ProxyApp(ProxyConfig(upstream="http://127.0.0.1:9", report_dir=tmp_path))
    path = f"{LIST}/1\x00\x1b]]>"
    pending = app.begin("GET", path, path, f"apikey={APIKEY}", [], b"", 0)
    app.answered(pending, 500, "Internal Server Error", [("Content-Type", "application/json")], b"{}")
    app.record(pending)
    app.write_report()
    app.close()
    tree = ET.parse(tmp_path / "contract-proxy.junit.xml")  # raises on a file CI cannot read
    failures = [failure.text for failure in tree.getroot().iter("failure")]
    assert failures and any("\\x1b" in text for text in failures)


def test_credentials_in_the_upstream_url_are_refused() -> None:
    with pytest.raises(ValueError, match="must not hold credentials"), proxy("http://user:secret@127.0.0.1:9"):
        pass
