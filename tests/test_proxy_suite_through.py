"""The whole contract suite sent through the proxy to correct deployments written apart from the
kit (tests/independent), at --level documented: the proxy judges every exchange the suite makes
(valid and invalid requests, writes, logins) and finds no violation of those deployments, and the
suite's verdict through it is the one it gives them directly (the proxy is transparent)."""

from __future__ import annotations

import pytest
from independent_servers import EXPECTED
from proxy_support import journal, proxy
from suite_runs import describe, options

from contract_tests.runner import run_suite

pytestmark = [pytest.mark.http, pytest.mark.slow]
# Three of the six, whose answers once drew false violations between them (paths the level does
# not judge, a page cap, a login without pro, a 404 or a CORS preflight where a method is not
# served, a body group_id ignored): the whole suite through the proxy costs 12 s a server.
SERVERS = ("strict_server.py", "capped_pages_server.py", "sixth_server.py")


@pytest.mark.parametrize("server", SERVERS)
def test_the_suite_through_the_proxy_draws_no_violation_of_a_correct_deployment(serve, server) -> None:
    expected = EXPECTED[server]
    with proxy(serve(server), level="documented", journal_size=20000) as (_, url):
        result = run_suite(options(base_url=url, app=None, level="documented", max_examples=2, concurrency=8,
                                   **expected.credentials, **expected.extra))
        flagged = journal(url, violations="yes")
    assert result.passed, describe(result)
    found = sorted({(violation["rule"], exchange["method"], exchange["path"], exchange["status"])
                    for exchange in flagged for violation in exchange["violations"]})
    assert not found, found
