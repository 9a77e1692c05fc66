"""The contract suite's speed: one strict run against the in-process mock, in a child process.

The child runs `run_suite(SuiteOptions(level="strict"))` (no app and no URL: the suite starts
the kit's mock in-process with the demo credentials) and prints one JSON line. A suite that
is missing or broken gives a row marked TODO or failed, never a failed benchmark.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time

TIMEOUT_S = 900
MARKER = "BENCH-JSON "
CHILD = """
import json, time
started = time.perf_counter()
from contract_tests.runner import SuiteOptions, run_suite
imported = time.perf_counter()
result = run_suite(SuiteOptions(level="strict"))
finished = time.perf_counter()
print("BENCH-JSON " + json.dumps({
    "passed": result.passed,
    "failures": len(result.failures),
    "testcases": len(result.outcomes),
    "checks": result.checks_run,
    "generated_cases": result.cases,
    "suite_requests": result.requests,
    "import_s": imported - started,
    "suite_s": finished - imported,
    "suite_reported_s": result.seconds,
}))
"""


def available() -> bool:
    try:
        return importlib.util.find_spec("contract_tests.runner") is not None
    except ImportError:
        return False


def measure() -> dict:
    if not available():
        return {"status": "todo", "reason": "contract_tests.runner is not there yet"}
    started = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                             timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"did not finish in {TIMEOUT_S} s",
                "wall_s": time.perf_counter() - started}
    wall = time.perf_counter() - started
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "reason": " | ".join(tail) or f"exit {out.returncode}", "wall_s": wall}
    data = json.loads(line[len(MARKER):])
    cases = data["generated_cases"] + data["suite_requests"]
    return {
        "status": "ok",
        "wall_s": wall,
        "cases": cases,
        "cases_per_s": cases / data["suite_s"] if data["suite_s"] else 0.0,
        **data,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
