"""The contract suite against servers written apart from the kit, from CONTRACT.md alone
(tests/independent/README.md): a QA lead's staging is such a server. A correct one passes,
whatever it answers to the open questions; one that answers assumptions of ours otherwise fails
`--level strict` on those rules alone. Over HTTP, each server in its own process."""

from __future__ import annotations

import pytest
from independent_servers import BEYOND_CALENDARS, EXPECTED, not_served, run_against
from suite_runs import describe, failed_rules, options

from contract_tests.runner import run_suite

pytestmark = [pytest.mark.http, pytest.mark.slow]


def test_a_correct_server_with_other_answers_passes_strict(serve):
    result = run_against(serve("strict_server.py"), "strict")
    assert result.passed, describe(result)
    assert not_served(result) == BEYOND_CALENDARS["strict"]


def test_pages_counted_and_capped_otherwise_pass_documented_and_fail_strict_on_one_assumption(serve):
    base_url = serve("capped_pages_server.py")
    interventions = EXPECTED["capped_pages_server.py"].extra
    documented = run_against(base_url, "documented", **interventions)
    assert documented.passed, describe(documented)
    assert not_served(documented) == BEYOND_CALENDARS["documented"]
    strict = run_against(base_url, "strict", **interventions)
    assert failed_rules(strict) == EXPECTED["capped_pages_server.py"].strict_fails, describe(strict)


def test_random_ids_pages_of_fifty_and_options_served_pass_documented(serve):
    """sixth_server.py: ids at random up to 2^31 (the isolation probes once listed every id between
    them: 18 GB), startIndex as a page number with pages of 50, OPTIONS and HEAD served, errors as
    RFC 7807, every answer chunked; and two assumptions of ours answered otherwise."""
    base_url = serve("sixth_server.py")
    six = EXPECTED["sixth_server.py"].credentials
    documented = run_suite(options(base_url=base_url, level="documented", max_examples=1, concurrency=8,
                                   **six))
    assert documented.passed, describe(documented)
    strict = run_suite(options(base_url=base_url, level="strict", max_examples=1, concurrency=8, **six))
    assert failed_rules(strict) == EXPECTED["sixth_server.py"].strict_fails, describe(strict)
