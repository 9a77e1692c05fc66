"""Every rule a level holds is proved to bite at that level: the matrix rule x level.

For each level and each rule in `calendar_spec.rule_ids(level)`, the planted-fault catalogue
holds a fault whose intended rule at that level is this rule (tests/test_planted_faults.py then
runs the suite against it and demands that very rule be named). A rule no fault can stand for
is one that calling a deployment cannot observe; each such rule says why, in data
(`contract_tests.registry.UNCHECKED`), and the suite reports it as not checked, with that reason.

This file runs no contract: it only reads the catalogue and the spec, so it takes a second.
"""

from __future__ import annotations

import pytest
from calendar_spec import LEVELS, rule_ids
from planted_faults import CATALOGUE, RULE_TAGS
from suite_runs import UNOBSERVABLE

from contract_tests.checks import ALL as ALL_CHECKS
from contract_tests.registry import UNCHECKED


def _faults_by_rule(level: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for fault in CATALOGUE.values():
        intended = fault.intended(level)
        if intended is not None:
            found.setdefault(intended, []).append(fault.name)
    return found


def matrix() -> dict[tuple[str, str], list[str] | str]:
    """(rule, level) -> the faults that stand for it, or the reason no fault can."""
    cells: dict[tuple[str, str], list[str] | str] = {}
    for level in LEVELS:
        faults = _faults_by_rule(level)
        for rule_id in sorted(rule_ids(level)):
            cells[(rule_id, level)] = UNCHECKED.get(rule_id) or faults.get(rule_id, [])
    return cells


@pytest.mark.parametrize("level", LEVELS)
def test_every_rule_of_the_level_has_a_planted_fault_or_a_reason(level: str):
    gaps = sorted(rule_id for (rule_id, at), cell in matrix().items() if at == level and not cell)
    assert not gaps, (
        f"at --level {level} these rules have no planted fault expected to be caught by them "
        f"(add one to tests/planted_faults/, or say in contract_tests.registry.UNCHECKED why no "
        f"request can observe the rule): {gaps}")


def test_unobservable_rules_say_why_and_have_no_check():
    assert set(UNCHECKED) == UNOBSERVABLE
    for rule_id, reason in UNCHECKED.items():
        assert rule_id in RULE_TAGS, f"{rule_id} is not a rule of the spec"
        assert len(reason.split()) >= 5, f"{rule_id}: say why no request can observe it, not {reason!r}"
        assert not [check.name for check in ALL_CHECKS if check.rule_id == rule_id], (
            f"{rule_id} is said to be unobservable, yet a check is registered for it")


def test_no_fault_stands_for_an_unobservable_rule():
    for level in LEVELS:
        assert not set(_faults_by_rule(level)) & UNOBSERVABLE


@pytest.mark.parametrize("level", LEVELS)
def test_faults_expected_at_a_level_name_rules_of_that_level(level: str):
    """A fault's intended rule at a level is a rule that level holds (documented: DOC/INF only)."""
    assert set(_faults_by_rule(level)) <= rule_ids(level)


if __name__ == "__main__":  # print the matrix
    for (rule_id, level), cell in sorted(matrix().items(), key=lambda item: (item[0][1], item[0][0])):
        shown = cell if isinstance(cell, str) else ", ".join(cell) or "GAP"
        print(f"{level:<10} {rule_id:<40} {RULE_TAGS[rule_id]:<3} {shown}")
