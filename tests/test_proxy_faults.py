"""Planted faults: upstreams that break the contract (the real mock with its answers rewritten,
or told by its own fault injection to fail) and upstreams that fail as servers do - down, slow,
answering garbage, dropping the connection. The proxy names the rule broken, in the header and
the journal, or answers 502/504 with the reason, never hanging."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from proxy_support import APIKEY, AUTH, LIST, journal, proxy, upstream_mock, upstream_wsgi, violations
from raw_tcp import tcp_server
from tls_support import TLS, https_mock

from mock_server import create_app
from mock_server.app import mock_of

pytestmark = pytest.mark.http
Change = Callable[[str, dict[str, Any] | list[Any] | None], tuple[str, Any]]


class Rewrite:
    """The real mock, with the answer to `method` on paths ending in `suffix` changed by
    `change(status, body) -> (status, body)` (body: decoded JSON; None drops the body)."""

    def __init__(self, method: str, suffix: str, change: Change) -> None:
        self.app, self.method, self.suffix, self.change = create_app(), method, suffix, change

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        head: dict[str, Any] = {}
        body = b"".join(self.app(environ, lambda status, headers, exc=None: head.update(s=status, h=headers)))
        status, headers = head["s"], [(k, v) for k, v in head["h"] if k.lower() != "content-length"]
        if environ["REQUEST_METHOD"] == self.method and environ["PATH_INFO"].endswith(self.suffix):
            status, changed = self.change(status, json.loads(body) if body else None)
            body = b"" if changed is None else json.dumps(changed).encode()
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]


def _without(key: str) -> Change:
    return lambda status, body: (status, {k: v for k, v in body.items() if k != key})


def _set(**values: Any) -> Change:
    return lambda status, body: (status, {**body, **values})


def _lying_envelope(status: str, body: Any) -> tuple[str, Any]:
    return status, {**body, "recordsReturned": body["recordsReturned"] + 1}


def _iso_dates(status: str, body: Any) -> tuple[str, Any]:
    return status, {**body, "created_at": body["created_at"].replace(" ", "T") + "Z"}


CALENDAR = f"{LIST}/1"
CREATE = {"calendar": {"name": "Planted", "city": "Brest"}}
PLANTED = {
    "delete answers 204": ("DELETE", CALENDAR, None,
                           Rewrite("DELETE", "/1", lambda status, body: ("204 No Content", None)),
                           {"transport.status-set", "delete.status-200"}),
    "a calendar without id": ("GET", CALENDAR, None, Rewrite("GET", "/1", _without("id")), {"show.calendar"}),
    "a string totalRecords": ("GET", LIST, None, Rewrite("GET", "/calendars", _set(totalRecords="6")),
                              {"list.envelope"}),
    "recordsReturned lies": ("GET", LIST, None, Rewrite("GET", "/calendars", _lying_envelope),
                             {"list.envelope"}),
    "create echoes another name": ("POST", LIST, CREATE, Rewrite("POST", "/calendars", _set(name="Other")),
                                   {"create.created"}),
    "create forgets the default timing": ("POST", LIST, CREATE,
                                          Rewrite("POST", "/calendars", _set(generate_interval=5)),
                                          {"create.defaults"}),
    "update keeps the old value": ("PUT", CALENDAR, {"calendar": {"city": "Brest"}},
                                   Rewrite("PUT", "/1", _set(city="Paris")), {"update.partial"}),
    "dates in RFC 3339": ("GET", CALENDAR, None, Rewrite("GET", "/1", _iso_dates), {"transport.date-format"}),
    "deleted but not deleted": ("DELETE", CALENDAR, None, Rewrite("DELETE", "/1", _set(deleted=False)),
                                {"delete.soft"}),
}


@pytest.mark.parametrize("name", list(PLANTED))
def test_a_planted_fault_is_named_by_its_rule(name: str) -> None:
    method, path, body, upstream_app, rules = PLANTED[name]
    with upstream_wsgi(upstream_app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.request(method, f"{url}{path}", params={"apikey": APIKEY}, auth=AUTH, json=body,
                                  timeout=10)
        entries = journal(url, violations="yes")
    assert set(violations(answer)) == rules
    assert len(entries) == 1
    assert {(v["rule"], v["tag"]) for v in entries[0]["violations"]} >= {(rule, _tag(rule)) for rule in rules}
    assert all(v["message"] and v["where"] for v in entries[0]["violations"])


def _tag(rule: str) -> str:
    import calendar_spec

    return next(r["tag"] for r in calendar_spec.rules("strict") if r["id"] == rule)


class AnswersHtml:
    """The real mock, its answers labelled text/html."""

    def __init__(self) -> None:
        self.app = create_app()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def relabel(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers if k.lower() != "content-type"]
            return start_response(status, [*kept, ("Content-Type", "text/html")], exc_info)

        return self.app(environ, relabel)


def test_a_success_that_is_not_labelled_json_is_a_violation() -> None:
    with upstream_wsgi(AnswersHtml()) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{CALENDAR}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    assert answer.headers["Content-Type"] == "text/html"
    assert violations(answer) == ["transport.json-responses"]


class IgnoresApikey:
    """A deployment that serves data without an apikey (it adds the demo one itself)."""

    def __init__(self) -> None:
        self.app = create_app()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if "apikey=" not in environ.get("QUERY_STRING", ""):
            environ["QUERY_STRING"] = f"apikey={APIKEY}&" + environ.get("QUERY_STRING", "")
        return self.app(environ, start_response)


def test_data_answered_without_credentials_is_a_violation() -> None:
    with upstream_wsgi(IgnoresApikey()) as upstream, proxy(upstream.base_url, level="strict") as (_, url):
        answer = requests.get(f"{url}{LIST}", auth=AUTH, timeout=10)
    assert answer.status_code == 200
    assert set(violations(answer)) == {"auth.no-data-without-credentials", "auth.missing-apikey-401"}


def test_a_500_breaks_the_operations_rule() -> None:
    with upstream_mock() as upstream, proxy(upstream.base_url) as (_, url):
        mock_of(upstream.app).faults.add({"action": "error", "status": 500, "method": "GET", "path": "/1$",
                                           "times": 1})
        answer = requests.get(f"{url}{CALENDAR}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        entry = journal(url)[0]
    assert answer.status_code == 500 and violations(answer) == ["show.calendar"]
    assert entry["violations"][0]["where"] == "status"


@pytest.mark.parametrize("action", ["drop", "truncate"])
def test_a_connection_the_upstream_drops_is_answered_502(action: str) -> None:
    with upstream_mock() as upstream, proxy(upstream.base_url) as (app, url):
        mock_of(upstream.app).faults.add({"action": action, "path": "/1$", "times": 1})
        answer = requests.get(f"{url}{CALENDAR}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        fine = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        entry = journal(url)[0]
    assert answer.status_code == 502 and "upstream" in answer.json()["error"]
    assert entry["upstream_error"] == answer.json()["error"] and entry["status"] == 502
    assert fine.status_code == 200  # the pool recovers from the broken connection
    assert app.report.summary()["upstream_errors"] == 1


def test_a_slow_upstream_is_answered_504_within_the_timeout() -> None:
    with upstream_mock() as upstream, proxy(upstream.base_url, upstream_timeout_s=0.3) as (_, url):
        mock_of(upstream.app).faults.add({"action": "delay", "delay_ms": 1500, "path": "/1$", "times": 1})
        started = time.monotonic()
        answer = requests.get(f"{url}{CALENDAR}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        took = time.monotonic() - started
    assert answer.status_code == 504 and "0.3 s" in answer.json()["error"]
    assert took < 0.3 + 0.7


def test_an_upstream_that_is_down_is_answered_502_at_once() -> None:
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]  # closed on leaving: nobody listens there
    with proxy(f"http://127.0.0.1:{port}", journal_size=3) as (_, url):
        started = time.monotonic()
        answers = [requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, timeout=10) for _ in range(5)]
        took = time.monotonic() - started
        kept = journal(url)
    assert [a.status_code for a in answers] == [502] * 5
    assert "cannot be reached" in answers[0].json()["error"]
    assert took < 3 and len(kept) == 3


@contextlib.contextmanager
def garbage_server(reply: bytes) -> Iterator[str]:
    """Answers every connection with `reply` (no HTTP) and closes it; bounded: stops on leaving."""
    def serve(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(1)
            with contextlib.suppress(OSError):
                connection.recv(65536)
                connection.sendall(reply)

    with tcp_server(serve) as url:
        yield url


@pytest.mark.parametrize("reply", [b"hello, this is not HTTP\r\n\r\n", b"",
                                   b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"records\""])
def test_garbage_from_the_upstream_is_answered_502(reply: bytes) -> None:
    with garbage_server(reply) as upstream, proxy(upstream) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    assert answer.status_code == 502
    assert answer.json()["error"].startswith(f"the upstream {upstream} failed")


def test_an_https_upstream_behind_an_internal_ca(monkeypatch) -> None:
    """Its CA's file in REQUESTS_CA_BUNDLE, as for the contract suite; without it a 502 that says so."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with https_mock() as upstream:
        with proxy(upstream) as (_, url):
            refused = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TLS / "ca.pem"))
        with proxy(upstream) as (_, url):
            answered = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
    assert refused.status_code == 502 and "REQUESTS_CA_BUNDLE" in refused.json()["error"]
    assert answered.status_code == 200 and violations(answered) == []


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_answer_passes_unjudged_with_a_note(status: int) -> None:
    """Rate limited or overloaded says nothing of the contract (the contract suite backs off from
    the same answers): no violation, and the journal says why it was not judged."""
    with upstream_mock() as upstream, proxy(upstream.base_url) as (_, url):
        requests.post(f"{upstream.base_url}/_mock/faults", json={
            "action": "error", "status": status, "retry_after": 1, "path": "^/api/", "times": 1}, timeout=10)
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        [entry] = journal(url)
    assert answer.status_code == status and answer.headers["Retry-After"] == "1"
    assert violations(answer) == []
    assert entry["notes"] == [f"the upstream answered busy ({status}): not judged, a busy answer is no "
                              "contract failure"]


@pytest.mark.parametrize("page_size", ["all", 0, None])
def test_whatever_stands_for_all_in_page_size_is_no_violation(page_size: Any) -> None:
    """pageSize = results, and results may be `all`: its echo, null, or the 0 Rails reads "all"
    as - with every record on the page (a deployment of CONTRACT.md alone, run by the suite,
    answered "all")."""
    upstream_app = Rewrite("GET", "/calendars", _set(pageSize=page_size))
    with upstream_wsgi(upstream_app) as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.get(f"{url}{LIST}", params={"apikey": APIKEY, "results": "all"}, auth=AUTH,
                              timeout=10)
    assert answer.status_code == 200 and len(answer.json()["records"]) > 1
    assert violations(answer) == []
