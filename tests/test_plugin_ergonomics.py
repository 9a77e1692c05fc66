"""pytest ergonomics: the `calendar_mock` marker and the session's ini options, for the three
fixtures; and seed files that hold only what a create needs."""

from __future__ import annotations

import copy
import json

import pytest
from spec_validation import DEMO, DEMO_APIKEY, PRO, calendars_path

from mock_server import create_app, mock_of
from mock_server.errors import SeedError

# A seed with what creates need and no more: the user, and calendars by group and name.
PARTIAL_SEED = {
    "apikeys": [{"key": DEMO_APIKEY}],
    "groups": [{"id": 4}, {"id": 5}],
    "users": [{"id": 1, "email": PRO[0], "password": PRO[1], "group_id": 4}],
    "calendars": [
        {"group_id": 4, "name": "First"},
        {"group_id": 5, "name": "Elsewhere", "id": 40},
        {"group_id": 4, "name": "Sorted", "sort": 7},
        {"group_id": 4, "name": "After", "publicname": "Ouvert", "deleted": True},
    ],
}

ERGONOMICS_TESTS = """
    import pytest
    import requests

    def names(mock, client=None):
        path, params = "/api/v1/groups/4/calendars", {"apikey": mock.apikey, "results": "all"}
        if client is not None:
            body = client.get(path, query_string=params, auth=mock.auth).get_json()
        else:
            body = requests.get(mock.url(path), params=params, auth=mock.auth, timeout=5).json()
        return [record["name"] for record in body["records"]]

    def check(mock, expected_names, deleted_calendars, client=None):
        assert names(mock, client) == expected_names
        assert mock.profile()["deleted_calendars"] == deleted_calendars

    SESSION = ["From the ini"]
    MARKED = ["Marked one", "Marked two"]

    def test_served_session(calendar_mock):
        check(calendar_mock, SESSION, "hidden")         # contrarian hides deleted calendars

    def test_in_process_session(calendar_mock_app):
        check(calendar_mock_app, SESSION, "hidden", calendar_mock_app.app.test_client())

    def test_intercepted_session(calendar_mock_intercept):
        check(calendar_mock_intercept, SESSION, "hidden")

    MARK = pytest.mark.calendar_mock(seed="seeds/marked.json", profile="default", intervention_match="any")

    @MARK
    def test_served_marked(calendar_mock):
        check(calendar_mock, MARKED, "listed")
        assert calendar_mock.profile()["intervention_match"] == "any"

    @MARK
    def test_in_process_marked(calendar_mock_app):
        check(calendar_mock_app, MARKED, "listed", calendar_mock_app.app.test_client())
        assert calendar_mock_app.profile()["intervention_match"] == "any"

    @MARK
    def test_intercepted_marked(calendar_mock_intercept):
        check(calendar_mock_intercept, MARKED, "listed")

    @pytest.mark.calendar_mock(seed={"apikeys": [{"key": "k"}], "groups": [{"id": 4}],
        "users": [{"id": 1, "email": "a@b.test", "password": "pw", "group_id": 4}],
        "calendars": [{"group_id": 4, "name": "From a dict"}]})
    def test_intercepted_dict_seed(calendar_mock_intercept):
        assert calendar_mock_intercept.auth == ("a@b.test", "pw")
        assert names(calendar_mock_intercept) == ["From a dict"]

    def test_served_session_again(calendar_mock):
        check(calendar_mock, SESSION, "hidden")         # back to the session's after a marked test
"""


def _seed(names: list[str]) -> str:
    seed = copy.deepcopy(PARTIAL_SEED)
    seed["calendars"] = [{"group_id": 4, "name": name} for name in names]
    return json.dumps(seed)


@pytest.mark.http
def test_marker_and_ini_options_reach_every_fixture(pytester):
    pytester.makeini("[pytest]\n"
                     "calendar_mock_seed = seeds/session.json\ncalendar_mock_profile = contrarian\n")
    pytester.mkdir("seeds")
    (pytester.path / "seeds" / "session.json").write_text(_seed(["From the ini"]))
    (pytester.path / "seeds" / "marked.json").write_text(_seed(["Marked one", "Marked two"]))
    pytester.makepyfile(test_ergonomics=ERGONOMICS_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=8)


