"""The in-process transport answers as the same app served over HTTP does: a run in-process (the
plugin, the planted faults) must judge the answers a run by URL would. Its test-client wrapper
once added `Content-Type: text/plain` to an answer without one, which no server adds; a POST, PUT
or DELETE without a body came without the `Content-Length: 0` the HTTP client sends, and a
HEAD's answer with the body a server leaves out."""

from __future__ import annotations

import json

import pytest
from suite_runs import APIKEY, GROUP, PASSWORD, USER
from tls_support import serving

from contract_tests.http import HttpTransport, WsgiTransport, basic_header, encode_query
from mock_server import create_app

pytestmark = pytest.mark.http

AUTH = {"Authorization": basic_header(USER, PASSWORD)}
JSON = "application/json"
TIMESTAMPS = ("created_at", "updated_at")
KEY = encode_query([("apikey", APIKEY)])
LIST = f"/api/v1/groups/{GROUP}/calendars"
# What a server adds of its own, and what a body's length is told by: not the app's answer.
SERVERS_OWN = {"date", "server", "connection", "keep-alive", "transfer-encoding", "content-length"}
REQUEST_KEYS = {"REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "body"}
# What requests adds of its own over HTTP, or what names the server: not the suite's request.
CLIENTS_OWN = {"HTTP_HOST", "HTTP_CONNECTION", "HTTP_ACCEPT_ENCODING", "HTTP_ACCEPT", "HTTP_USER_AGENT"}


def _echo(environ, start_response):
    """What the app was given, and an answer shaped by the request: no Content-Type, a status
    line of the client's choosing, a header given twice."""
    seen = {key: value for key, value in environ.items() if key.isupper()}
    seen["body"] = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode("latin-1")
    status = environ.get("HTTP_X_STATUS", "200 OK")
    start_response(status, [("X-Twice", "1"), ("X-Twice", "2")])
    return [] if status.startswith("204") else [json.dumps(seen, sort_keys=True).encode()]


def _answer(transport, method, path, query="", headers=None, body=None):
    status, headers_back, content = transport.send(method, path, query, dict(headers or {}), body)
    kept = sorted((name, value) for name, value in headers_back if name not in SERVERS_OWN)
    return status, kept, content


def _environ_seen(content: bytes) -> dict:
    seen = json.loads(content)
    return {key: value for key, value in seen.items()
            if key in REQUEST_KEYS or (key.startswith("HTTP_") and key not in CLIENTS_OWN)}


REQUESTS = [
    ("GET", LIST, encode_query([("apikey", APIKEY), ("results", 2)]), AUTH, None),
    ("GET", "/api/v1/groups/4/calendars/%C3%A9t%C3%A9%20x", "q=%C3%A9&r=a+b&s=%25", {}, None),
    ("POST", LIST, "", {"Content-Type": "application/json", "X-Status": "201 Created"},
     '{"name": "été"}'.encode()),
    ("PUT", f"{LIST}/1", "", {"Content-Type": "text/plain"}, b""),
    ("DELETE", f"{LIST}/1", "", {"X-Status": "204 No Content"}, None),
    ("GET", "/", "", {"X-Status": "418 I'm a teapot"}, None),
    ("HEAD", LIST, "a=1", {}, None),
    ("OPTIONS", LIST, "", {}, None),
    ("PATCH", f"{LIST}/1", "", {}, b"x" * 70_000),
]


def test_the_echo_app_is_answered_alike_in_process_and_over_http():
    with serving(_echo) as url:
        over_http = HttpTransport(url, timeout=10)
        in_process = WsgiTransport(_echo)
        for method, path, query, headers, body in REQUESTS:
            served = _answer(over_http, method, path, query, headers, body)
            called = _answer(in_process, method, path, query, headers, body)
            assert called[:2] == served[:2], (method, path)
            if served[2]:
                assert _environ_seen(called[2]) == _environ_seen(served[2]), (method, path)
            else:
                assert called[2] == b"", (method, path)


def test_the_mock_is_answered_alike_in_process_and_over_http():
    app_in_process, app_served = create_app(), create_app()
    with serving(app_served) as url:
        over_http = HttpTransport(url, timeout=10)
        in_process = WsgiTransport(app_in_process)
        exchanges = [
            ("GET", LIST, KEY, AUTH, None),
            ("POST", LIST, KEY, {**AUTH, "Content-Type": JSON},
             json.dumps({"calendar": {"name": "Dr Test"}}).encode()),
            ("POST", LIST, KEY, {**AUTH, "Content-Type": JSON}, b'{"calendar": '),
            ("GET", f"{LIST}/999999", KEY, AUTH, None),
            ("DELETE", f"{LIST}/1", KEY, AUTH, None),
            ("GET", LIST, "apikey=wrong", {}, None),
            ("HEAD", LIST, KEY, AUTH, None),
            ("PUT", f"{LIST}/2", KEY, {**AUTH, "Content-Type": JSON}, None),
        ]
        for method, path, query, headers, body in exchanges:
            served = _answer(over_http, method, path, query, headers, body)
            called = _answer(in_process, method, path, query, headers, body)
            assert called[0] == served[0], (method, path, called, served)
            assert called[1] == served[1], (method, path)
            assert _comparable(called[2]) == _comparable(served[2]), (method, path)


def _comparable(content: bytes):
    """The body with what differs between two apps made a moment apart (timestamps) left out."""
    return _without_timestamps(json.loads(content)) if content else content


def _without_timestamps(node):
    if isinstance(node, dict):
        return {key: _without_timestamps(value) for key, value in node.items() if key not in TIMESTAMPS}
    if isinstance(node, list):
        return [_without_timestamps(item) for item in node]
    return node
