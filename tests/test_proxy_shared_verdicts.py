"""Repeated reads are judged once: a request without a body seen lately shares its verdict, and
an answer to it seen lately shares its findings. Sharing must never change a verdict: anything
that differs - the answer's body, status or headers, the request's credentials - is judged
anew, and the memory it takes stays bounded."""

from __future__ import annotations

import base64

import orjson

from mock_server import create_app
from mock_server.proxy.findings import Level
from mock_server.proxy.recent import Recent
from mock_server.proxy.response_check import SHARED_ENTRIES, ExchangeJudge

SHOW = "/api/v1/groups/4/calendars/1"
QUERY = "apikey=demo-apikey-4f1c2b"
BASIC = {"authorization": "Basic " + base64.b64encode(b"pro@demo.test:demo-password").decode()}
JSON = [("Content-Type", "application/json")]


def rules(findings) -> list[str]:
    return sorted(violation.rule for violation in findings.violations)


def test_an_answer_that_changes_is_judged_anew() -> None:
    judge = ExchangeJudge(Level("documented"))
    verdict = judge.judge_request("GET", SHOW, QUERY, BASIC, b"")
    good = create_app().test_client().get(f"{SHOW}?{QUERY}", headers=BASIC).data
    calendar = orjson.loads(good)
    first = judge.judge_answer(verdict, 200, JSON, good)
    again = judge.judge_answer(judge.judge_request("GET", SHOW, QUERY, BASIC, b""), 200, JSON, good)
    wrong_id = judge.judge_answer(verdict, 200, JSON, orjson.dumps({**calendar, "id": 2}))
    as_html = judge.judge_answer(verdict, 200, [("Content-Type", "text/html")], good)
    failed = judge.judge_answer(verdict, 500, JSON, b'{"error": "boom"}')
    assert rules(first) == [] and again is first
    assert rules(wrong_id) == ["show.calendar"]
    assert "transport.json-responses" in rules(as_html)
    assert rules(failed)  # a 500 to a valid request
    assert rules(judge.judge_answer(verdict, 200, JSON, good)) == []  # and the good answer is still good


def test_a_request_that_differs_in_credentials_gets_its_own_verdict() -> None:
    judge = ExchangeJudge(Level("documented"))
    with_key = judge.judge_request("GET", SHOW, QUERY, BASIC, b"")
    without_key = judge.judge_request("GET", SHOW, "", BASIC, b"")
    without_basic = judge.judge_request("GET", SHOW, QUERY, {}, b"")
    assert with_key.has_credentials and not with_key.problems
    assert not without_key.has_credentials and not without_basic.has_credentials
    assert judge.judge_request("GET", SHOW, QUERY, BASIC, b"") is with_key


def test_requests_with_a_body_are_never_shared() -> None:
    judge = ExchangeJudge(Level("documented"))
    body = b'{"calendar": {"name": "x"}}'
    headers = {**BASIC, "content-type": "application/json"}
    first = judge.judge_request("PUT", SHOW, QUERY, headers, body)
    assert first.shared_as is None and judge.judge_request("PUT", SHOW, QUERY, headers, body) is not first


def test_what_is_kept_stays_bounded() -> None:
    judge = ExchangeJudge(Level("documented"))
    for page in range(SHARED_ENTRIES * 2):
        query = f"{QUERY}&startIndex={page}"
        verdict = judge.judge_request("GET", "/api/v1/groups/4/calendars", query, BASIC, b"")
        judge.judge_answer(verdict, 200, JSON, b'{"records": []}')
    assert len(judge._verdicts) == SHARED_ENTRIES and len(judge._findings) == SHARED_ENTRIES


def test_recent_drops_the_oldest_first() -> None:
    recent: Recent[int, str] = Recent(2)
    recent.put(1, "a")
    recent.put(2, "b")
    recent.put(1, "a again")  # replacing keeps the size and the entry's age
    recent.put(3, "c")
    assert (recent.get(1), recent.get(2), recent.get(3)) == (None, "b", "c")
