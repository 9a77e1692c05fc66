"""Engines that run side by side import nothing of schemathesis or Hypothesis while they run:
a first import in several threads at once, through circular imports, once handed an engine a
module half made ("cannot import name 'ASGI_TRANSPORT'"), and a correct deployment's run FAILED
with "schemathesis could not test this". Checked in a fresh interpreter (this one has imported
everything already)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = """
import sys
sys.path.insert(0, TESTS)
import contract_tests.schemathesis_layers.run as layers
from contract_tests.schemathesis_layers import engines
from contract_tests.runner import run_suite
from suite_runs import options

imported_while_running = []

def watched(jobs, concurrency, order=None):
    def job_of(job):
        def run():
            before = set(sys.modules)
            try:
                return job()
            finally:
                imported_while_running.extend(set(sys.modules) - before)
        return run
    return engines.run_engines([job_of(job) for job in jobs], concurrency, order)

layers.run_engines = watched
result = run_suite(options(level="documented", layers=("conformance",), max_examples=2, concurrency=4))
assert result.passed, result.summary()
print(sorted({name for name in imported_while_running if name.startswith(("schemathesis", "hypothesis"))}))
"""


def test_side_by_side_engines_import_nothing_of_schemathesis_while_they_run():
    tests = str(Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", RUN.replace("TESTS", repr(tests))], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-2000:]
