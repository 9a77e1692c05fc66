"""Triage survivors that touch refusals by what a client sees of them.

    python mutation/error_bodies.py NAME...           # after `mutmut run`, from the project root
    python mutation/error_bodies.py --append NAME...  # and add the verdicts to equivalents.txt

CONTRACT.md leaves the error body open ("Error body: not documented"): a deployment may word a
400 as it likes, and name fields its own way. So a mutant that changes only that cannot be
killed by a suite that must pass every correct deployment. This proves it per mutant rather
than by reading the diff: with the mutant active (MUTANT_UNDER_TEST, from `mutants/`, as mutmut
runs it), every request of the hostile-input catalogue (tests/hostile_cases.py) goes to a fresh
mock, and each answer (refused requests only: they change nothing, so answers compare exactly)
is compared with the unmutated mock's answer to the same request:

- `gap`: a status, a Content-Type or the JSON-ness of a body differs (or the mock raised): the
  contract suite should see it, so it stays a survivor to kill;
- `wording` (`[same]`): same statuses and the same fields named, other problem text;
- `fields` (`[open]`): same statuses, other keys in the body or other fields named in `errors`;
- `unreached`: no answer differs: the catalogue does not reach the change, nothing is claimed.

Only `wording` and `fields` are appended to equivalents.txt; every verdict is printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "mutation" / "equivalents.txt"
# The verdicts that triage a survivor, as equivalents.txt words them.
TRIAGED = {
    "wording": "[same] only the wording of a refusal's problems changes (hostile-input catalogue, "
               "every case): CONTRACT.md fixes no error body",
    "fields": "[open] only which fields a refusal's body names changes (hostile-input catalogue, "
              "every case): CONTRACT.md leaves the error body open",
}


def _answers(cases: list[Any]) -> list[tuple[Any, ...]]:
    """What a client sees of each answer: (status, media type, a JSON object?, its keys and the
    fields `errors` names, the whole body)."""
    from hostile_cases import send

    from mock_server import create_app

    app = create_app()
    seen = []
    for case in cases:
        try:
            answer = send(app, case)
        except Exception as raised:  # a mutant may raise anything: that is a gap
            seen.append(("raised", type(raised).__name__, None, None))
            continue
        try:
            body = json.loads(answer.get_data())
        except ValueError:
            body = None
        errors = body.get("errors") if isinstance(body, dict) else None
        keys = (sorted(body) if isinstance(body, dict) else None,
                sorted(errors) if isinstance(errors, dict) else None)
        seen.append((answer.status_code, answer.mimetype, isinstance(body, dict), keys,
                     json.dumps(body, sort_keys=True)))
    return seen


def verdict(name: str, cases: list[Any], original: list[tuple[Any, ...]]) -> str:
    """`unreached`, `gap`, `fields` or `wording` (the module's docstring says which is which)."""
    os.environ["MUTANT_UNDER_TEST"] = name
    try:
        mutated = _answers(cases)
    finally:
        os.environ["MUTANT_UNDER_TEST"] = ""
    pairs = list(zip(mutated, original, strict=True))
    if mutated == original:
        return "unreached"
    if any(m[:3] != o[:3] for m, o in pairs):
        return "gap"
    if any(m[3] != o[3] for m, o in pairs):
        return "fields"
    return "wording"


def main(argv: list[str]) -> int:
    append = "--append" in argv
    names = [name for name in argv if name != "--append"]
    sys.path[:0] = [str(MUTANTS), str(MUTANTS / "tests")]
    os.chdir(MUTANTS)
    os.environ["MUTANT_UNDER_TEST"] = ""
    from hostile_cases import REJECTED

    cases = list(REJECTED)  # refusals change nothing, so answers compare exactly
    original = _answers(cases)
    triaged = []
    for name in names:
        found = verdict(name, cases, original)
        print(name, found, flush=True)
        if found in TRIAGED:
            triaged.append(f"{name} {TRIAGED[found]}\n")
    if append and triaged:
        with EQUIVALENTS.open("a", encoding="utf-8") as out:
            out.write("# -- refusal bodies, triaged by mutation/error_bodies.py --\n" + "".join(triaged))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
