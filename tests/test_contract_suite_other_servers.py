"""The contract suite passes servers that are not our mock's twin: other data, ids and groups,
an empty group, and deployments that answer every open question the other way; it fails
those that break our assumptions at strict level only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from calendar_spec import load_spec, rule_ids
from suite_runs import ALL_RULES, DOCUMENTED_RULES, GROUP, UNOBSERVABLE, describe, failed_rules, options

from contract_tests.model import NOT_SERVED
from contract_tests.runner import run_suite
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread


# -- no assumption about the data ---------------------------------------------------------------
def _calendar(cid: int, group: int, name: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": cid,
        "group_id": group,
        "calendarset_id": None,
        "name": name,
        "publicname": "",
        "address": None,
        "zipcode": None,
        "city": None,
        "sort": cid % 7,
        "generate_interval": 15,
        "mintime_rdv": 0,
        "maxrdv_period": 131400,
        "mintime_annulation": 2880,
        "deleted": False,
        "created_at": "2023-05-01 10:00:00",
        "updated_at": "2023-05-02 11:00:00",
    }
    record.update(fields)
    return record


OTHER_SEED: dict[str, Any] = {
    "apikeys": [{"key": "another-key-0987", "application": "elsewhere"}],
    "groups": [
        {"id": 70, "name": "Clinique Est"},
        {"id": 71, "name": "Clinique Ouest"},
        {"id": 90, "name": "Vide"},
    ],
    "users": [
        {"id": 501, "email": "accueil@est.test", "password": "pw-est", "group_id": 70},
        {"id": 502, "email": "accueil@ouest.test", "password": "pw-ouest", "group_id": 71},
    ],
    "calendarsets": [
        {"id": 300, "group_id": 70, "name": "Dentistes"},
        {"id": 301, "group_id": 70, "name": "Soins"},
        {"id": 305, "group_id": 71, "name": "Ouest"},
    ],
    "interventions": [
        {"id": 41, "group_id": 70, "name": "Détartrage", "interventionset_id": 1,
         "calendar_ids": [1001, 1004, 1010]},
        {"id": 43, "group_id": 70, "name": "Extraction", "interventionset_id": 1,
         "calendar_ids": [1004, 1007]},
        # soft-deleted: left out of the interventions list or listed, as deleted_interventions answers
        {"id": 45, "group_id": 70, "name": "Blanchiment", "interventionset_id": 2, "deleted": True,
         "calendar_ids": [1013]},
        {"id": 47, "group_id": 70, "name": "Contrôle", "calendar_ids": [1001, 1004, 1007, 1010, 1013]},
        {"id": 52, "group_id": 71, "name": "Radio", "calendar_ids": [1003]},
    ],
    "calendars": [
        _calendar(1001, 70, "Zoé Arnaud", calendarset_id=300, publicname="Dr Arnaud", sort=3),
        _calendar(1003, 71, "Ouest principal", calendarset_id=305),
        _calendar(1004, 70, "bernard (remplaçant)", calendarset_id=300, sort=3, generate_interval=30),
        _calendar(1005, 71, "Ouest annexe"),
        _calendar(1007, 70, "Ã‰milie Ça", calendarset_id=301, city="Metz", zipcode="57000", sort=-2),
        _calendar(1010, 70, "cabinet 2", publicname="Cabinet n°2", deleted=True, sort=9),
        _calendar(1013, 70, "Salle_Soins 100%", calendarset_id=301, mintime_rdv=1440),
        _calendar(1020, 70, "ÉTÉ", address="3 rue Haute", sort=0),
    ],
}
OTHER_IDENTITY = dict(
    apikey="another-key-0987",
    user="accueil@est.test",
    password="pw-est",
    group_id=70,
    other_user="accueil@ouest.test",
    other_password="pw-ouest",
    other_group_id=71,
)


@pytest.mark.slow
def test_passes_a_mock_with_other_data_ids_and_groups():
    result = run_suite(options(create_app(fixtures=OTHER_SEED), **OTHER_IDENTITY))
    assert result.passed, describe(result)
    assert result.rules_checked == ALL_RULES - UNOBSERVABLE
    assert any("interventions in use [41, 43, 45, 47]" in note for note in result.notes)


def test_passes_an_empty_group():
    """A group with no calendar at all: the suite creates what it needs."""
    identity = dict(OTHER_IDENTITY, group_id=90)
    seed = dict(
        OTHER_SEED,
        users=[
            *OTHER_SEED["users"],
            {"id": 503, "email": "vide@test.test", "password": "pw", "group_id": 90},
        ],
    )
    identity.update(user="vide@test.test", password="pw")
    result = run_suite(options(create_app(fixtures=seed), layers=("semantic", "auth"), **identity))
    assert result.passed, describe(result)


def test_intervention_any_fails_strict_only():
    """`intervention_match="any"` is allowed by the docs (ASM rule): strict fails it, documented passes."""
    strict = run_suite(options(create_app(intervention_match="any"), layers=("semantic",)))
    assert not strict.passed
    assert failed_rules(strict) == {"list.intervention-all"}, describe(strict)
    documented = run_suite(
        options(create_app(intervention_match="any"), layers=("semantic",), level="documented")
    )
    assert documented.passed, describe(documented)


def test_hidden_deleted_calendars_fail_strict_only():
    app_kwargs = {"deleted_calendars": "hidden"}
    strict = run_suite(options(create_app(**app_kwargs), layers=("semantic", "auth")))
    assert "list.deleted-listed" in failed_rules(strict)
    assert {f.tag for f in strict.failures} == {"ASM"}, describe(strict)
    documented = run_suite(options(create_app(**app_kwargs), layers=("semantic", "auth"), level="documented"))
    assert documented.passed, describe(documented)


def test_deleted_as_0_or_1_keeps_the_documented_contract_only():
    """A deployment answering `deleted` as 0/1 (Rails style): documented passes; strict fails
    the one assumption it breaks, and names no documented rule for it."""
    documented = run_suite(options(create_app(settings={"deleted_output": "integer"}), level="documented",
                                   layers=("semantic", "stateful", "conformance")))
    assert documented.passed, describe(documented)
    strict = run_suite(options(create_app(settings={"deleted_output": "integer"}),
                               layers=("semantic", "stateful", "conformance")))
    assert failed_rules(strict) == {"show.assumed-representation"}, describe(strict)


# -- a deployment that answers every open question the other way -----------------------------
QUESTIONS = load_spec("strict")["x-open-questions"]["questions"]


def other_answers(kind: str) -> dict[str, str]:
    """For each question of `kind`, an answer that is not the mock's default."""
    return {q["id"]: next(str(a) for a in q["answers"] if str(a) != str(q["default"]))
            for q in QUESTIONS if q["kind"] == kind}


