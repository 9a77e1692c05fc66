"""One contract run against a fresh (possibly broken) mock, in any process."""

from __future__ import annotations

import time
from typing import Any

from contract_tests.runner import SuiteOptions, run_suite
from mock_server import create_app

from .catalogue import CATALOGUE
from .probe_client import APIKEY, GROUP, OTHER_GROUP, OTHER_PASSWORD, OTHER_USER, PASSWORD, USER


def run_case(fault_name: str | None, level: str, layers: tuple[str, ...], max_examples: int,
             seed: int, concurrency: int | None = None) -> dict[str, Any]:
    """Run the contract suite in-process against a fresh mock with `fault_name` planted (None:
    the healthy mock) and return plain data, so the run can happen in a worker process."""
    app = create_app() if fault_name is None else CATALOGUE[fault_name].build()
    started = time.perf_counter()
    result = run_suite(SuiteOptions(
        base_url=None, app=app, apikey=APIKEY, user=USER, password=PASSWORD, group_id=GROUP,
        level=level, max_examples=max_examples, seed=seed, read_only=False, layers=layers,
        other_user=OTHER_USER, other_password=OTHER_PASSWORD, other_group_id=OTHER_GROUP,
        junit_xml=None, quiet=True, concurrency=concurrency,
    ))
    return {
        "passed": result.passed,
        "checks_run": result.checks_run,
        "seconds": round(time.perf_counter() - started, 2),
        "failures": [
            {"rule_id": f.rule_id, "tag": f.tag, "layer": f.layer, "operation": f.operation,
             "message": f.message, "curl": f.curl}
            for f in result.failures
        ],
    }
