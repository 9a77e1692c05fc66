"""Fault injection, as an integrator uses it: through the pytest fixture and the control plane."""

from __future__ import annotations

import time

import pytest
import requests

from mock_server.errors import FaultSpecError
from mock_server.traffic.faults import FaultInjector

pytestmark = pytest.mark.http


def _list(mock, timeout: float = 5.0) -> requests.Response:
    return requests.get(mock.url(f"/api/v1/groups/{mock.group_id}/calendars"),
                        params={"apikey": mock.apikey}, auth=mock.auth, timeout=timeout)


def test_error_fault_answers_500_for_the_next_n_matches_only(calendar_mock):
    before = calendar_mock.state()
    calendar_mock.inject("error", method="GET", path="/calendars$", times=2)
    assert [_list(calendar_mock).status_code for _ in range(3)] == [500, 500, 200]
    assert calendar_mock.faults()[0]["remaining"] == 0
    assert calendar_mock.state() == before
    faulted = [entry for entry in calendar_mock.requests() if entry.get("fault")]
    assert len(faulted) == 2 and faulted[0]["status"] == 500
    assert faulted[0]["query"] == [["apikey", "***"]]


def test_faulted_write_never_reaches_the_store(calendar_mock):
    calendar_mock.inject("error", method="POST", path="/calendars$", times=1, status=503)
    response = requests.post(calendar_mock.url("/api/v1/groups/4/calendars"),
                             params={"apikey": calendar_mock.apikey}, auth=calendar_mock.auth,
                             json={"calendar": {"name": "lost"}}, timeout=5)
    assert response.status_code == 503
    assert "lost" not in {c["name"] for c in calendar_mock.state()["calendars"]}


def test_method_and_path_must_both_match(calendar_mock):
    calendar_mock.inject("error", method="POST", path="/calendars$", times=5)
    calendar_mock.inject("error", method="GET", path="/calendars/1$", times=5)
    assert _list(calendar_mock).status_code == 200


def test_delay_fault_is_fixed_or_random_within_bounds(calendar_mock):
    calendar_mock.inject("delay", path="/calendars$", times=1, delay_ms=300)
    started = time.monotonic()
    assert _list(calendar_mock).status_code == 200
    assert time.monotonic() - started >= 0.3
    calendar_mock.inject("delay", path="/calendars$", times=3, delay_ms=[10, 60], seed=7)
    for _ in range(3):
        started = time.monotonic()
        assert _list(calendar_mock).status_code == 200
        assert 0.01 <= time.monotonic() - started < 2


def test_drop_closes_the_connection_without_an_answer(calendar_mock):
    calendar_mock.inject("drop", path="/calendars$", times=1)
    with pytest.raises(requests.ConnectionError):
        _list(calendar_mock)
    assert _list(calendar_mock).status_code == 200


def test_truncate_cuts_the_body_short(calendar_mock):
    calendar_mock.inject("truncate", path="/calendars$", times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _list(calendar_mock)
    assert _list(calendar_mock).status_code == 200


def test_ratio_with_a_seed_is_reproducible():
    def pattern() -> list[bool]:
        injector = FaultInjector()
        injector.add({"action": "error", "ratio": 0.3, "seed": 42})
        return [injector.pick("GET", "/x") is not None for _ in range(200)]

    first = pattern()
    assert first == pattern()
    assert 30 <= sum(first) <= 90


def test_faults_are_cleared_between_tests(pytester):
    """Two tests in one session, in this order: the second never meets the first one's fault."""
    pytester.makepyfile(test_order="""
        import requests

        def _list(mock):
            return requests.get(mock.url(f"/api/v1/groups/{mock.group_id}/calendars"),
                                params={"apikey": mock.apikey}, auth=mock.auth, timeout=10)

        def test_1_injects(calendar_mock):
            calendar_mock.inject("error", path=".", ratio=1.0)
            assert _list(calendar_mock).status_code == 500

        def test_2_meets_none(calendar_mock):
            assert calendar_mock.faults() == []
            assert _list(calendar_mock).status_code == 200
    """)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_control_plane_lists_removes_and_refuses_bad_faults(calendar_mock):
    url = calendar_mock.url("/_mock/faults")
    created = requests.post(url, json={"action": "error", "path": "/calendars", "times": 1}, timeout=5)
    assert created.status_code == 201
    fault_id = created.json()["id"]
    assert [f["id"] for f in requests.get(url, timeout=5).json()["faults"]] == [fault_id]
    assert requests.delete(f"{url}/{fault_id}", timeout=5).status_code == 200
    assert requests.delete(f"{url}/{fault_id}", timeout=5).status_code == 404
    for bad in ({"action": "explode", "times": 1}, {"action": "error"},
                {"action": "delay", "times": 1, "delay_ms": 10**9},
                {"action": "error", "times": 1, "path": "("}, {"action": "error", "times": 0},
                {"action": "error", "ratio": 1.5}, {"action": "error", "times": 1, "colour": 1}):
        refused = requests.post(url, json=bad, timeout=5)
        assert refused.status_code == 400 and refused.json()["error"], bad
    assert requests.get(url, timeout=5).json()["faults"] == []


def test_control_plane_is_never_faulted(calendar_mock):
    calendar_mock.inject("error", path=".", ratio=1.0)
    assert requests.get(calendar_mock.url("/_mock/state"), timeout=5).status_code == 200


def test_injector_caps_active_faults():
    injector = FaultInjector()
    for _ in range(100):
        injector.add({"action": "error", "times": 1})
    with pytest.raises(FaultSpecError):
        injector.add({"action": "error", "times": 1})


def test_a_fault_path_is_matched_in_linear_time_and_refused_when_not_re2():
    """The path expression is tried on every API request: `(a+)+$` against a long path of `a`s
    would make a backtracking engine run for ages; RE2 answers at once. Backreferences, which
    RE2 cannot match in linear time, are refused with the reason."""
    injector = FaultInjector()
    fault = injector.add({"action": "error", "path": "(a+)+$", "times": 1})
    started = time.monotonic()
    assert injector.pick("GET", "/" + "a" * 50_000 + "!") is None
    assert time.monotonic() - started < 5, "matching a fault path must not backtrack"
    assert injector.pick("GET", "/aaaa") is fault
    with pytest.raises(FaultSpecError, match=r"RE2.*invalid escape"):
        injector.add({"action": "error", "path": r"(a)\1", "times": 1})