@pytest.mark.slow
@pytest.mark.parametrize("level", ["documented", "strict"])
def test_passes_a_deployment_that_answers_every_open_question_the_other_way(level):
    """The suite was once tuned to its own mock: this mock answers all open questions otherwise
    (400 for a group_id mismatch, unknown calendarsets kept, pages capped at 5, startIndex as
    pages, another error shape, no Allow header, another cookie first, ...). A correct server."""
    settings = other_answers("open")
    assert len(settings) >= 15
    result = run_suite(options(create_app(settings=settings), level=level))
    assert result.passed, describe(result)
    assert result.rules_checked == (ALL_RULES if level == "strict" else DOCUMENTED_RULES) - UNOBSERVABLE


@pytest.mark.slow
@pytest.mark.http
def test_passes_other_answers_to_everything_over_http_with_writes_side_by_side():
    """The same through a real server (several Set-Cookie headers, capped pages over a socket),
    as QA runs a deployment (by URL: --concurrency 8, engines side by side), and one that leaves
    deleted calendars out of its lists and answers our other assumptions otherwise too: a
    generated DELETE beside another engine's list read in pages once made that read skip a
    calendar, and the documented run failed a correct server."""
    app = create_app(settings={**other_answers("open"), **other_answers("assumed")})
    with serve_in_thread(app) as server:
        result = run_suite(options(base_url=server.base_url, level="documented", max_examples=5))
    assert result.passed, describe(result)


@pytest.mark.slow
def test_other_answers_to_our_assumptions_fail_strict_only_on_assumptions():
    """Answering our assumptions (ASM) otherwise - any-of interventions, hidden deleted
    calendars, coerced "12", deleted as 0/1 - on top of every open question: strict fails, and
    only with ASM rules (documented passes: the test above)."""
    settings = {**other_answers("open"), **other_answers("assumed")}
    strict = run_suite(options(create_app(settings=settings), layers=("semantic", "auth")))
    assert not strict.passed
    assert {f.tag for f in strict.failures} == {"ASM"}, describe(strict)
    assert {"list.intervention-all", "list.deleted-listed", "invalid.strict-types",
            "show.assumed-representation"} <= failed_rules(strict)


