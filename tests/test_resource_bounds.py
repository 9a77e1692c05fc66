"""Resource bounds and secrecy: loopback by default, caps that hold, no secret in logs or journal."""

from __future__ import annotations

import base64
import hashlib
import json
import logging

import pytest
import requests

from mock_server import create_app, mock_of
from mock_server.cli import build_parser
from mock_server.journal import Journal
from mock_server.server import serve_in_thread

KEY = "demo-apikey-4f1c2b"
PASSWORD = "demo-password"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"pro@demo.test:{PASSWORD}".encode()).decode()}


def test_the_cli_binds_loopback_unless_told_otherwise():
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert build_parser().parse_args(["serve", "--host", "0.0.0.0"]).host == "0.0.0.0"


def test_the_test_server_binds_loopback():
    with serve_in_thread(create_app()) as server:
        assert server.base_url.startswith("http://127.0.0.1:")


def test_results_is_capped_and_all_is_the_way_past_the_cap():
    client = create_app().test_client()
    over = client.get("/api/v1/groups/4/calendars", query_string={"apikey": KEY, "results": 1001},
                      headers=BASIC)
    assert over.status_code == 400 and "at most 1000" in over.get_json()["error"]
    assert client.get("/api/v1/groups/4/calendars", query_string={"apikey": KEY, "results": 1000},
                      headers=BASIC).status_code == 200
    every = client.get("/api/v1/groups/4/calendars", query_string={"apikey": KEY, "results": "all"},
                       headers=BASIC).get_json()
    assert every["pageSize"] == every["totalRecords"] == len(every["records"])


def test_journal_capacity_is_configurable_and_refuses_nonsense():
    app = create_app(journal_size=3)
    client = app.test_client()
    for _ in range(10):
        client.get("/api/v1/groups/4/calendars", query_string={"apikey": KEY}, headers=BASIC)
    assert len(mock_of(app).journal.entries()) == 3
    with pytest.raises(ValueError):
        Journal(0)


def test_journal_keeps_large_bodies_short():
    app = create_app()
    client = app.test_client()
    client.post("/api/v1/groups/4/calendars", query_string={"apikey": KEY}, headers=BASIC,
                json={"calendar": {"name": "x", "address": "a" * 60_000}})
    entry = mock_of(app).journal.entries()[-1]
    assert entry["status"] == 400
    assert len(json.dumps(entry)) < 10_000


def test_sessions_are_bounded():
    app = create_app()
    store = mock_of(app).store
    user = store.user_with_password("pro@demo.test", PASSWORD)
    for _ in range(10_050):
        store.open_session(user)
    assert store.dump()["sessions"] == 10_000


def test_no_secret_reaches_the_journal_or_the_logs(caplog):
    digest = hashlib.sha1(PASSWORD.encode()).hexdigest()
    app = create_app()
    caplog.set_level(logging.DEBUG)
    with serve_in_thread(app) as server:
        base = server.base_url
        session = requests.Session()
        session.get(f"{base}/api/v1/groups/4/calendars", params={"apikey": KEY}, headers=BASIC, timeout=5)
        session.post(f"{base}/api/v1/groups/4/calendars", headers=BASIC, timeout=5,
                     json={"apikey": KEY, "calendar": {"name": "body key"}})
        session.post(f"{base}/api/v1/sessions/login", timeout=5,
                     params={"apikey": KEY, "pro[email]": "pro@demo.test", "pro[password]": digest})
        session.post(f"{base}/api/v1/sessions/login.json", timeout=5,
                     data={"apikey": KEY, "pro[email]": "pro@demo.test", "pro[password]": digest})
        cookie = session.cookies.get("_session_id")
        session.get(f"{base}/api/v1/groups/4/calendars/1", params={"apikey": KEY}, timeout=5)
        session.get(f"{base}/api/v1/groups/4/calendars", params={"apikey": "wrong-" + KEY}, timeout=5)
        journal = requests.get(f"{base}/_mock/requests", timeout=5).text
    assert cookie
    assert json.loads(journal)["count"] == 6
    server_side = [r for r in caplog.records if not r.name.startswith(("urllib3", "requests"))]
    logs = "\n".join(record.getMessage() for record in server_side)
    for secret in (KEY, PASSWORD, digest, cookie, BASIC["Authorization"].split()[1]):
        assert secret not in journal
        assert secret not in logs
