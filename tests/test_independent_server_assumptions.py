"""The contract suite against a server written apart from the kit that answers five assumptions
of ours otherwise (tests/independent/assumptions_otherwise_server.md): 403 without an apikey,
several intervention_ids[] read as any, soft-deleted calendars left out of lists, `deleted` as
0/1, errors as HTML; and pages of 7, HTTP/1.0 with every connection closed, a second login that
ends the first session. Documented passes; strict fails those assumptions' rules and no other.
(Its own file: the test runner spreads files over the cores.)"""

from __future__ import annotations

import pytest
from independent_servers import EXPECTED, expect_only_assumptions_fail

pytestmark = [pytest.mark.http, pytest.mark.slow]


def test_documented_passes_and_strict_fails_exactly_the_assumptions_answered_otherwise(serve):
    server = "assumptions_otherwise_server.py"
    expect_only_assumptions_fail(serve(server), EXPECTED[server].strict_fails)
