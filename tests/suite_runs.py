"""Contract runs for the suite's own tests: options for a run against a mock, and reading results."""

from __future__ import annotations

from typing import Any

from calendar_spec import rules

from contract_tests.registry import UNCHECKED
from contract_tests.runner import SuiteOptions, SuiteResult
from mock_server import create_app

APIKEY, USER, PASSWORD, GROUP = "demo-apikey-4f1c2b", "pro@demo.test", "demo-password", 4
OTHER_USER, OTHER_PASSWORD, OTHER_GROUP = "pro5@demo.test", "other-password", 5
SEED = 12345
ALL_RULES = {rule["id"] for rule in rules("strict")}
DOCUMENTED_RULES = {rule["id"] for rule in rules("documented")}
# Rules about nothing a run against one deployment can observe (the servers' addresses); why,
# for each, is said in contract_tests.registry.UNCHECKED (tests/test_rule_coverage.py holds it).
UNOBSERVABLE = set(UNCHECKED)


def options(app: Any = None, **overrides: Any) -> SuiteOptions:
    """In-process against `app` (a fresh mock by default), or over HTTP when `base_url=` is given."""
    if app is None and not overrides.get("base_url"):
        app = create_app()
    values: dict[str, Any] = dict(
        base_url=None,
        app=app,
        apikey=APIKEY,
        user=USER,
        password=PASSWORD,
        group_id=GROUP,
        level="strict",
        max_examples=3,  # the conformance runs ~40 % sooner than at 5, the same rules reached
        seed=SEED,
        read_only=False,
        layers=None,
        other_user=OTHER_USER,
        other_password=OTHER_PASSWORD,
        other_group_id=OTHER_GROUP,
        junit_xml=None,
        quiet=True,
    )
    values.update(overrides)
    return SuiteOptions(**values)


def describe(result: SuiteResult) -> str:
    return result.summary()


def failed_rules(result: SuiteResult) -> set[str]:
    return {failure.rule_id for failure in result.failures}
