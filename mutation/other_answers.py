"""Re-run mutants against the mock answering every open question the other way.

    python mutation/other_answers.py NAME...   # after `mutmut run`, from the project root

mutmut's run measures the default mock; code the mock runs only for the other answers (pages
capped, nulls last, `equals_case: insensitive`, ...) shows there as `no tests` or as a
survivor. This runs each named mutant the way mutmut does (MUTANT_UNDER_TEST, from
`mutants/`) with MUTATION_PROFILES=other-answers, and records `<name> killed|survived` in
mutation/other_answers.txt, which mutation/report.py counts as killed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "mutation" / "other_answers.txt"
HEADER = "# mutant verdict under MUTATION_PROFILES=other-answers (mutation/other_answers.py)\n"


def verdict(name: str, timeout: float = 300) -> str:
    env = {**os.environ, "MUTANT_UNDER_TEST": name, "MUTATION_PROFILES": "other-answers"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "mutation/test_suite_against_mock.py"],
            cwd=ROOT / "mutants", env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def main(names: list[str]) -> int:
    known = dict(line.split(" ", 1) for line in RESULTS.read_text("utf-8").splitlines()
                 if line and not line.startswith("#")) if RESULTS.exists() else {}
    for name in names:
        known[name] = verdict(name)
        print(name, known[name], flush=True)
        RESULTS.write_text(HEADER + "".join(f"{name} {known[name]}\n" for name in sorted(known)), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
