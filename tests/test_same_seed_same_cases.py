"""A seed names the cases a run generates, whatever else the process has imported.

Hypothesis (since 6.131) now and then draws a constant found in the source of the modules loaded
in the process that are not installed packages: the kit's own in an editable install, an
integrator's app and helpers beside their tests. So the same `--seed` drew other cases through
the CLI than under pytest, or after one more import: a failure found in CI could not be replayed
by QA. While the suite's engines run, that pool is empty.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from suite_runs import options

from contract_tests.runner import run_suite
from mock_server import create_app, mock_of


def _generated_requests(seed: int) -> list[str]:
    app = create_app()
    result = run_suite(options(app, level="documented", layers=("conformance",), max_examples=2, seed=seed))
    assert result.passed, result.summary()
    return [json.dumps([e["method"], e["path"], e.get("query"), e.get("status")])
            for e in mock_of(app).journal.entries(None)]


def test_a_module_imported_between_two_runs_changes_no_generated_case(tmp_path: Path, monkeypatch):
    before = _generated_requests(seed=3)
    # An integrator's module, full of literals Hypothesis would collect (outside site-packages).
    constants = "\n".join(f"NAME_{n} = 'integrator-literal-{n}'\nNUMBER_{n} = {7919 * n + 13}"
                          for n in range(200))
    (tmp_path / "integrator_literals.py").write_text(constants + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("integrator_literals")
    try:
        after = _generated_requests(seed=3)
    finally:
        sys.modules.pop("integrator_literals", None)
    assert len(after) == len(before) > 100
    differing = [(n, one, other) for n, (one, other) in enumerate(zip(before, after, strict=True))
                 if one != other]
    assert not differing, f"{len(differing)} requests differ, first: {differing[0]}"
