"""Faults someone else planted in servers someone else wrote, and the contract suite run against
each faulty copy by URL as QA runs it (--seed 1, the default --max-examples). Two sets, each from
its own hand: the faulty copies of tests/independent/strict_server.py
(strict_server_faults.py) and those of tests/independent/busy_staging_server.py
(busy_staging_server_faults.py, which serves interventions and calendarsets and rate-limits).
Each variant breaks one rule of CONTRACT.md. Strict for every variant; documented too for those
the writer tagged DOC or INF. Prints what each run failed and the detection figures.

    make independent-faults                          (both sets; about an hour on 2 cores)
    python mutation/independent_faults.py --set busy [NAME ...]   (one set, some variants only)
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVERS = ROOT / "tests" / "independent"
CREDENTIALS = ["--apikey", "indep-key-7", "--user", "qa@indep.test", "--password", "qa-pass-1",
               "--group-id", "40", "--other-user", "other@indep.test", "--other-password", "other-pass-2",
               "--other-group-id", "77"]
RUN_TIMEOUT_S = 900
# Each set: the script that writes the faulty copies (`script OUT`: OUT/<name>.py, OUT/index.json).
SETS = {"strict": "strict_server_faults.py", "busy": "busy_staging_server_faults.py"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failed_rules(report: Path) -> list[str]:
    """The rules a run's JSON report failed, and a mark where the run stopped without a verdict."""
    data = json.loads(report.read_text(encoding="utf-8"))
    cut_short = (data.get("stopped") or {}).get("why") == "run stopped"
    return sorted({failure["rule_id"] for failure in data["failures"]}) + (
        ["(run stopped: no verdict)"] if cut_short else [])


def _run(server: Path, level: str, report: Path) -> list[str]:
    """The rules the suite failed against `server` at `level` (a fresh server each run)."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, str(server), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    return ["(the variant did not start)"]
                time.sleep(0.05)
        subprocess.run([sys.executable, "-m", "contract_tests.cli", "run", "--base-url",
                        f"http://127.0.0.1:{port}", *CREDENTIALS, "--level", level, "--seed", "1",
                        "--json", str(report), "--progress", "none", "--quiet"],
                       capture_output=True, timeout=RUN_TIMEOUT_S, cwd=ROOT)
        return failed_rules(report)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_set(fault_set: str, names: list[str]) -> tuple[int, int, int, int]:
    """Runs the suite against the set's variants (`names`: some only) and prints the table;
    returns (caught at strict, variants, caught at documented, variants tagged DOC or INF)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        subprocess.run([sys.executable, str(SERVERS / SETS[fault_set]), str(out)], check=True,
                       capture_output=True)
        index = json.loads((out / "index.json").read_text(encoding="utf-8"))
        variants = [v for v in index if not names or v["name"] in names]
        jobs = [(v, level) for v in variants for level in ("strict", "documented")
                if level == "strict" or v["tag"] in ("DOC", "INF")]
        with ThreadPoolExecutor(2) as pool:
            found = list(pool.map(lambda job: _run(out / f"{job[0]['name']}.py", job[1],
                                                   out / f"{job[0]['name']}-{job[1]}.json"), jobs))
    failed = {(v["name"], level): rules for (v, level), rules in zip(jobs, found, strict=True)}
    print(f"\n== {SETS[fault_set]}\n{'variant':<36} {'tag':<4} {'documented':<40} strict")
    for v in variants:
        documented = failed.get((v["name"], "documented"))
        cells = ["-" if documented is None else ", ".join(documented) or "MISSED",
                 ", ".join(failed[(v["name"], "strict")]) or "MISSED"]
        print(f"{v['name']:<36} {v['tag']:<4} {cells[0]:<40} {cells[1]}")
    strict_caught = sum(bool(failed[(v["name"], "strict")]) for v in variants)
    tagged = [v for v in variants if (v["name"], "documented") in failed]
    documented_caught = sum(bool(failed[(v["name"], "documented")]) for v in tagged)
    print(f"caught at strict: {strict_caught}/{len(variants)}; at documented: {documented_caught}/"
          f"{len(tagged)} of the variants their writer tagged DOC or INF", flush=True)
    return strict_caught, len(variants), documented_caught, len(tagged)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=[*SETS, "all"], default="all", dest="fault_set")
    parser.add_argument("names", nargs="*", help="variants to run (default: every one of the set)")
    args = parser.parse_args(argv)
    totals = [run_set(fault_set, args.names)
              for fault_set in (SETS if args.fault_set == "all" else [args.fault_set])]
    if len(totals) > 1:
        strict, variants, documented, tagged = (sum(column) for column in zip(*totals, strict=True))
        print(f"\nboth sets: caught at strict {strict}/{variants}; at documented {documented}/{tagged}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
