"""The contract suite against a server written apart from the kit that answers eight other
assumptions of ours otherwise (tests/independent/other_assumptions_server.md): `search` in names
only, records by `sort` without a sort asked, an omitted sort as 0, DELETE answering `{}`, a PUT of
deleted true refused, read-only keys in a body refused, unknown keys in `calendar` ignored, `like`
case by case. Documented passes; strict fails those assumptions' rules, each by its own rule, and
no other. (Its own file: the test runner spreads files over the cores.)"""

from __future__ import annotations

import pytest
from independent_servers import EXPECTED, expect_only_assumptions_fail

pytestmark = [pytest.mark.http, pytest.mark.slow]


def test_documented_passes_and_strict_fails_exactly_the_assumptions_answered_otherwise(serve):
    server = "other_assumptions_server.py"
    expect_only_assumptions_fail(serve(server), EXPECTED[server].strict_fails)
