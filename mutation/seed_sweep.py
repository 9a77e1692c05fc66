"""Correct servers under many seeds: the whole suite by URL, as QA runs it, against each server
written apart from the kit (tests/independent/) and the kit's own mock served, with the default
--max-examples and a new seed each run. A correct server must get the verdict its row of
tests/independent_servers.EXPECTED states whatever the seed: documented passes, strict fails
exactly the assumptions the server answers otherwise. `make test` runs each server once, with 1-2
examples an operation; this is where a seed that trips the suite over a correct answer shows.

    make seeds                                      (SEEDS=3 random seeds a server and level)
    python mutation/seed_sweep.py --seed 1 --seed 7 --server sixth_server.py --level strict

Prints a line a run (what failed beyond or short of the expected, and the command that replays
it) and the count; exits 1 if any run said otherwise than expected.
"""

from __future__ import annotations

import argparse
import random
import shlex
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import suite_runs as demo  # noqa: E402
from independent_faults import failed_rules  # noqa: E402
from independent_servers import EXPECTED, SERVERS, Expected, free_port, listening  # noqa: E402

MOCK = "calendar-mock"  # the kit's own mock, served with its demo data
MOCK_EXPECTED = Expected(credentials=dict(
    apikey=demo.APIKEY, user=demo.USER, password=demo.PASSWORD, group_id=demo.GROUP,
    other_user=demo.OTHER_USER, other_password=demo.OTHER_PASSWORD, other_group_id=demo.OTHER_GROUP))
RUN_TIMEOUT_S = 900
FLAGS = {"apikey": "--apikey", "user": "--user", "password": "--password", "group_id": "--group-id",
         "other_user": "--other-user", "other_password": "--other-password",
         "other_group_id": "--other-group-id"}


def _arguments(expected: Expected) -> list[str]:
    arguments = [item for key, value in expected.credentials.items() for item in (FLAGS[key], str(value))]
    for intervention in expected.extra.get("intervention_ids", []):
        arguments += ["--intervention-id", str(intervention)]
    return arguments


def _server_command(server: str, port: int) -> list[str]:
    if server == MOCK:
        return [str(Path(sys.executable).with_name("calendar-mock")), "serve", "--host", "127.0.0.1",
                "--port", str(port)]
    return [sys.executable, str(SERVERS / server), "--port", str(port)]


def _suite(base_url: str, expected: Expected, level: str, seed: int, report: str) -> list[str]:
    return ["-m", "contract_tests.cli", "run", "--base-url", base_url, *_arguments(expected),
            "--level", level, "--seed", str(seed), "--progress", "none", "--quiet", "--json", report]


def run_one(server: str, level: str, seed: int, work: Path) -> dict:
    """One run against a fresh server: what failed, against what was expected."""
    expected = MOCK_EXPECTED if server == MOCK else EXPECTED[server]
    want = set(expected.strict_fails) if level == "strict" else set()
    shown = shlex.join(_suite("http://127.0.0.1:PORT", expected, level, seed, "run.json"))
    result = dict(server=server, level=level, seed=seed, want=sorted(want), command=f"python {shown}")
    port = free_port()
    report = work / f"{server}-{level}-{seed}.json"
    process = subprocess.Popen(_server_command(server, port), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT)
    started = time.monotonic()
    try:
        if not listening(port, process, 30):
            return result | dict(ok=False, got=["(did not start)"], seconds=0.0)
        try:
            subprocess.run([sys.executable, *_suite(f"http://127.0.0.1:{port}", expected, level, seed,
                                                    str(report))],
                           capture_output=True, timeout=RUN_TIMEOUT_S, cwd=ROOT, check=False)
            got = set(failed_rules(report))
        except (subprocess.TimeoutExpired, OSError, ValueError) as error:
            got = {f"(no report: {type(error).__name__})"}
    finally:
        process.terminate()
        process.wait(timeout=10)
    return result | dict(ok=got == want, got=sorted(got), seconds=round(time.monotonic() - started, 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random seeds a server and level (default 3)")
    parser.add_argument("--seed", type=int, action="append", help="these seeds instead (repeatable)")
    parser.add_argument("--server", action="append", choices=[*EXPECTED, MOCK], help="default: every one")
    parser.add_argument("--level", action="append", choices=["documented", "strict"])
    parser.add_argument("--parallel", type=int, default=2, help="runs at once (default 2)")
    args = parser.parse_args(argv)
    seeds = args.seed or [random.randrange(2**31) for _ in range(args.seeds)]
    runs = [(server, level, seed) for server in (args.server or [*EXPECTED, MOCK])
            for level in (args.level or ["documented", "strict"]) for seed in seeds]
    print(f"{len(runs)} runs: seeds {seeds}", flush=True)
    with tempfile.TemporaryDirectory() as work, ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = []
        for result in pool.map(lambda run: run_one(*run, Path(work)), runs):
            results.append(result)
            mark = "ok  " if result["ok"] else "FAIL"
            line = (f"{mark} {result['server']:34} {result['level']:10} seed {result['seed']:<11} "
                    f"{result['seconds']:6.1f}s")
            if not result["ok"]:
                extra = sorted(set(result["got"]) - set(result["want"]))
                missing = sorted(set(result["want"]) - set(result["got"]))
                line += (f"  failed beyond the expected: {extra}  expected, not failed: {missing}\n"
                         f"     {result['command']}")
            print(line, flush=True)
    wrong = [result for result in results if not result["ok"]]
    print(f"{len(results) - len(wrong)} of {len(results)} runs said what a correct server should get")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
