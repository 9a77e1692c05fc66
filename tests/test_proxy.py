"""`calendar-mock proxy` in front of the real mock: traffic passes unchanged, a correct
deployment shows no violation at the levels it keeps, --block answers what the spec refuses,
and many clients at once are all answered with the journal bounded."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from proxy_support import (
    APIKEY,
    AUTH,
    LIST,
    journal,
    proxy,
    run_session,
    upstream_mock,
    upstream_wsgi,
    violations,
)

from mock_server.app import mock_of

pytestmark = pytest.mark.http
# Both mocks stamp the same time, so that direct and proxied answers can be compared byte for byte.
FIXED = {"clock": lambda: datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)}
COMPARED_HEADERS = ("Content-Type", "Content-Length", "Allow")


def _direct_and_proxied(profile: str, level: str) -> tuple[list, list, str]:
    with upstream_mock(profile=profile, **FIXED) as direct:
        expected = run_session(direct.base_url)
    with upstream_mock(profile=profile, **FIXED) as upstream, \
            proxy(upstream.base_url, level=level) as (_, url):
        got = run_session(url)
        entries = journal(url, violations="yes")
    return expected, got, json.dumps(entries, indent=1)[:3000]


@pytest.mark.parametrize(("profile", "level"), [("default", "documented"), ("default", "strict"),
                                                 ("contrarian", "documented"),
                                                 ("contrarian", "profile:contrarian")])
def test_a_session_passes_unchanged_with_no_violation(profile: str, level: str) -> None:
    expected, got, violated = _direct_and_proxied(profile, level)
    assert len(got) == len(expected)
    for index, (direct, proxied) in enumerate(zip(expected, got, strict=True)):
        step = f"step {index}: {proxied.request.method} {proxied.request.url}"
        assert proxied.status_code == direct.status_code, step
        assert proxied.content == direct.content, step
        for name in COMPARED_HEADERS:
            assert proxied.headers.get(name) == direct.headers.get(name), (step, name)
        assert sorted(proxied.cookies.keys()) == sorted(direct.cookies.keys()), step
        assert violations(proxied) == [], (step, proxied.headers["X-Contract-Violations"], violated)
    assert violated == "[]"


def test_assumptions_a_deployment_answers_otherwise_show_at_strict() -> None:
    """The contrarian profile keeps the documented contract but not our assumptions: strict says
    which (each an ASM rule), documented says nothing."""
    with upstream_mock(profile="contrarian") as upstream, \
            proxy(upstream.base_url, level="strict") as (_, url):
        run_session(url)
        entries = journal(url, violations="yes")
    broken = {v["rule"]: v["tag"] for entry in entries for v in entry["violations"]}
    assert {"delete.body", "show.assumed-representation", "auth.missing-apikey-401"} <= set(broken)
    assert set(broken.values()) == {"ASM"}, broken


def test_block_answers_a_refused_request_itself_and_never_forwards_it() -> None:
    with upstream_mock() as upstream, proxy(upstream.base_url, level="documented", block=True) as (_, url):
        refused = requests.post(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10,
                                data=b'{"calendar": ', headers={"Content-Type": "application/json"})
        unknown = requests.get(f"{url}/api/v1/elsewhere", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        no_key = requests.get(f"{url}{LIST}", auth=AUTH, timeout=10)
        fine = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        forwarded = [(e["method"], e["path"]) for e in mock_of(upstream.app).journal.entries()]
        entries = journal(url)
    assert refused.status_code == 400 and refused.headers["X-Contract-Blocked"] == "invalid.rejected"
    assert "body is not valid JSON" in refused.json()["error"]
    assert unknown.status_code == 404 and unknown.headers["X-Contract-Blocked"] == "not-in-spec"
    assert no_key.status_code == 401
    assert no_key.headers["X-Contract-Blocked"] == "auth.no-data-without-credentials"
    assert fine.status_code == 200 and "X-Contract-Blocked" not in fine.headers
    assert forwarded == [("GET", LIST)]  # only the valid request reached the upstream
    assert [e.get("blocked") for e in entries] == ["invalid.rejected", "not-in-spec",
                                                   "auth.no-data-without-credentials", None]


def test_without_block_a_refused_request_is_forwarded() -> None:
    with upstream_mock() as upstream, proxy(upstream.base_url) as (_, url):
        answer = requests.post(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10,
                               data=b"[", headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "X-Contract-Blocked" not in answer.headers
        assert [e["status"] for e in mock_of(upstream.app).journal.entries()] == [400]
        assert journal(url)[0]["request_problems"][0]["rule"] == "invalid.rejected"


def test_concurrent_clients_are_all_answered_and_the_journal_stays_bounded() -> None:
    clients, each = 16, 50

    def client(index: int) -> list[int]:
        with requests.Session() as session:
            path = f"{LIST}/1" if index % 2 else LIST
            return [session.get(f"{url}{path}", params={"apikey": APIKEY}, auth=AUTH, timeout=20).status_code
                    for _ in range(each)]

    with upstream_mock() as upstream, proxy(upstream.base_url, journal_size=100) as (app, url):
        with ThreadPoolExecutor(clients) as pool:
            statuses = [status for batch in pool.map(client, range(clients)) for status in batch]
        kept = journal(url)
        summary = app.report.summary()
    assert statuses == [200] * clients * each
    assert len(kept) == 100
    assert summary["exchanges"] == clients * each
    assert all(entry["violations"] == [] for entry in kept)


def _echo(environ, start_response):
    """Answers what it received: the body's length and digest, and the framing headers."""
    body = environ["wsgi.input"].read()
    reply = json.dumps({"length": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                        "content_length": environ.get("CONTENT_LENGTH"),
                        "custom": environ.get("HTTP_X_CUSTOM")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))])
    return [reply]