def test_the_marker_is_registered_and_misuse_is_named(pytester):
    pytester.makepyfile(test_misuse="""
        import pytest

        @pytest.mark.calendar_mock("seed.json")
        def test_positional(calendar_mock_app):
            pass

        @pytest.mark.calendar_mock(no_such_question="yes")
        def test_unknown_setting(calendar_mock_intercept):
            pass

        @pytest.mark.calendar_mock(seed="missing.json")
        def test_missing_seed(calendar_mock_app):
            pass
    """)
    markers = pytester.runpytest_subprocess("--markers", "-p", "no:cacheprovider")
    markers.stdout.fnmatch_lines(["@pytest.mark.calendar_mock(seed=None, profile=None, strict=None, *"])
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*takes keywords only*"])
    result.stdout.fnmatch_lines(["*unknown setting 'no_such_question'*"])
    result.stdout.fnmatch_lines(["*missing.json*"])


# -- seed files with only what a create needs ---------------------------------------------
def test_a_partial_seed_takes_what_a_create_would_give(client):
    app = create_app(PARTIAL_SEED)
    calendars = {calendar["name"]: calendar for calendar in mock_of(app).store.dump()["calendars"]}
    created = client.post(calendars_path(), json={"calendar": {"name": "First"}}).get_json()
    fields = set(created) - {"id", "sort", "created_at", "updated_at"}
    assert {key: calendars["First"][key] for key in fields} == {key: created[key] for key in fields}
    # sort: the group's largest so far in file order, + 1; ids: after the largest given
    assert [(c["name"], c["id"], c["sort"]) for c in calendars.values()] == [
        ("Elsewhere", 40, 1), ("First", 41, 1), ("Sorted", 42, 7), ("After", 43, 8)]
    assert calendars["After"]["publicname"] == "Ouvert" and calendars["After"]["deleted"] is True
    assert calendars["First"]["created_at"] == calendars["First"]["updated_at"]


def test_a_full_seed_is_kept_as_it_is():
    assert mock_of(create_app(DEMO)).store.dump()["calendars"] == DEMO["calendars"]


@pytest.mark.parametrize("calendar, message", [
    ({"group_id": 4}, "calendars[1]: name is required"),
    ({"group_id": 4, "name": "x" * 256, "id": 7}, "calendars[1] (id 7): name is longer than 255 characters"),
    ({"group_id": 4, "name": "n", "mintime_rdv": -1}, "calendars[1]: mintime_rdv must be at least 0"),
    ({"name": "n", "id": 9}, "calendars[1] (id 9): group_id is required"),
    ({"group_id": 6, "name": "n", "id": 9}, "calendars[1] (id 9): group_id 6 is not a group of the seed"),
    ({"group_id": 4, "name": "n", "id": 1}, "calendars[1] (id 1): id 1 is another calendar's too"),
    ("a calendar", "calendars[1]: calendar must be an object"),
])
def test_seed_errors_name_the_file_the_calendar_and_the_field(tmp_path, calendar, message):
    seed = {**PARTIAL_SEED, "calendars": [{"group_id": 4, "name": "ok", "id": 1}, calendar]}
    path = tmp_path / "my-seed.json"
    path.write_text(json.dumps(seed))
    with pytest.raises(SeedError) as refused:
        create_app(path)
    assert str(refused.value) == f"{path}: {message}"
    with pytest.raises(SeedError) as refused:
        create_app(seed)
    assert str(refused.value) == message


def test_a_seed_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(SeedError, match=f"^{path}: not valid JSON"):
        create_app(path)


def test_a_partial_seed_through_the_control_plane(client):
    assert client.control("POST", "/reset", json=PARTIAL_SEED).get_json() == {"reset": True, "calendars": 4}
    before = client.mock.store.dump()
    bad = {**PARTIAL_SEED, "calendars": [{"group_id": 4, "name": 5}]}
    answer = client.control("POST", "/reset", json=bad)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "seed data refused: calendars[0]: name must be a string"
    assert client.mock.store.dump() == before
