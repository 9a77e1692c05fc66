"""What generated cases carry and what their findings are credited to (schemathesis_layers/views.py,
rules.py), on cases schemathesis really generates.

- Positive cases carry only what every correct deployment accepts. An id of 0 or below in a
  query's id list names no record: the mock matches none, capped_pages_server.py refuses a
  negative one with 400, and a positive case sent with one was a false "schema-valid request
  rejected" (list.envelope) at every seed of `make seeds`.
- A negative case whose body is invalid only by what the documented view leaves out (a missing
  wrapper, an unknown key, an empty name), and which is invalid nowhere else but in its query or
  path (ASM too), breaks invalid.rules (ASM) when accepted, not invalid.rejected (DOC):
  sixth_server.py accepts a PUT of {} (or of {"apikey": ...} with `format=`), and a strict run
  filed that as DOC.
"""

from __future__ import annotations

import schemathesis
from calendar_spec import load_spec
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from contract_tests.schemathesis_layers.responses import documented_view
from contract_tests.schemathesis_layers.rules import _invalid_components, rule_for
from contract_tests.schemathesis_layers.views import positive_view

ID_LISTS = {"/api/v1/groups/{group_id}/calendars": ("intervention_ids[]", "calendarset_ids[]"),
            "/api/v1/groups/{group_id}/interventions": ("calendar_ids[]",)}
CALENDAR = "/api/v1/groups/{group_id}/calendars/{calendar_id}"
DRAWS = settings(max_examples=60, database=None, deadline=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


def _generated_ids(path: str, names: tuple[str, ...]) -> list[object]:
    operation = schemathesis.openapi.from_dict(positive_view([8, 12]))[path]["GET"]
    ids: list[object] = []

    @DRAWS
    @given(operation.as_strategy())
    def draw(case):
        for name in names:
            ids.extend((case.query or {}).get(name) or [])

    draw()
    return ids


def test_positive_cases_list_only_ids_of_one_and_above():
    for path, names in ID_LISTS.items():
        ids = _generated_ids(path, names)
        assert len(ids) > 20, (path, ids)  # the lists are generated, not left out
        assert all(isinstance(value, int) and 1 <= value <= 2**31 - 1 for value in ids), sorted(ids)[:5]


def test_a_body_only_an_assumption_refuses_is_credited_to_invalid_rules():
    operation = schemathesis.openapi.from_dict(load_spec("strict"))[CALENDAR]["PUT"]
    documented = documented_view().request_body(CALENDAR, "PUT")
    credited: dict[str, list[object]] = {"invalid.rules": [], "invalid.rejected": []}

    @settings(DRAWS, max_examples=120)
    @given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def draw(case):
        invalid = _invalid_components(case)
        if "body" in invalid and invalid <= {"body", "query", "path"}:
            credited[rule_for("negative_data_rejection", case, 200)].append(case.body)

    draw()
    assert credited["invalid.rules"] and credited["invalid.rejected"], credited
    assert all(documented.is_valid(body) for body in credited["invalid.rules"])
    assert not any(documented.is_valid(body) for body in credited["invalid.rejected"])
    assert {} in credited["invalid.rules"] or any("calendar" not in body for body in credited["invalid.rules"]
                                                  if isinstance(body, dict)), credited["invalid.rules"]
