"""Resource bounds and secrecy: loopback by default, caps that hold, no secret in logs or journal."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from pathlib import Path

import calendar_fixtures
import pytest
import requests
from calendar_spec import load_spec

from mock_server import create_app, mock_of
from mock_server.serve.cli import build_parser
from mock_server.serve.waitress_server import serve_in_thread
from mock_server.traffic.journal import Journal

KEY = "demo-apikey-4f1c2b"
PASSWORD = "demo-password"
BASIC = {"Authorization": "Basic " + base64.b64encode(f"pro@demo.test:{PASSWORD}".encode()).decode()}


def test_the_cli_binds_loopback_unless_told_otherwise():
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"
    assert build_parser().parse_args(["serve", "--host", "0.0.0.0"]).host == "0.0.0.0"


def test_the_test_server_binds_loopback():
    with serve_in_thread(create_app()) as server:
        assert server.base_url.startswith("http://127.0.0.1:")


def _list(client, *pairs):
    return client.get("/api/v1/groups/4/calendars", query_string=[("apikey", KEY), *pairs], headers=BASIC)


def test_any_results_from_1_is_served_and_all_is_every_match():
    client = create_app().test_client()
    every = _list(client, ("results", "all")).get_json()
    assert every["pageSize"] == every["totalRecords"] == len(every["records"]) == 8
    for asked in (8, 1000, 5000, 10**9, 10**30):
        page = _list(client, ("results", asked)).get_json()
        assert page["records"] == every["records"] and page["pageSize"] == asked


def _conditions(count: int, field: str, op: str, value: str) -> list[tuple[str, str]]:
    pairs = []
    for index in range(count):
        pairs += [(f"conditions[{index}][field]", field), (f"conditions[{index}][op]", op),
                  (f"conditions[{index}][value]", f"{value}{index}" if op in ("!=", "not like") else value)]
    return pairs


@pytest.fixture(scope="module")
def big_group():
    """Group 4 with 3,000 calendars: enough for filters to cost something."""
    seed = json.loads((Path(calendar_fixtures.__file__).with_name("demo.json")).read_text(encoding="utf-8"))
    first = max(c["id"] for c in seed["calendars"]) + 1
    template = next(c for c in seed["calendars"] if c["group_id"] == 4 and not c["deleted"])
    seed["calendars"] += [dict(template, id=first + i, name=f"Agenda {'a' * 200} {i}") for i in range(3000)]
    return create_app(seed)


def test_filters_that_would_cost_too_much_are_refused_up_front_and_change_nothing(big_group):
    """The filter budget (`max-filter-steps`): an integer condition costs a step a calendar, so
    one condition more than the budget holds over the group's 3,008 calendars is refused, and
    as many as it holds are served."""
    limit = load_spec("mock")["x-clicrdv-limits"]["max-filter-steps"]
    fits = limit // 3008
    client = big_group.test_client()
    before = mock_of(big_group).store.dump()
    refused = _list(client, *_conditions(fits + 1, "id", "!=", "-"))
    assert refused.status_code == 400
    assert "conditions" in refused.get_json()["errors"]
    assert "steps" in refused.get_json()["error"]
    served = _list(client, *_conditions(fits, "id", "!=", "-"))
    assert served.status_code == 200 and served.get_json()["totalRecords"] == 3008
    assert mock_of(big_group).store.dump() == before


def test_the_budget_counts_what_filters_read_not_how_many_there_are(big_group):
    """A selective condition first leaves little for the others: cheap, so served however many
    follow; a `like` with many `_` over long names is refused, the same over the few calendars
    an intervention filter keeps is not."""
    client = big_group.test_client()
    narrow = [("conditions[0][field]", "id"), ("conditions[0][op]", "="), ("conditions[0][value]", "1")]
    many = narrow + [pair for pair in _conditions(200, "name", "!=", "nobody")
                     if not pair[0].startswith("conditions[0]")]
    renumbered = [(key.replace("[", "[", 1), value) for key, value in many]
    served = _list(client, *renumbered)
    assert served.status_code == 200 and [r["id"] for r in served.get_json()["records"]] == [1]
    wild = "%" + "a_" * 40 + "%"
    like = [("conditions[0][field]", "name"), ("conditions[0][op]", "like"), ("conditions[0][value]", wild)]
    assert _list(client, *like).status_code == 400
    assert _list(client, *like, ("intervention_ids[]", 21)).status_code == 200


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
