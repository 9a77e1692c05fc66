"""The mock judges with jsonschema-rs and explains with jsonschema: both must give one verdict."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.contract import Contract

CONTRACT = Contract()
CHECKS = {
    **{f"{op.operation_id} body {media}": check
       for op in CONTRACT.operations.values() for media, check in op.body_validators.items()},
    **{f"{op.operation_id} {p.location} {p.name}": p.validator
       for op in CONTRACT.operations.values() for p in (*op.path_params, *op.query_params)},
    "Condition": CONTRACT.condition_validator,
    "Calendar": CONTRACT.calendar_validator,
}
EDGE_NUMBERS = [0, -1, 1, 15, 101.0, 1.5, -0.0, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63, 2**64,
                1e308, -1e308, 1e-300, True, False]
EDGE_TEXT = ["", "x", "all", "ALL", "json", "asc", "like", "not in", "a\u0000b", "bell\u0007", "tab\tok",
             "c1\u0085", "del\u007f", "\U0001f4c5" * 255, "\U0001f4c5" * 256, "e\u0301" * 128, "n" * 255,
             "n" * 256, "1" * 16, "1" * 17, "c" * 64, "c" * 65, "2010-03-15 17:50:22", "0" * 40, "g" * 40]
scalars = st.one_of(st.none(), st.sampled_from(EDGE_NUMBERS), st.sampled_from(EDGE_TEXT),
                    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
field_names = st.sampled_from([*CONTRACT.calendar_fields, "colour", "apikey", "field", "op", "value",
                               "pro[email]", "pro[password]"])
records = st.dictionaries(field_names, st.one_of(scalars, json_values), max_size=8)
instances = st.one_of(
    json_values, records,
    st.builds(lambda calendar: {"calendar": calendar}, records),
    st.builds(lambda calendar, key: {"calendar": calendar, "apikey": key}, records, scalars),
    st.lists(st.one_of(st.sampled_from(EDGE_NUMBERS), st.integers()), max_size=120),
)

# make test: 40 instances a validator; `make evidence`: 1,000.
EXAMPLES = int(os.environ.get("SCHEMA_VERDICT_EXAMPLES") or 40)


@pytest.mark.parametrize("name", sorted(CHECKS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(instance=instances)
def test_fast_and_explaining_validators_agree(name, instance):
    check = CHECKS[name]
    assert check.is_valid(instance) == check.explainer().is_valid(instance), (name, instance)


def test_a_refusal_is_explained_and_an_acceptance_is_silent():
    body = CHECKS["createCalendar body application/json"]
    assert list(body.iter_errors({"calendar": {"name": "ok"}})) == []
    errors = list(body.iter_errors({"calendar": {"name": ""}}))
    assert errors and errors[0].validator == "minLength"
