"""Which requests the granian bridge answers on its slow-lane thread rather than inline."""

from __future__ import annotations

import pytest

from mock_server.serve.rsgi import BIG_BODY, LONG_QUERY, SMALL_STORE, may_take_long

LIST = "/api/v1/groups/4/calendars"


def environ(path: str = LIST, query: str = "apikey=k", length: int | None = None) -> dict:
    found = {"PATH_INFO": path, "QUERY_STRING": query}
    if length is not None:
        found["CONTENT_LENGTH"] = str(length)
    return found


@pytest.mark.parametrize("query", ["apikey=k&sort=name", "apikey=k&search=a", "apikey=k&results=all",
                                   "apikey=k&results=500",
                                   "apikey=k&conditions%5B0%5D%5Bfield%5D=name"])
def test_a_list_that_may_cost_goes_to_the_slow_lane_only_over_a_large_store(query):
    assert may_take_long(environ(query=query), SMALL_STORE + 1)
    assert not may_take_long(environ(query=query), SMALL_STORE)


def test_a_plain_request_is_answered_inline_whatever_the_store():
    for query in ("apikey=k", "apikey=k&results=25&startIndex=3"):
        assert not may_take_long(environ(query=query), 100_000)


def test_long_queries_big_bodies_and_the_control_plane_take_the_slow_lane_even_over_a_small_store():
    assert may_take_long(environ(query="apikey=k&" + "a" * LONG_QUERY), 0)
    assert may_take_long(environ(length=BIG_BODY + 1), 0)
    assert may_take_long(environ(path="/_mock/state"), 0)
