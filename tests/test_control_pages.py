"""The pages under /_mock/ as HTML (tests/browser drives them in a browser): every file they
load is served by the mock, every value is escaped, and ?namespace= shows that namespace."""

from __future__ import annotations

import json
import re

import pytest

from mock_server import create_app

KEY = "demo-apikey-4f1c2b"
AUTH = {"Authorization": "Basic cHJvQGRlbW8udGVzdDpkZW1vLXBhc3N3b3Jk"}  # pro@demo.test:demo-password
HOSTILE = "<script>alert(1)</script>"
SEED = {"apikeys": [{"key": "k-7"}], "groups": [{"id": 7, "name": HOSTILE}],
        "users": [{"id": 1, "email": "me@clinic.test", "password": "pw", "group_id": 7}],
        "calendars": [{"group_id": 7, "name": "Dr A"}]}


@pytest.fixture
def client():
    return create_app().test_client()


def page_config(html: str) -> dict:
    return json.loads(re.search(r'<script id="page-config" type="application/json">(.*?)</script>', html)[1])


@pytest.mark.parametrize("page", ["/_mock/docs", "/_mock/"])
def test_every_file_a_page_loads_is_served_by_the_mock(client, page):
    answer = client.get(page)
    assert answer.status_code == 200 and answer.content_type == "text/html; charset=utf-8"
    files = re.findall(r'(?:src|href)="(/_mock/[^"]+\.(?:js|css|png))"', answer.text)
    assert len(files) >= 3, files
    for path in files:
        assert client.get(path).status_code == 200, path
    links = re.findall(r'(?:src|href)="([^"]+)"', answer.text)
    assert [link for link in links if not link.startswith("/_mock/")] == []  # nothing from elsewhere


def test_the_docs_are_authorised_with_the_seed_s_first_apikey_and_user(client):
    login = page_config(client.get("/_mock/docs").text)["login"]
    assert login == {"apikey": KEY, "email": "pro@demo.test", "password": "demo-password", "group_id": 4}
    assert client.get("/_mock/docs/swagger-ui/swagger-ui-bundle.js").data.startswith(b"/*")
    assert client.get("/_mock/docs/swagger-ui/../control_pages.py").status_code == 404


def test_the_dashboard_escapes_what_the_seed_and_the_journal_hold(client):
    assert client.post("/_mock/reset", json=SEED).status_code == 200
    for page in ("/_mock/", "/_mock/dashboard/summary"):
        html = client.get(page).text
        assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Dr A" not in client.get("/_mock/dashboard/summary").text  # counts, not records


def test_a_namespace_s_pages_show_that_namespace(client):
    assert client.post("/_mock/reset", json=SEED, headers={"X-Mock-Namespace": "ci-1"}).status_code == 200
    docs = page_config(client.get("/_mock/docs?namespace=ci-1").text)
    assert docs == {"namespace": "ci-1", "login": {"apikey": "k-7", "email": "me@clinic.test",
                                                    "password": "pw", "group_id": 7}}
    assert 'data-group="7"' in client.get("/_mock/?namespace=ci-1").text
    in_header = client.get("/_mock/dashboard/summary", headers={"X-Mock-Namespace": "ci-1"})
    assert 'data-group="7"' in in_header.text
    assert 'data-group="7"' not in client.get("/_mock/").text  # the default namespace is untouched
    refused = client.get("/_mock/?namespace=no%20spaces")
    assert refused.status_code == 400 and "X-Mock-Namespace" in refused.json["error"]


def test_the_summary_names_the_profile_and_counts_per_group(client):
    group_4 = re.compile(r'data-group="4">.*?class="num calendars">(\d+)<', re.S)
    summary = client.get("/_mock/dashboard/summary").text
    assert '<span id="profile">default</span>' in summary
    assert group_4.search(summary)[1] == "8"
    client.post(f"/api/v1/groups/4/calendars?apikey={KEY}", json={"calendar": {"name": "X"}}, headers=AUTH)
    assert group_4.search(client.get("/_mock/dashboard/summary").text)[1] == "9"
    client.put("/_mock/profile?builtin=contrarian")
    assert '<span id="profile">contrarian</span>' in client.get("/_mock/dashboard/summary").text
    client.put("/_mock/settings", json={"page_cap": "none"})  # the default answer, the rest contrarian
    assert '<span id="profile">custom</span>' in client.get("/_mock/dashboard/summary").text


def test_the_dashboard_is_at_the_control_plane_s_root(client):
    answer = client.get("/_mock")
    assert answer.status_code == 308 and answer.headers["Location"].endswith("/_mock/")
