"""Generated writes steered to the suite's own calendars keep their validity: schemathesis judges
a negative case by what it generated, so an id made valid by the steering would be a false
'schema-violating request accepted'."""

from __future__ import annotations

import re

import pytest

from contract_tests.schemathesis_layers.steer import _leading_int, _like

INTEGER_LITERAL = re.compile(r"[+-]?[0-9]+")


@pytest.mark.parametrize("generated", [12, "12", "0012", 1.401298464324817e-45, 3.0, "12abc", " +7x",
                                       "-3", "1e5", "abc", ""])
def test_a_steered_id_keeps_its_validity_and_reaches_the_new_calendar(generated):
    steered = _like(generated, 24)
    was_integer = isinstance(generated, int) or bool(INTEGER_LITERAL.fullmatch(str(generated)))
    is_integer = isinstance(steered, int) or bool(INTEGER_LITERAL.fullmatch(str(steered)))
    assert is_integer == was_integer or _leading_int(generated) is None
    if _leading_int(generated) is not None:
        # what a lenient server (Ruby's to_i) would read from it: the calendar it was steered to
        assert _leading_int(steered) == 24
