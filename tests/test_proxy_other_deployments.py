"""The proxy in front of correct deployments written apart from the kit (tests/independent), at
--level documented: what they answer otherwise than the kit's mock, where CONTRACT.md leaves it
open or says nothing, is no violation - calendarsets paths the level does not judge, a cap on
the page with pageSize echoing results, a login answering no `pro`, a 404 or a CORS preflight
where a method is not served, a body group_id ignored. And what CONTRACT.md does state still is
one (a calendar created in another group than the path's)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from independent_servers import CREDENTIALS, SIX_CREDENTIALS
from proxy_support import APIKEY, AUTH, LIST, proxy, sha1, upstream_wsgi, violations

from mock_server import create_app

pytestmark = pytest.mark.http
KEY, USER, PASSWORD = CREDENTIALS["apikey"], CREDENTIALS["user"], CREDENTIALS["password"]
CALENDARS = "/api/v1/groups/40/calendars"


def _violations(answer: requests.Response) -> list[str]:
    return violations(answer)


def test_a_path_the_level_does_not_judge_is_no_method_violation(serve) -> None:
    with proxy(serve("strict_server.py"), level="documented") as (_, url):
        answer = requests.get(f"{url}/api/v1/groups/40/calendarsets", params={"apikey": KEY},
                              auth=(USER, PASSWORD), timeout=10)
    assert _violations(answer) == [], answer.headers["X-Contract-Violations"]


def test_a_login_that_answers_no_pro_is_no_violation(serve) -> None:
    # strict_server answers {"session_id": ...} and the cookie: CONTRACT.md states the cookie alone.
    with proxy(serve("strict_server.py"), level="documented") as (_, url):
        answer = requests.post(f"{url}/api/v1/sessions/login", timeout=10, params={
            "apikey": KEY, "pro[email]": USER, "pro[password]": sha1(PASSWORD)})
    assert answer.status_code == 200 and "_session_id" in answer.cookies
    assert _violations(answer) == [], answer.headers["X-Contract-Violations"]


@pytest.mark.parametrize(("server", "method", "path"), [
    ("capped_pages_server.py", "PATCH", f"{CALENDARS}/abc"),  # 404: no id (which error wins is open)
    ("sixth_server.py", "OPTIONS", "/api/v1/sessions/login"),  # a CORS preflight, answered
])
def test_an_unserved_method_answered_otherwise_for_a_reason_of_its_own(serve, server, method, path) -> None:
    six = server == "sixth_server.py"
    credentials = SIX_CREDENTIALS if six else CREDENTIALS
    with proxy(serve(server), level="documented") as (_, url):
        answer = requests.request(method, f"{url}{path}", params={"apikey": credentials["apikey"]},
                                  auth=(credentials["user"], credentials["password"]), timeout=10)
    assert answer.status_code == (200 if six else 404)
    assert "method.405" not in _violations(answer), answer.headers["X-Contract-Violations"]


def test_a_page_the_deployment_caps_is_no_paging_violation(serve) -> None:
    # capped_pages_server serves at most 20 records a page and says pageSize = results (25).
    with proxy(serve("capped_pages_server.py"), level="documented") as (_, url), requests.Session() as client:
        client.auth, client.params = (USER, PASSWORD), {"apikey": KEY}
        for number in range(25):
            assert client.post(f"{url}{CALENDARS}", json={"calendar": {"name": f"Cap {number}"}},
                               timeout=10).status_code == 201
        asked = ({"results": "25"}, {}, {"results": "25", "startIndex": "20"},
                 {"results": "25", "startIndex": "1"})
        pages = [client.get(f"{url}{CALENDARS}", params=params, timeout=10) for params in asked]
    served = [len(page.json()["records"]) for page in pages]
    assert served[0] == 20 and served[0] < pages[0].json()["totalRecords"]  # capped indeed
    said = [page.headers["X-Contract-Violations"] for page in pages]
    assert [_violations(page) for page in pages] == [[]] * 4, said


def test_a_body_group_id_the_deployment_ignores_is_no_violation(serve) -> None:
    six = SIX_CREDENTIALS
    group, other = six["group_id"], six["other_group_id"]
    with proxy(serve("sixth_server.py"), level="documented") as (_, url):
        answer = requests.post(f"{url}/api/v1/groups/{group}/calendars", params={"apikey": six["apikey"]},
                               auth=(six["user"], six["password"]), timeout=10,
                               json={"calendar": {"name": "Ignored group", "group_id": other}})
    assert answer.status_code == 201 and answer.json()["group_id"] == group
    assert _violations(answer) == [], answer.headers["X-Contract-Violations"]


def _into_the_body_s_group(app: Any) -> Any:
    """The mock, but a create whose body names another group is made there and answered 201."""
    inner = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] != "POST":
            return inner(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        body = json.loads(raw or b"{}")
        created = {"id": 999, "name": body["calendar"]["name"], "group_id": body["calendar"]["group_id"]}
        payload = json.dumps(created).encode()
        start_response("201 Created", [("Content-Type", "application/json"),
                                       ("Content-Length", str(len(payload)))])
        return [payload]

    app.wsgi_app = wrapped
    return app


def test_a_calendar_created_in_the_body_s_group_is_a_violation() -> None:
    # CONTRACT.md: which 4xx a group_id mismatch gets is open; a 2xx that writes into another
    # group is not.
    with upstream_wsgi(_into_the_body_s_group(create_app())) as upstream, \
            proxy(upstream.base_url, level="documented") as (_, url):
        answer = requests.post(f"{url}{LIST}", params={"apikey": APIKEY}, auth=AUTH, timeout=10,
                               json={"calendar": {"name": "Elsewhere", "group_id": 5}})
    assert answer.status_code == 201
    assert "create.created" in _violations(answer), answer.headers["X-Contract-Violations"]
