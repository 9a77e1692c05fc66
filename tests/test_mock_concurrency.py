"""Many clients at once over real HTTP: nothing lost, no id or sort handed out twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from spec_validation import DEMO_APIKEY, PRO, calendar_path, calendars_path, check_http_response

from mock_server import create_app, mock_of
from mock_server.serve.waitress_server import serve_in_thread

THREADS = 8
OPERATIONS = 25  # per thread: a create every fifth operation, updates in between
TIMEOUT = 10


def worker(base_url: str, number: int) -> dict[int, dict]:
    """Create and update calendars; return {id: last values written} for this thread."""
    written: dict[int, dict] = {}
    with requests.Session() as session:
        session.auth = PRO
        session.params = {"apikey": DEMO_APIKEY}
        current = None
        for step in range(OPERATIONS):
            if step % 5 == 0:
                response = session.post(base_url + calendars_path(), timeout=TIMEOUT,
                                        json={"calendar": {"name": f"t{number}-{step}"}})
                assert response.status_code == 201, response.text
                current = check_http_response(response)["id"]
                written[current] = {"name": f"t{number}-{step}", "city": None}
            else:
                values = {"city": f"city {number}-{step}"}
                response = session.put(base_url + calendar_path(current), timeout=TIMEOUT,
                                       json={"calendar": values})
                assert response.status_code == 200, response.text
                assert check_http_response(response)["city"] == values["city"]
                written[current].update(values)
            if step % 7 == 0:
                listed = session.get(base_url + calendars_path(), params={"results": "all"},
                                     timeout=TIMEOUT)
                check_http_response(listed)
    return written


@pytest.mark.http
def test_concurrent_creates_and_updates_lose_nothing():
    app = create_app(journal_size=THREADS * OPERATIONS * 2)
    with serve_in_thread(app, threads=8) as server:
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(worker, server.base_url, number) for number in range(THREADS)]
            results = [future.result(timeout=60) for future in futures]
        listed = requests.get(server.base_url + calendars_path(), auth=PRO, timeout=TIMEOUT,
                              params={"apikey": DEMO_APIKEY, "results": "all"})
    body = check_http_response(listed)
    created = [calendar_id for result in results for calendar_id in result]
    expected = THREADS * OPERATIONS // 5
    assert len(created) == len(set(created)) == expected
    assert body["totalRecords"] == 8 + expected
    records = {record["id"]: record for record in body["records"]}
    for result in results:
        for calendar_id, values in result.items():
            assert {key: records[calendar_id][key] for key in values} == values
    assert sorted(records[calendar_id]["sort"] for calendar_id in created) == list(
        range(9, 9 + expected)
    )
    assert len(mock_of(app).store.dump()["calendars"]) == 12 + expected
    assert not [entry for entry in mock_of(app).journal.entries() if entry["status"] >= 300]
