"""What `make mutation` measured: mutmut's verdicts per module, less the triaged equivalents.

    python mutation/report.py              # the table per module, and the survivors left to triage
    python mutation/report.py --survivors  # each survivor: file:line and its diff
    python mutation/report.py --glob mock_server/api/params.py   # mutmut's name pattern for one file

Run from the project root after `mutmut run` (it reads `mutants/`). A survivor is *equivalent*
when `mutation/equivalents.txt` lists it with the reason the API cannot show the change; every
other survivor is a gap of the contract suite. The kill rate is killed / (mutants - equivalent).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "mutation" / "equivalents.txt"
OTHER_ANSWERS = ROOT / "mutation" / "other_answers.txt"  # verdicts of mutation/other_answers.py
# mutmut's exit codes (mutmut/stats.py), folded into the columns of the report.
VERDICTS = {1: "killed", 3: "killed", 0: "survived", 33: "no tests", 5: "no tests", None: "not checked",
            36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout"}
COLUMNS = ("killed", "killed (other answers)", "timeout", "survived", "no tests", "equivalent",
           "not checked")


def mutmut_config() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]


def module_glob(path: str) -> str:
    """`mock_server/api/params.py` -> `mock_server.api.params.*` (mutmut's mutant names)."""
    dotted = path.removesuffix(".py").replace("/", ".")
    # mutmut names a package's own mutants without `__init__`: `mock_server.contract.x_f__mutmut_1`
    return dotted.removesuffix(".__init__") + ".x*" if dotted.endswith(".__init__") else dotted + ".*"


def equivalents() -> dict[str, str]:
    """Mutant name -> why the API cannot show it; `#` starts a comment line."""
    found = {}
    for line in EQUIVALENTS.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            found[name] = reason.strip()
    return found


def other_answers() -> dict[str, str]:
    """Mutant name -> its verdict against the mock answering every open question the other way."""
    if not OTHER_ANSWERS.exists():
        return {}
    # "<name> <verdict> [the rule that failed]"; a later line of the same mutant wins
    return {name: verdict for name, verdict, *_ in (line.split() for line in OTHER_ANSWERS.read_text(
        "utf-8").splitlines() if line and not line.startswith("#"))}


def verdicts() -> dict[str, dict[str, str]]:
    """Module file -> {mutant name: verdict}, for the files of `only_mutate`."""
    result = {}
    for path in mutmut_config()["only_mutate"]:
        meta = ROOT / "mutants" / (path + ".meta")
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"] if meta.exists() else {}
        result[path] = {name: VERDICTS.get(code, "suspicious") for name, code in codes.items()}
    elsewhere = other_answers()
    for names in result.values():
        for name, verdict in names.items():
            if verdict in ("survived", "no tests") and elsewhere.get(name) in ("killed", "timeout"):
                names[name] = "killed (other answers)"
    return result


def counts(by_module: dict[str, dict[str, str]], equivalent: dict[str, str]) -> dict[str, Counter]:
    table = {}
    for path, names in by_module.items():
        count = Counter()
        for name, verdict in names.items():
            if verdict in ("survived", "no tests") and name in equivalent:
                verdict = "equivalent"
            count[verdict] += 1
        table[path] = count
    return table


def rate(count: Counter) -> str:
    judged = sum(count.values()) - count["equivalent"] - count["not checked"]
    killed = count["killed"] + count["killed (other answers)"] + count["timeout"]
    return f"{100 * killed / judged:.1f} %" if judged else "-"


def table(by_module: dict[str, dict[str, str]], equivalent: dict[str, str]) -> str:
    rows = counts(by_module, equivalent)
    total = sum(rows.values(), Counter())
    lines = ["| module | mutants | " + " | ".join(COLUMNS) + " | kill rate |",
             "|---|" + "---:|" * (len(COLUMNS) + 2)]
    for path, count in [*rows.items(), ("**all**", total)]:
        cells = " | ".join(str(count[column]) for column in COLUMNS)
        lines.append(f"| {path} | {sum(count.values())} | {cells} | {rate(count)} |")
    lines.append("")
    lines.append("kill rate = (killed + timeout) / (mutants - equivalent - not checked); a `no tests` "
                 "mutant (in code the suite never reaches) that is not equivalent counts as a survivor; "
                 "`killed (other answers)`: survived the default mock, killed by the suite against the "
                 "mock answering every open question the other way (mutation/other_answers.py), or by a "
                 "re-run with the schemathesis layers too (MUTATION_LAYERS; noted in other_answers.txt)")
    return "\n".join(lines)


def _function_line(source: str, mangled: str) -> int:
    """The line of `def` of mutmut's mangled function name (`x_f`, `xǁClassǁmethod`)."""
    if mangled.startswith("xǁ"):
        _, cls, method = mangled.split("ǁ")
        wanted = [cls, method]
    else:
        wanted = [mangled.removeprefix("x_")]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and len(wanted) == 2 and node.name == wanted[0]:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == wanted[1]:
                    return item.lineno
        if isinstance(node, ast.FunctionDef) and len(wanted) == 1 and node.name == wanted[0]:
            return node.lineno
    return 0


def describe(path: str, name: str) -> tuple[int, str]:
    """file line of the first changed line, and the change as `-old` / `+new` lines."""
    import libcst as cst
    from mutmut.mutation.diff_apply import read_functions_from_index

    functions = read_functions_from_index(name, ROOT / "mutants" / path)
    if functions is None:
        return 0, "(no diff: mutmut has no span index for it)"
    orig, mutant = (cst.Module([f]).code.strip().splitlines() for f in functions)
    def_index = next(i for i, line in enumerate(orig) if line.lstrip().startswith(("def ", "async def ")))
    changed = [line for line in difflib.unified_diff(orig, mutant, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    first = next(i for i, (a, b) in enumerate(zip(orig, mutant + [""] * len(orig), strict=False)) if a != b)
    mangled = name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
    line = _function_line((ROOT / path).read_text("utf-8"), mangled) + first - def_index
    return line, "\n".join(changed)


def survivors(by_module: dict[str, dict[str, str]], equivalent: dict[str, str], everything: bool) -> str:
    out = []
    for path, names in by_module.items():
        for name in sorted(names, key=_natural):
            if names[name] not in ("survived", "no tests") or (name in equivalent and not everything):
                continue
            line, change = describe(path, name)
            mark = f"  [equivalent: {equivalent[name]}]" if name in equivalent else ""
            out.append(f"## {path}:{line} {name} ({names[name]}){mark}\n{change}\n")
    return "\n".join(out)


def _natural(name: str) -> tuple[str, int]:
    base, _, number = name.rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--glob", metavar="PATH", help="print mutmut's mutant-name pattern for a module")
    parser.add_argument("--survivors", action="store_true", help="list the survivors with their diffs")
    parser.add_argument("--all", action="store_true", help="with --survivors: the equivalent ones too")
    args = parser.parse_args(argv)
    if args.glob:
        print(" ".join(module_glob(path) for path in args.glob.split()))
        return 0
    sys.path.insert(0, str(ROOT))
    by_module = verdicts()
    equivalent = equivalents()
    if args.survivors:
        print(survivors(by_module, equivalent, args.all))
        return 0
    print(table(by_module, equivalent))
    known = {name for names in by_module.values() for name in names}
    stale = sorted(name for name in equivalent if name not in known)
    left = sum(1 for names in by_module.values() for name, verdict in names.items()
               if verdict in ("survived", "no tests") and name not in equivalent)
    if stale:
        print(f"\n{len(stale)} name(s) in mutation/equivalents.txt match no mutant: "
              f"{', '.join(stale[:5])} ...")
    print(f"\n{left} survivor(s) not triaged: `python mutation/report.py --survivors` lists them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
