"""The contract suite against a server written apart from the kit that answers five assumptions
of ours otherwise (tests/independent/assumptions_otherwise_server.md): 403 without an apikey,
several intervention_ids[] read as any, soft-deleted calendars left out of lists, `deleted` as
0/1, errors as HTML; and pages of 7, HTTP/1.0 with every connection closed, a second login that
ends the first session. Documented passes; strict fails those assumptions' rules and no other.
(Its own file: the test runner spreads files over the cores.)"""

from __future__ import annotations

import pytest
from independent_servers import expect_only_assumptions_fail

pytestmark = [pytest.mark.http, pytest.mark.slow]
ANSWERED_OTHERWISE = {"auth.missing-apikey-401", "auth.unknown-apikey-401", "list.intervention-all",
                      "list.deleted-listed", "show.assumed-representation", "invalid.rules"}


def test_documented_passes_and_strict_fails_exactly_the_assumptions_answered_otherwise(serve):
    expect_only_assumptions_fail(serve("assumptions_otherwise_server.py"), ANSWERED_OTHERWISE)
