"""The suite on a staging server in use: another client writes to both of the run's groups while
it runs (creates in the second identity's group, edits in the run's own). A correct deployment
still passes - the comparisons another client's write can upset are either made on what the run
itself sent, or reported as not judged when the group moves while the run sends it nothing - and
a fault is still caught when nobody else writes (tests/test_planted_faults.py)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import requests
from suite_runs import APIKEY, describe, options

from contract_tests.model import OTHERS_WRITE
from contract_tests.runner import run_suite
from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

pytestmark = [pytest.mark.http, pytest.mark.slow]
MANAGER = ("manager@demo.test", "manager-password")  # may access groups 4 and 5
MAX_WRITES = 2000  # the other client's, at most


@contextlib.contextmanager
def other_client(base_url: str, pause_s: float) -> Iterator[list[int]]:
    """A client of its own writing every `pause_s` until the block ends: a calendar created in
    group 5 and its own calendar of group 4 renamed each time; yields the count of its writes."""
    written = [0]
    stop = threading.Event()
    url = f"{base_url}/api/v1/groups/{{group}}/calendars"
    query = {"apikey": APIKEY}

    def write() -> None:
        with requests.Session() as session:
            session.auth = MANAGER
            own = session.post(url.format(group=4), params=query, timeout=10,
                               json={"calendar": {"name": "other-client-4"}}).json()["id"]
            for turn in range(MAX_WRITES // 2):
                if stop.is_set():
                    return
                session.post(url.format(group=5), params=query, timeout=10,
                             json={"calendar": {"name": f"other-client-5-{turn}"}})
                session.put(f"{url.format(group=4)}/{own}", params=query, timeout=10,
                            json={"calendar": {"publicname": f"other client {turn}"}})
                written[0] += 2
                stop.wait(pause_s)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield written
    finally:
        stop.set()
        thread.join(15)


def test_another_client_writing_to_both_groups_makes_no_finding() -> None:
    with serve_in_thread(create_app()) as running, other_client(running.base_url, 0.02) as written:
        started = time.monotonic()
        result = run_suite(options(base_url=running.base_url, app=None, layers=("semantic", "auth"),
                                   concurrency=4))
        took = time.monotonic() - started
    assert written[0] >= 10, "the other client wrote while the run ran"
    assert result.passed, describe(result)
    unjudged = [row.rule_id for row in result.rule_table() if row.why == OTHERS_WRITE]
    print(f"\n{written[0]} writes by the other client in {took:.1f} s; not judged: {unjudged}")


def test_two_runs_in_one_group_at_once_both_pass() -> None:
    # Two CI jobs (the two levels side by side, say) against one staging: each is the other's
    # "another client".
    with serve_in_thread(create_app()) as running:
        results: dict[str, object] = {}

        def run(level: str) -> None:
            results[level] = run_suite(options(base_url=running.base_url, app=None, level=level,
                                               layers=("semantic", "auth"), concurrency=4))

        threads = [threading.Thread(target=run, args=(level,)) for level in ("strict", "documented")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
    for level in ("strict", "documented"):
        assert results[level].passed, describe(results[level])


def _another_client_creates_first(app: Any, user: tuple[str, str]) -> list[int]:
    """`app` with another client's create slipped in before the run's first empty PUT to an id of
    group 4 that does not exist yet: calendars are created (as `user`, the run's own user, as a
    second CI job would) until that id exists. The ids of what it created."""
    inner, created = app.wsgi_app, []
    client = app.test_client()

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        found = re.fullmatch(r"/api/v1/groups/4/calendars/(\d+)", environ["PATH_INFO"])
        if environ["REQUEST_METHOD"] == "PUT" and found and not created:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            wanted = int(found[1])
            if json.loads(body or b"null") == {"calendar": {}} and client.get(
                    f"/api/v1/groups/4/calendars/{wanted}", query_string={"apikey": APIKEY},
                    auth=user).status_code == 404:
                for _ in range(20):
                    made = client.post("/api/v1/groups/4/calendars", query_string={"apikey": APIKEY},
                                       auth=user, json={"calendar": {"name": "another-ci-job"}}).json["id"]
                    created.append(made)
                    if made >= wanted:
                        break
        return inner(environ, start_response)

    app.wsgi_app = wrapped
    return created


def test_another_client_creating_the_next_id_between_a_probe_and_its_put_makes_no_finding() -> None:
    # The isolation probes are ids just past the group's: the ids a deployment hands out next. A
    # create by someone else between a probe's GET (404) and its PUT makes a calendar of the
    # user's own group, which the PUT may write (a run beside another once failed so).
    app = create_app()
    created = _another_client_creates_first(app, ("pro@demo.test", "demo-password"))
    result = run_suite(options(app=app, layers=("auth",)))
    assert created, "the other client never created: the race was not staged"
    assert result.passed, describe(result)
    [outcome] = [o for o in result.outcomes if o.name == "isolation.other-group-calendar-404"]
    assert "passed when re-run" in outcome.reason, outcome.reason


def _created_after_first_refused_post(app: Any, name: str) -> list[int]:
    """`app` with a calendar named `name` created in group 4 by someone else right after the
    first POST it refuses there: between the snapshots that judge that refusal."""
    inner, created = app.wsgi_app, []
    client = app.test_client()

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: list[str] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen.append(status)
            return start_response(status, headers, exc_info)

        answer = list(inner(environ, keep))
        if (not created and environ["REQUEST_METHOD"] == "POST" and seen[0].startswith("400")
                and environ["PATH_INFO"] == "/api/v1/groups/4/calendars"):
            created.append(client.post("/api/v1/groups/4/calendars", query_string={"apikey": APIKEY},
                                       auth=MANAGER, json={"calendar": {"name": name}}).json["id"])
        return answer

    app.wsgi_app = wrapped
    return created


def test_another_runs_calendar_appearing_beside_a_refused_write_is_not_its_trace() -> None:
    # Two CI jobs in one group: the other run's create lands between the snapshots that judge a
    # refused POST of this one (a run beside another failed so, invalid.rules and notfound.unknown).
    app = create_app()
    created = _created_after_first_refused_post(app, "contract-kit-20991231235959-beef-create-created-1")
    result = run_suite(options(app=app, layers=("semantic",)))
    assert created, "nothing was created beside a refused POST: the race was not staged"
    assert result.passed, describe(result)


def test_any_other_calendar_appearing_beside_a_refused_write_is_still_a_finding() -> None:
    # The same, by a client whose names say nothing: on a deployment that is quiet afterwards
    # that is the refusal's trace, as a deployment that creates what it refuses leaves it.
    app = create_app()
    created = _created_after_first_refused_post(app, "Cabinet Dupont")
    result = run_suite(options(app=app, layers=("semantic",)))
    assert created
    messages = [failure.message for outcome in result.outcomes for failure in outcome.failures]
    assert any("changes nothing: no calendar appears or vanishes" in message for message in messages), \
        describe(result)
