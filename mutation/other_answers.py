"""Re-run mutants against the mock answering open questions otherwise than mutmut's run did.

    python mutation/other_answers.py NAME...                      # the other-answers profile
    python mutation/other_answers.py --profile contrarian --level profile NAME...
    python mutation/other_answers.py --layers semantic,auth,conformance NAME...
    python mutation/other_answers.py --profile flip:default_order --level profile NAME...

mutmut's run measures the default mock; code the mock runs only for other answers (pages
capped, nulls last, `equals_case: insensitive`, ...) shows there as `no tests` or as a
survivor. This runs each named mutant the way mutmut does (MUTANT_UNDER_TEST, from `mutants/`)
with the chosen profile, level and layers of mutation/test_suite_against_mock.py, and appends
`<name> killed|survived|timeout [the rule that failed]` to mutation/other_answers.txt under a
line saying how it was run; mutation/report.py counts a mutant killed by its latest verdict.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "mutation" / "other_answers.txt"
HEADER = "# mutant verdicts of re-runs (mutation/other_answers.py); the latest line of a mutant counts\n"
# a rule id is `area.name` (list.conditions, profile.nulls_order), after FirstFailure or a [tag]
FAILED_RULE = re.compile(r"(?:FirstFailure:|\[\w+\]) ([a-z][\w-]*\.[\w.-]+)")


def verdict(name: str, env: dict[str, str], timeout: float, mutants: Path = ROOT / "mutants") -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "mutation/test_suite_against_mock.py"],
            cwd=mutants, env={**os.environ, **env, "MUTANT_UNDER_TEST": name},
            capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if done.returncode == 0:
        return "survived"
    if done.returncode != 1:  # pytest's own trouble (collection, usage, interrupted): not a verdict
        output = done.stdout[-2000:] + done.stderr[-2000:]
        raise SystemExit(f"{name}: pytest exited {done.returncode}\n{output}")
    found = FAILED_RULE.search(done.stdout)
    return f"killed {found.group(1)}" if found else "killed"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--profile", default="other-answers", help="a profile of test_suite_against_mock.py")
    parser.add_argument("--level", default="strict", help="strict, documented or profile")
    parser.add_argument("--layers", default="semantic,auth")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants",
                        help="mutmut's mutants/ directory (another checkout's run)")
    options = parser.parse_args(argv)
    env = {"MUTATION_PROFILES": options.profile, "MUTATION_LEVEL": options.level,
           "MUTATION_LAYERS": options.layers}
    if not RESULTS.exists():
        RESULTS.write_text(HEADER, "utf-8")
    with RESULTS.open("a", encoding="utf-8") as results:
        results.write("# re-run with " + " ".join(f"{key}={value}" for key, value in env.items()) + "\n")
        for name in options.names:
            line = f"{name} {verdict(name, env, options.timeout, options.mutants)}"
            print(line, flush=True)
            results.write(line + "\n")
            results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