# -- a deployment of the Calendar resource alone, answering what CONTRACT.md does not state its own way
BEYOND_CALENDARS = ("/interventions", "/calendarsets")
NOT_SERVED_RULES = {"resources.interventions", "resources.intervention-calendars",
                    "resources.calendarset-of-group"}


def calendars_only(app: Any) -> Any:
    """`app` as a deployment of CONTRACT.md alone: no interventions or calendarsets (404); a
    login that answers its own body, not the docs' example pro; `pageSize: 0` for `results=all`
    (pageSize = results, read by Rails as an integer); 404 for any path whose ids are not numbers, whatever
    the method (routes constrained to digits). Every request that reached one of those paths is
    kept in `app.config["beyond"]`."""
    inner = app.wsgi_app
    beyond: list[str] = app.config.setdefault("beyond", [])

    def deployment(environ, start_response):
        path = environ.get("PATH_INFO", "")
        after_groups = path.split("/api/v1/groups/", 1)[1].split("/") if "/api/v1/groups/" in path else []
        ids = [part.removesuffix(".json") for part in after_groups[0::2]]
        if any(marker in path for marker in BEYOND_CALENDARS) or any(not i.isdigit() for i in ids if i):
            if any(marker in path for marker in BEYOND_CALENDARS):
                beyond.append(f"{environ['REQUEST_METHOD']} {path}")
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"no such resource"]
        captured: dict[str, Any] = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(inner(environ, capture))
        query = environ.get("QUERY_STRING", "")
        document = None
        served = captured["status"][:3] == "200"
        if path.rstrip("/").removesuffix(".json").endswith("/sessions/login") and served:
            document = {"session_id": "opaque"}
        elif "results=all" in query and served:
            document = json.loads(body)
            if isinstance(document, dict) and "pageSize" in document:
                document["pageSize"] = 0
        if document is not None:
            body = json.dumps(document).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    app.wsgi_app = deployment
    return app


@pytest.mark.slow
@pytest.mark.parametrize("level", ["documented", "strict"])
def test_passes_a_deployment_of_the_calendar_resource_alone(level):
    """Found by running the suite against servers written from CONTRACT.md alone
    (tests/test_independent_servers.py): it failed them for not serving interventions, for a
    login body unlike the docs' example, for `pageSize: "all"` and for a 404 to TRACE on
    `/groups/0.5/calendars`. None of these is in CONTRACT.md."""
    app = calendars_only(create_app())
    result = run_suite(options(app, level=level, max_examples=5))
    assert result.passed, describe(result)
    not_served = {row.rule_id for row in result.rule_table() if row.why == NOT_SERVED}
    assert not_served == {rule for rule in NOT_SERVED_RULES if rule in rule_ids(level)}
    # Discovery only: each list, and one record the calendars name (its 404 too: not served).
    assert app.config["beyond"] == [f"GET /api/v1/groups/{GROUP}/interventions",
                                    f"GET /api/v1/groups/{GROUP}/calendarsets",
                                    f"GET /api/v1/groups/{GROUP}/interventions/21",
                                    f"GET /api/v1/groups/{GROUP}/calendarsets/8"]


def list_answers_404(app: Any, resource: str) -> Any:
    """`app` with a fault: the list of `resource` answers 404, its records are still served."""
    inner = app.wsgi_app

    def deployment(environ, start_response):
        if environ.get("PATH_INFO", "").removesuffix(".json").endswith(f"/{resource}"):
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "not found"}']
        return inner(environ, start_response)

    app.wsgi_app = deployment
    return app


@pytest.mark.parametrize(("resource", "rule"), [("interventions", "resources.interventions"),
                                                ("calendarsets", "resources.calendarset-of-group")])
def test_a_list_that_answers_404_while_its_records_answer_fails_not_skips(resource, rule):
    """A 404 on a list says "not served" only if the records the calendars name are not served
    either: a deployment that serves them and 404s the list has a fault, and its rule fails."""
    result = run_suite(options(list_answers_404(create_app(), resource), layers=("semantic",)))
    assert rule in failed_rules(result), describe(result)
    assert not {row.rule_id for row in result.rule_table() if row.why == NOT_SERVED}
    assert any(f"the {resource} list answers 404" in note for note in result.notes)
