"""The clinic app's own test suite, against the kit's mock: every integrator feature in use.

Run alone with `pytest examples/clinic_app`; `make test` runs it with the kit's tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import requests
from clinic_client import SANDBOX, ClinicClient

from mock_server import mock_clicrdv

SEED = Path(__file__).with_name("clinic_seed.json")  # partial: calendars spell only name and group


def clinic(base_url: str = SANDBOX, session: requests.Session | None = None) -> ClinicClient:
    return ClinicClient("clinic-key", "accueil@clinique.test", "secret", 7, base_url, session)


# -- intercepted: the app's calls to sandbox.clicrdv.com answered in-process, no server ---------
@pytest.mark.calendar_mock(seed=SEED, strict=True)
def test_lists_only_live_bookable_calendars_over_every_page(calendar_mock_intercept):
    names = [c["publicname"] for c in clinic().bookable_calendars(page_size=1)]
    assert names == ["Kiné en ligne", "Ostéo en ligne"]
    calendar_mock_intercept.assert_requested("GET", "/api/v1/groups/{group_id}/calendars",
                                             params={"results": "1", "startIndex": "2"})
    assert calendar_mock_intercept.refused() == []  # strict=True would fail the test otherwise


@pytest.mark.calendar_mock(seed=SEED, profile="contrarian")
def test_paging_holds_when_the_deployment_caps_pages_and_counts_pages(calendar_mock_intercept):
    """Under the contrarian profile pages hold at most 5 and startIndex counts pages: the
    client's item offsets still see every calendar once (here the group has few)."""
    assert len(clinic().bookable_calendars(page_size=50)) == 2


def test_a_request_the_spec_refuses_is_caught_before_clicrdv_sees_it():
    with mock_clicrdv(SEED) as mock:
        with pytest.raises(requests.HTTPError):
            clinic().open_calendar("x" * 300, "Trop long")
        [refusal] = mock.refused()
        assert refusal["status"] == 400 and "calendar.name" in str(refusal["refusal"])
        with pytest.raises(AssertionError, match="closest"):  # near misses explain the mismatch
            mock.assert_requested("PUT", "/api/v1/groups/{group_id}/calendars/{calendar_id}")


@mock_clicrdv(SEED)
def test_retries_once_on_429_with_retry_after(clicrdv_mock):
    clicrdv_mock.inject("error", status=429, retry_after=0, method="POST", times=1)
    created = clinic().open_calendar("Dr Nouveau", "Nouveau en ligne")
    assert created["sort"] == 5  # the seed's 4 calendars took 1..4
    clicrdv_mock.assert_requested("POST", "/api/v1/groups/{group_id}/calendars", times=2)


def test_an_async_httpx_call_is_intercepted_too():
    async def count() -> int:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{SANDBOX}/api/v1/groups/7/calendars", params={"apikey": "clinic-key"},
                                      auth=("accueil@clinique.test", "secret"))
            return answer.json()["totalRecords"]

    with mock_clicrdv(SEED):
        assert asyncio.run(count()) == 4


# -- a served mock: the clock, namespaces, faults over a socket, coverage ----------------------
def served_clinic(mock, session: requests.Session | None = None) -> ClinicClient:
    return ClinicClient(mock.apikey, *mock.auth, mock.group_id, mock.base_url, session)


def test_timestamps_are_known_in_advance(calendar_mock):
    calendar_mock.clock.freeze("2024-01-15 09:00:00")
    client = served_clinic(calendar_mock)
    created = client.open_calendar("Dr Matin", "Matin")
    calendar_mock.clock.advance(seconds=90)
    renamed = client.rename(created["id"], "Matin en ligne")
    assert (created["created_at"], renamed["updated_at"]) == ("2024-01-15 09:00:00", "2024-01-15 09:01:30")


def test_parallel_jobs_share_one_server_in_their_own_namespaces(calendar_mock):
    def client_in(namespace: str) -> ClinicClient:
        session = requests.Session()
        session.headers["X-Mock-Namespace"] = namespace
        return served_clinic(calendar_mock, session)

    client_in("job-a").open_calendar("Seulement A", "A en ligne")
    listed_b = [c["name"] for c in client_in("job-b").bookable_calendars()]
    assert "Seulement A" not in listed_b
    assert "Seulement A" in [c["name"] for c in client_in("job-a").bookable_calendars()]
    for name in ("job-a", "job-b"):
        requests.delete(calendar_mock.url(f"/_mock/namespaces/{name}"), timeout=5)


def test_coverage_of_these_tests_is_one_request_away(calendar_mock):
    client = served_clinic(calendar_mock)
    client.bookable_calendars(page_size=3)
    report = requests.get(calendar_mock.url("/_mock/coverage"), timeout=5).json()
    assert any("404" in gap for gap in report["never"])  # these tests never met a missing calendar