def test_large_and_chunked_request_bodies_pass_unchanged() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB, over what the proxy keeps in memory to judge
    with upstream_wsgi(_echo) as upstream, proxy(upstream.base_url) as (_, url):
        whole = requests.post(f"{url}{LIST}", data=payload, headers={"X-Custom": "kept"}, timeout=30).json()
        pieces = iter([payload[:1000], payload[1000:]])  # no length: sent chunked
        chunked = requests.post(f"{url}{LIST}", data=pieces, timeout=30).json()
    digest = hashlib.sha256(payload).hexdigest()
    assert whole == {"length": len(payload), "sha256": digest, "content_length": str(len(payload)),
                     "custom": "kept"}
    assert chunked["length"] == len(payload) and chunked["sha256"] == digest


def _big_answer(environ, start_response):
    body = b'{"records": [' + b",".join(b'{"id": %d}' % i for i in range(200_000)) + b"]}"
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body[i:i + 65536] for i in range(0, len(body), 65536)]  # chunked: no Content-Length


def test_an_answer_too_large_to_judge_streams_through_unchanged() -> None:
    with upstream_wsgi(_big_answer) as upstream, \
            proxy(upstream.base_url, keep_response_bytes=64 * 1024) as (_, url):
        direct = requests.get(f"{upstream.base_url}{LIST}", timeout=30)
        proxied = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=30)
        notes = journal(url)[0]["notes"]
    assert proxied.status_code == 200 and proxied.content == direct.content
    assert any("passed on unjudged" in note for note in notes)


def _who_is_calling(environ, start_response):
    reply = json.dumps({"port": environ.get("REMOTE_PORT")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))])
    return [reply]


def test_connections_to_the_upstream_are_kept_alive() -> None:
    with upstream_wsgi(_who_is_calling) as upstream, proxy(upstream.base_url) as (_, url):
        ports = {requests.get(f"{url}{LIST}", timeout=10).json()["port"] for _ in range(5)}
    assert len(ports) == 1  # one connection, reused by every request


def test_a_profile_level_checks_the_answers_one_exchange_shows() -> None:
    """Held to the contrarian profile, the default mock shows where it answers otherwise: a
    group_id mismatch refused with 403 (the profile says 400), a page of 25 (the profile caps it
    at 5), a DELETE that answers the calendar (the profile says {})."""
    with upstream_mock() as upstream, proxy(upstream.base_url, level="profile:contrarian") as (_, url):
        mismatch = requests.post(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10,
                                 json={"calendar": {"name": "Elsewhere", "group_id": 5}})
        page = requests.get(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        deleted = requests.delete(f"{url}{LIST}/2", params={"apikey": APIKEY}, auth=AUTH, timeout=10)
        tags = {v["rule"]: v["tag"] for e in journal(url, violations="yes") for v in e["violations"]}
    assert "profile.group_id_mismatch" in violations(mismatch)
    assert "profile.page_cap" in violations(page)
    assert "profile.delete_body" in violations(deleted)
    assert {tags[rule] for rule in tags if rule.startswith("profile.")} == {"PROFILE"}
