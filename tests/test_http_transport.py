"""The suite's HTTP client against what real deployments do: close kept-alive connections (a
request that meets a connection closed under it is sent once more on a fresh one; a server that
drops every request is still reported unreachable, after one more try, not many), and serve
HTTPS with a certificate of an internal CA (trusted through REQUESTS_CA_BUNDLE, as requests and
schemathesis trust it)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import quote, quote_plus, urlencode

import pytest
import requests
from raw_tcp import read_head, tcp_server
from suite_runs import options
from tls_support import TLS, https_mock

from contract_tests.http import HttpTransport, Unreachable
from contract_tests.runner import SuiteOptions, SuiteUsageError, resolve_options, run_suite
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

pytestmark = pytest.mark.http
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
          b"Connection: keep-alive\r\n\r\n{}")


@contextlib.contextmanager
def raw_server(answers_per_connection: int) -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that answers `answers_per_connection` requests on each connection
    (keep-alive promised) and then reads the next request and closes without an answer, as a
    server closing an idle connection does when a request crosses the close. Yields its URL and
    the request lines it read, in order."""
    seen: list[str] = []

    def serve_one(connection: socket.socket) -> None:
        with connection:
            for answered in range(answers_per_connection + 1):
                request = read_head(connection)
                if not request:
                    return
                seen.append(request.split(b"\r\n", 1)[0].decode())
                if answered == answers_per_connection:
                    return  # closed under the request: no answer
                connection.sendall(ANSWER)

    with tcp_server(serve_one) as url:
        yield url, seen


def test_a_request_on_a_connection_closed_under_it_is_sent_again_on_a_fresh_one():
    with raw_server(answers_per_connection=1) as (url, seen):
        transport = HttpTransport(url)
        try:
            first = transport.send("GET", "/api/v1/first", "", {}, None)
            second = transport.send("PUT", "/api/v1/second", "", {"Content-Type": "application/json"}, b"{}")
        finally:
            transport.close()
    assert first[0] == second[0] == 200
    # The PUT went out on the kept-alive connection, met its close, and again on a new one.
    put = "PUT /api/v1/second HTTP/1.1"
    assert seen == ["GET /api/v1/first HTTP/1.1", put, put]


def test_a_server_that_drops_every_request_is_unreachable_after_one_more_try():
    with raw_server(answers_per_connection=0) as (url, seen):
        transport = HttpTransport(url)
        try:
            with pytest.raises(Unreachable, match=r"without response|Connection aborted"):
                transport.send("GET", "/api/v1/calendars", "", {}, None)
        finally:
            transport.close()
    assert seen == ["GET /api/v1/calendars HTTP/1.1"] * 2


def test_a_certificate_of_an_unknown_ca_is_refused_with_what_to_do(monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with https_mock() as url:
        transport = HttpTransport(url)
        try:
            with pytest.raises(Unreachable, match="REQUESTS_CA_BUNDLE"):
                transport.send("GET", "/api/v1/groups/4/calendars", "", {}, None)
        finally:
            transport.close()


def test_a_staging_behind_an_internal_ca_is_checked_with_requests_ca_bundle(monkeypatch):
    """The suite's own client and schemathesis' engines both trust the CA the variable names."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "ca.pem"))
    with https_mock() as url:
        result = run_suite(options(base_url=url, level="documented", max_examples=1,
                                   layers=("conformance",)))
    assert result.passed, result.summary()
    assert result.cases > 0 and result.requests > 0


@pytest.mark.parametrize("apikey", ["plain-key-4f1c2b", "k+y/with=odd é"])
def test_an_unreachable_server_is_reported_without_the_apikey(apikey):
    """The message reaches the summary, the reports and CI's log: the URL in it, and requests'
    own text naming the URL as sent (encoded), show no apikey and no login password."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = HttpTransport(f"http://127.0.0.1:{port}", timeout=2)
    query = urlencode([("apikey", apikey), ("pro[password]", "sha1-of-a-password"), ("results", "all")])
    with pytest.raises(Unreachable) as raised:
        transport.send("GET", "/api/v1/groups/4/calendars", query, {}, None)
    message = str(raised.value)
    assert "127.0.0.1" in message and "results=all" in message
    for secret in (apikey, quote(apikey, safe=""), quote_plus(apikey), "sha1-of-a-password"):
        assert secret not in message, message
    assert "[Filtered]" in message


def _conformance_with_one_slow_answer(delay_ms: int, **overrides) -> list[str]:
    """The conformance layer by URL with one generated read of an intervention (the spec's example,
    21) answered after `delay_ms`: the messages of what schemathesis could not test. (Not the
    interventions list: discovery reads it first, to learn whether the deployment serves it.)"""
    app = create_app()
    with serve_in_thread(app) as up:
        fault = {"action": "delay", "method": "GET", "path": "^/api/v1/groups/4/interventions/21$",
                 "delay_ms": delay_ms, "times": 1}
        assert requests.post(f"{up.base_url}/_mock/faults", json=fault, timeout=5).status_code == 201
        result = run_suite(options(base_url=up.base_url, level="documented", layers=("conformance",),
                                   concurrency=4, max_examples=1, **overrides))
    return [failure.message for failure in result.failures if failure.rule_id == "suite.error"]


def test_generated_requests_wait_as_long_as_the_suites_own():
    """One --timeout for both clients: schemathesis' own default (10 s) made an 11 s answer, which
    the suite's client waits for, a case it 'could not test' - a FAILED run for a slow staging."""
    messages = _conformance_with_one_slow_answer(2000, timeout=1.0)
    assert "schemathesis could not test this: Network Error: Read timed out after 1.0 seconds" in messages
    # (on a loaded machine another read may pass the second too: it is told as a timeout as well)
    assert all("timed out" in message and "1.0" in message for message in messages), messages
    assert _conformance_with_one_slow_answer(2000, timeout=3.0) == []


def test_the_timeout_is_bounded():
    with pytest.raises(SuiteUsageError, match="--timeout"):
        resolve_options(SuiteOptions(base_url="http://127.0.0.1:9", apikey="k", user="u", password="p",
                                     group_id=4, timeout=0))
