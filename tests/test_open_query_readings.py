"""A query's empty value and a scalar key given twice: readings CONTRACT.md leaves open.

invalid.parameters-refused (ASM) says a value no reading can take is refused. A deployment that
reads `results=` as no `results`, or `startIndex=1&startIndex=2` as one of them (Rack and Django
take the last, werkzeug the first), reads them some way many servers do: every server of
tests/independent does one or both. schemathesis' negative cases send such queries; the suite
failed them at strict on some seeds only (`make seeds` against busy_staging_server.py, seed
1349329491). Such a case is now not judged (contract_tests/schemathesis_layers/lenient.py);
the kit's mock, which refuses both, passes as well.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

import calendar_spec
import pytest
import schemathesis

from contract_tests.model import DEMO
from contract_tests.runner import SuiteOptions, run_suite
from contract_tests.schemathesis_layers import findings as engine_findings
from contract_tests.schemathesis_layers.lenient import valid_when_read_leniently
from contract_tests.schemathesis_layers.rules import open_reading
from mock_server import create_app

ARRAYS = ("calendarset_ids[]", "intervention_ids[]")
CREDENTIALS = {key: DEMO[key] for key in ("apikey", "user", "password", "group_id")}


def _query_parameters(operation_id: str):
    schema = schemathesis.openapi.from_dict(calendar_spec.load_spec("strict"))
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") == operation_id:
            return list(operation.query)
    raise LookupError(operation_id)


LIST = _query_parameters("listCalendars")


@pytest.mark.parametrize("query", [
    "apikey=k&results=",                                # empty: absent, the default page
    "apikey=k&startIndex=&sort=&dir=",
    "apikey=k&startIndex=&startIndex=%F4%85%9B%92&startIndex=",  # the last one counts: empty
    "apikey=k&startIndex=x&startIndex=5",               # the last one counts
    "apikey=k&startIndex=5&startIndex=x",               # the first one counts
    "apikey=k&results=all&results=3",
    "apikey=k&calendarset_ids%5B%5D=&calendarset_ids%5B%5D=8",  # an empty item of a list: left out
    "apikey=k&results=25.0",                            # an integral decimal: the integer
])
def test_a_query_some_open_reading_makes_valid(query: str) -> None:
    assert valid_when_read_leniently(LIST, f"http://h/api/v1/groups/4/calendars?{query}")


@pytest.mark.parametrize("query", [
    "apikey=k&results=abc",                              # no reading takes it
    "apikey=k&results=0",
    "apikey=k&startIndex=-1",
    "apikey=k&sort=zz-not-a-field",
    "apikey=k&startIndex=x&startIndex=&startIndex=y",    # first x, last y: neither reading valid
    "apikey=k&calendarset_ids%5B%5D=abc",
    "results=25",                                        # the apikey is required: absent
    "apikey=&results=25",                                # and empty is absent
])
def test_a_query_no_open_reading_makes_valid(query: str) -> None:
    assert not valid_when_read_leniently(LIST, f"http://h/api/v1/groups/4/calendars?{query}")


def _lenient_mock(accepted: list[str]):
    """The mock behind a front that reads the query as Rack does: the last of a repeated scalar
    key, an empty value as absent. `accepted`: each query the mock alone would have refused for
    those reasons, and that was answered 2xx."""
    app = create_app()
    inner = app.wsgi_app

    def front(environ, start_response):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        last = {key: index for index, (key, _) in enumerate(pairs)}
        read = [(key, value) for index, (key, value) in enumerate(pairs)
                if value != "" and (key in ARRAYS or key.startswith("conditions") or last[key] == index)]
        if read == pairs:
            return inner(environ, start_response)
        environ["QUERY_STRING"] = urlencode(read)

        def noted(status, headers, *rest):
            if status.startswith("2"):
                accepted.append(urlencode(pairs))
            return start_response(status, headers, *rest)
        return inner(environ, noted)

    app.wsgi_app = front
    return app


def _strict_conformance(app) -> set[str]:
    result = run_suite(SuiteOptions(app=app, **CREDENTIALS, level="strict", layers=("conformance",),
                                    seed=2, max_examples=10))
    return {failure.rule_id for outcome in result.outcomes for failure in outcome.failures}


def test_a_deployment_reading_them_so_passes_strict(monkeypatch) -> None:
    accepted: list[str] = []
    assert "invalid.parameters-refused" not in _strict_conformance(_lenient_mock(accepted))
    # the run did send such queries, and they were accepted: the rule had cases to leave alone
    assert accepted, "no generated query was read leniently: the test proves nothing"

    # and only the open readings are let pass: judged as before, the same run fails them
    monkeypatch.setattr(engine_findings, "open_reading", lambda *_: False)
    assert "invalid.parameters-refused" in _strict_conformance(_lenient_mock([]))


def _negative_put(body, invalid=("body",)):
    """A negative case as schemathesis hands it to the suite: where it was made invalid, its body."""
    negative = SimpleNamespace(mode=SimpleNamespace(is_negative=True))
    return SimpleNamespace(meta=SimpleNamespace(components={location: negative for location in invalid}),
                           body=body, method="PUT",
                           operation=SimpleNamespace(path="/api/v1/groups/{group_id}/calendars/{calendar_id}",
                                                     query=[]))


WITH_APIKEY = "http://127.0.0.1:1/api/v1/groups/4/calendars/9?apikey=k"


def test_a_body_apikey_of_another_type_beside_the_query_apikey_is_not_judged():
    """CONTRACT.md accepts the body's apikey "as if it were in the query" (C1), not which of two
    wins: strict_server reads the query's and accepted a number in the body (make seeds, strict,
    seed 2081327507, failed invalid.rules). Anything else wrong with the case is still judged."""
    judged = "negative_data_rejection"
    number = {"apikey": 5, "calendar": {}}
    assert open_reading(judged, _negative_put(number), WITH_APIKEY)
    assert open_reading(judged, _negative_put({"apikey": [], "x": 1, "calendar": {"city": "Lyon"}}),
                        WITH_APIKEY)
    # Judged: the query carries no apikey; the calendar is invalid too; the query was made
    # invalid too; another check; no apikey in the body at all.
    assert not open_reading(judged, _negative_put(number), WITH_APIKEY.split("?")[0])
    assert not open_reading(judged, _negative_put({"apikey": 5, "calendar": {"name": 5}}), WITH_APIKEY)
    assert not open_reading(judged, _negative_put(number, ("body", "query")), WITH_APIKEY)
    assert not open_reading("status_code_conformance", _negative_put(number), WITH_APIKEY)
    assert not open_reading(judged, _negative_put({"calendar": {"name": 5}}), WITH_APIKEY)
