"""The contract suite against a busy staging written apart from the kit
(tests/independent/busy_staging_server.md): it serves interventions and calendarsets too, answers
the open questions otherwise than the kit's mock (errors as {message, code, details}, nulls last,
ties by descending id, `=` ignoring case, empty texts, an extra field...), limits its rate (429
with Retry-After), goes down once for a moment (503), compresses answers, closes kept-alive
connections after 50 requests. Every rule of the suite holds there, resources included: strict
passes, each busy answer waited out, none a finding. (Its own file: the test runner spreads files
over the cores.)"""

from __future__ import annotations

import pytest
from independent_servers import not_served, run_against
from suite_runs import describe

pytestmark = [pytest.mark.http, pytest.mark.slow]


def test_a_busy_staging_serving_every_resource_passes_strict(serve):
    result = run_against(serve("busy_staging_server.py"), "strict")
    assert result.passed, describe(result)
    assert not not_served(result), "it serves interventions and calendarsets: their rules are checked"
    # Its rate limit bites on loopback (its outage, from its 700th request, too as long as the run
    # sends that many): waited out, counted in a note, never a finding.
    busy = [note for note in result.notes if "answered busy" in note]
    assert busy and "429" in busy[0], result.notes
