"""Routes a user adds to the app of `create_app`: they answer the paths the spec does not
define, the spec's paths keep priority, `api_user` authenticates like the API, and they are
journaled and faulted like the API. The README's example runs here as written."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import flask
import pytest

from mock_server import create_app
from mock_server.extension import api_user, current_mock

README = Path(__file__).resolve().parents[1] / "README.md"
KEY = {"apikey": "demo-apikey-4f1c2b"}
PRO = ("pro@demo.test", "demo-password")


def test_readme_stub_example_runs_as_written():
    section = README.read_text(encoding="utf-8").split("### Stubbing another ClicRDV resource", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section.split("\n### ", 1)[0], re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    namespace["test_fiches_answer_like_the_api"]()


@pytest.fixture
def app():
    app = create_app()

    @app.get("/api/v1/groups/<int:group_id>/fiches")
    def fiches(group_id):
        user = api_user(group_id)
        return {"user": user.email, "namespace_calendars": len(current_mock().store.dump()["calendars"])}

    @app.get("/api/v1/groups/<int:group_id>/calendars")  # the spec's path: never reached
    def shadow(group_id):
        return {"shadowed": True}

    @app.get("/api/v1/whoami")
    def whoami():
        return {"id": api_user().id}

    blueprint = flask.Blueprint("vevents", __name__)

    @blueprint.get("/groups/<int:group_id>/vevents")
    def vevents(group_id):
        api_user(group_id)
        return {"records": []}

    app.register_blueprint(blueprint, url_prefix="/api/v1")
    return app


def test_added_routes_and_blueprints_answer_paths_the_spec_does_not_define(app):
    client = app.test_client()
    assert client.get("/api/v1/groups/4/fiches", query_string=KEY, auth=PRO).get_json()["user"] == PRO[0]
    assert client.get("/api/v1/groups/4/vevents", query_string=KEY, auth=PRO).get_json() == {"records": []}
    assert client.get("/api/v1/whoami", query_string=KEY, auth=PRO).get_json() == {"id": 9}


def test_the_specs_paths_keep_priority(app):
    client = app.test_client()
    listed = client.get("/api/v1/groups/4/calendars", query_string=KEY, auth=PRO).get_json()
    assert "records" in listed and "shadowed" not in listed
    assert client.get("/api/v1/groups/4/nothing", query_string=KEY, auth=PRO).get_json() == {
        "error": "there is no resource at /api/v1/groups/4/nothing"}


def test_api_user_refuses_as_the_api_does(app):
    client = app.test_client()
    path = "/api/v1/groups/4/fiches"
    assert client.get(path, auth=PRO).status_code == 401  # no apikey
    assert client.get(path, query_string={"apikey": "nope"}, auth=PRO).status_code == 401
    assert client.get(path, query_string=KEY).status_code == 401
    assert client.get(path, query_string=KEY, auth=(PRO[0], "wrong")).status_code == 401
    other = client.get("/api/v1/groups/5/fiches", query_string=KEY, auth=PRO)
    assert other.status_code == 404 and other.get_json()["error"].startswith("group 5 does not exist")
    assert client.get("/api/v1/groups/99/fiches", query_string=KEY, auth=PRO).status_code == 404
    refused = client.post(path, query_string=KEY, auth=PRO)
    assert refused.status_code == 405 and "GET" in refused.headers["Allow"] and "error" in refused.get_json()
    current_mock_of = app.extensions["calendar_mock"]
    current_mock_of.settings.update({"credentials_refusal": "403"})
    assert client.get(path, query_string=KEY).status_code == 403


def test_api_user_takes_the_session_cookie(app):
    client = app.test_client()
    digest = hashlib.sha1(PRO[1].encode()).hexdigest()
    login = client.post("/api/v1/sessions/login.json",
                        query_string={**KEY, "pro[email]": PRO[0], "pro[password]": digest})
    assert login.status_code == 200
    assert client.get("/api/v1/groups/4/fiches", query_string=KEY).status_code == 200


def test_added_routes_are_journaled_and_faulted(app):
    client = app.test_client()
    mock = app.extensions["calendar_mock"]
    mock.faults.add({"action": "error", "path": "/fiches$", "times": 1, "status": 503})
    assert client.get("/api/v1/groups/4/fiches", query_string=KEY, auth=PRO).status_code == 503
    assert client.get("/api/v1/groups/4/fiches", query_string=KEY, auth=PRO).status_code == 200
    assert client.get("/api/v1/groups/5/fiches", query_string=KEY, auth=PRO).status_code == 404
    entries = client.get("/_mock/requests", query_string={"path": "/fiches"}).get_json()["requests"]
    assert [entry["status"] for entry in entries] == [503, 200, 404]
    assert entries[0]["fault"]["action"] == "error" and entries[1]["query"] == [["apikey", "***"]]
    refused = client.get("/_mock/requests/refused").get_json()
    assert "group 5" in str(refused) and "/fiches" in str(refused)


def test_added_routes_act_on_the_requests_namespace(app):
    client = app.test_client()
    created = client.post("/api/v1/groups/4/calendars", query_string=KEY, auth=PRO,
                          headers={"X-Mock-Namespace": "alice"}, json={"calendar": {"name": "only alice's"}})
    assert created.status_code == 201
    counts = {namespace: client.get("/api/v1/groups/4/fiches", query_string=KEY, auth=PRO,
                                    headers={"X-Mock-Namespace": namespace}).get_json()["namespace_calendars"]
              for namespace in ("alice", "bob")}
    assert counts["alice"] == counts["bob"] + 1


def test_without_added_routes_unknown_paths_answer_as_before():
    client = create_app().test_client()
    response = client.get("/api/v1/groups/4/fiches", query_string=KEY, auth=PRO)
    assert response.status_code == 404 and response.get_json()["error"].startswith("there is no resource")


def test_a_route_added_to_the_fixtures_app(calendar_mock_app):
    @calendar_mock_app.app.get("/api/v1/groups/<int:group_id>/availabletimeslots")
    def slots(group_id):
        api_user(group_id)
        return {"records": [{"start": "2024-01-15 09:00:00"}]}

    client = calendar_mock_app.app.test_client()
    answer = client.get("/api/v1/groups/4/availabletimeslots", query_string=KEY, auth=PRO)
    assert answer.get_json()["records"][0]["start"] == "2024-01-15 09:00:00"
    assert calendar_mock_app.requests(path="/availabletimeslots")[-1]["status"] == 200


def test_a_route_added_to_an_intercepting_mock_answers_the_apps_own_calls():
    import requests

    from mock_server import mock_clicrdv

    with mock_clicrdv() as mock:
        @mock.app.get("/api/v1/groups/<int:group_id>/fiches.json")
        def fiches(group_id):
            api_user(group_id)
            return {"records": [], "totalRecords": 0}

        url = "https://www.clicrdv.com/api/v1/groups/4/fiches.json"
        assert requests.get(url, params=KEY, auth=PRO, timeout=5).json() == {"records": [], "totalRecords": 0}
        assert requests.get(url, params=KEY, timeout=5).status_code == 401
