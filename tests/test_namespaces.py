"""Namespaces: one served mock, isolated mocks chosen by the `X-Mock-Namespace` header - each
its own data, settings, clock, journal and faults, made on first use from the start-up config,
bounded in number, reset and dropped one by one."""

from __future__ import annotations

import json
import re
import socket
import threading

import pytest
import requests
from spec_validation import DEMO_APIKEY, PRO, basic, calendar_path, calendars_path
from test_mock_cli import read_banner, serving

from mock_server import create_app

HEADER = "X-Mock-Namespace"


class Namespaced:
    """An in-process client that sends every request in one namespace (or none)."""

    def __init__(self, app, name: str | None = None) -> None:
        self.client = app.test_client()
        self.headers = {HEADER: name} if name is not None else {}

    def api(self, method: str, path: str, **kwargs):
        return self.client.open(path, method=method, query_string={"apikey": DEMO_APIKEY, **kwargs.pop(
            "query", {})}, auth=PRO, headers=self.headers, **kwargs)

    def control(self, method: str, path: str, **kwargs):
        return self.client.open("/_mock" + path, method=method, headers=self.headers, **kwargs)

    def ids(self) -> list[int]:
        body = self.api("GET", calendars_path(), query={"results": "all"}).get_json()
        return [record["id"] for record in body["records"]]

    def create(self, name: str) -> int:
        response = self.api("POST", calendars_path(), json={"calendar": {"name": name}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]


@pytest.fixture
def app():
    return create_app(max_namespaces=3)


def test_data_made_in_one_namespace_is_not_seen_in_another(app):
    a, b, default = Namespaced(app, "a"), Namespaced(app, "b"), Namespaced(app)
    assert a.create("only in a") == 13
    assert 13 in a.ids() and 13 not in b.ids() and 13 not in default.ids()
    assert b.create("only in b") == 13
    assert a.api("GET", calendar_path(13)).get_json()["name"] == "only in a"
    assert b.api("GET", calendar_path(13)).get_json()["name"] == "only in b"


def test_faults_settings_clock_and_journal_stay_in_their_namespace(app):
    a, b = Namespaced(app, "a"), Namespaced(app, "b")
    fault = {"action": "error", "path": ".", "ratio": 1.0}
    assert a.control("POST", "/faults", json=fault).status_code == 201
    a.control("PUT", "/settings", json={"deleted_calendars": "hidden"})
    a.control("PUT", "/clock", json={"frozen_at": "2024-01-15 09:00:00"})
    assert a.api("GET", calendar_path(1)).status_code == 500
    assert b.api("GET", calendar_path(1)).status_code == 200
    assert 6 in b.ids(), "b still lists soft-deleted calendars"
    assert b.api("POST", calendars_path(), json={"calendar": {"name": "b"}}).get_json()["created_at"] != (
        "2024-01-15 09:00:00")
    assert [entry["status"] for entry in a.control("GET", "/requests").get_json()["requests"]] == [500]
    assert len(b.control("GET", "/requests").get_json()["requests"]) == 3
    assert b.control("GET", "/faults").get_json()["faults"] == []


def test_reset_in_one_namespace_leaves_the_others(app):
    a, b = Namespaced(app, "a"), Namespaced(app, "b")
    a.create("a")
    b.create("b")
    assert a.control("POST", "/reset").get_json()["calendars"] == 12
    assert 13 not in a.ids() and 13 in b.ids()


def test_a_namespace_starts_from_the_start_up_config():
    app = create_app(settings={"page_cap": "5"})
    default, fresh = Namespaced(app), Namespaced(app, "fresh")
    default.control("PUT", "/settings", json={"page_cap": "none"})
    default.create("only in the default")
    assert fresh.control("GET", "/settings").get_json()["page_cap"] == "5"
    assert 13 not in fresh.ids()


def test_namespaces_are_bounded_listed_and_dropped(app):
    for name in ("a", "b", "c"):
        assert Namespaced(app, name).api("GET", calendar_path(1)).status_code == 200
    refused = Namespaced(app, "d").api("GET", calendar_path(1))
    assert refused.status_code == 400
    assert HEADER in refused.get_json()["errors"] and "at most 3" in refused.get_json()["error"]
    listed = Namespaced(app).control("GET", "/namespaces").get_json()
    assert listed["limit"] == 3
    assert [entry["name"] for entry in listed["namespaces"]] == ["default", "a", "b", "c"]
    assert Namespaced(app).control("DELETE", "/namespaces/b").get_json() == {"dropped": "b"}
    assert Namespaced(app).control("DELETE", "/namespaces/b").status_code == 404
    assert Namespaced(app).control("DELETE", "/namespaces/default").status_code == 400
    assert Namespaced(app, "d").api("GET", calendar_path(1)).status_code == 200


@pytest.mark.parametrize("name", ["", "has space", "-leading", "x" * 65, "émoji", "a/b"])
def test_a_bad_namespace_name_is_refused_naming_the_header(app, name):
    refused = Namespaced(app, name).api("GET", calendar_path(1))
    assert refused.status_code == 400 and HEADER in refused.get_json()["errors"]
    assert [entry["name"] for entry in Namespaced(app).control("GET", "/namespaces").get_json()["namespaces"]
            ] == ["default"]


def test_the_default_header_value_is_the_default_namespace(app):
    Namespaced(app, "default").create("in the default")
    assert 13 in Namespaced(app).ids()


@pytest.mark.http
def test_namespaces_used_from_threads_at_once(calendar_mock):
    """Eight threads, each in its own namespace on the fixture's server (waitress), each
    creating calendars: each sees exactly its own, and the default none of them."""
    errors: list[str] = []

    def work(name: str) -> None:
        session = requests.Session()
        session.headers[HEADER] = name
        url, params = calendar_mock.url(calendars_path()), {"apikey": calendar_mock.apikey}
        made = [session.post(url, params=params, auth=calendar_mock.auth, timeout=20,
                             json={"calendar": {"name": f"{name}-{n}"}}).json()["id"] for n in range(10)]
        listed = session.get(url, params={**params, "results": "all"}, auth=calendar_mock.auth, timeout=20)
        names = {record["name"] for record in listed.json()["records"]}
        if made != list(range(13, 23)) or {f"{name}-{n}" for n in range(10)} - names:
            errors.append(f"{name}: made {made}")
        if any(not found.startswith(name) for found in names if "-" in found):
            errors.append(f"{name}: sees another namespace's calendars")

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(calendar_mock.state()["calendars"]) == 12
    for n in range(8):  # the fixture's server is shared by the session: leave no namespace behind
        requests.delete(calendar_mock.url(f"/_mock/namespaces/t{n}"), timeout=10)


@pytest.mark.http
@pytest.mark.slow
def test_namespaces_under_granian(tmp_path):
    with serving("--max-namespaces", "1") as process:
        base = re.search(r"listening on (http://\S+)", read_banner(process))[1]
        url, auth = f"{base}{calendar_path(1)}", {"apikey": DEMO_APIKEY}
        a = {HEADER: "a"}
        requests.post(f"{base}/_mock/faults", json={"action": "error", "path": ".", "ratio": 1.0},
                      headers=a, timeout=10).raise_for_status()
        assert requests.get(url, params=auth, auth=PRO, headers=a, timeout=10).status_code == 500
        assert requests.get(url, params=auth, auth=PRO, timeout=10).status_code == 200
        refused = requests.get(url, params=auth, auth=PRO, headers={HEADER: "b"}, timeout=10)
        assert refused.status_code == 400 and "at most 1" in refused.json()["error"]


def test_a_namespace_header_granian_cannot_read_is_refused_not_dropped(tmp_path):
    """granian gives no value for a header that is not visible ASCII: the write must not land in
    the default namespace as if no header had been sent."""
    with serving() as process:
        base = re.search(r"listening on (http://\S+)", read_banner(process))[1]
        host, port = base.removeprefix("http://").split(":")
        before = requests.get(f"{base}/_mock/namespaces", timeout=10).json()
        body = b'{"calendar":{"name":"meant for another namespace"}}'
        head = (f"POST {calendars_path()}?apikey={DEMO_APIKEY} HTTP/1.1\r\nHost: x\r\n"
                f"Authorization: {basic(PRO)}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode()
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head + b"X-Mock-Namespace: caf\xc3\xa9\r\n\r\n" + body)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"].keys() == {HEADER}
        assert _still(requests.get(f"{base}/_mock/namespaces", timeout=10).json()) == _still(before)


def _still(described: dict) -> dict:
    """GET /_mock/namespaces without each clock's `now`, which moves on by itself."""
    return {**described, "namespaces": [
        {**namespace, "clock": {k: v for k, v in namespace["clock"].items() if k != "now"}}
        for namespace in described["namespaces"]]}
