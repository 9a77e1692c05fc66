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
import json
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from independent_servers import EXPECTED, SERVERS, Expected  # noqa: E402

MOCK = "calendar-mock"  # the kit's own mock, served with its demo data
MOCK_EXPECTED = Expected(credentials=dict(apikey="demo-apikey-4f1c2b", user="pro@demo.test",
                                          password="demo-password", group_id=4, other_user="pro5@demo.test",
                                          other_password="other-password", other_group_id=5))
RUN_TIMEOUT_S = 900
FLAGS = {"apikey": "--apikey", "user": "--user", "password": "--password", "group_id": "--group-id",
         "other_user": "--other-user", "other_password": "--other-password",
         "other_group_id": "--other-group-id"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def run_one(server: str, level: str, seed: int, work: Path) -> dict:
    """One run against a fresh server: what failed, against what was expected."""
    expected = MOCK_EXPECTED if server == MOCK else EXPECTED[server]
    want = set(expected.strict_fails) if level == "strict" else set()
    port = _free_port()
    report = work / f"{server}-{level}-{seed}.json"
    suite = [sys.executable, "-m", "contract_tests.cli", "run", "--base-url", f"http://127.0.0.1:{port}",
             *_arguments(expected), "--level", level, "--seed", str(seed), "--progress", "none", "--quiet",
             "--json", str(report)]
    process = subprocess.Popen(_server_command(server, port), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT)
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    return dict(server=server, level=level, seed=seed, ok=False, got=["(did not start)"],
                                want=sorted(want), seconds=0.0, command="")
                time.sleep(0.05)
        try:
            subprocess.run(suite, capture_output=True, timeout=RUN_TIMEOUT_S, cwd=ROOT, check=False)
            data = json.loads(report.read_text(encoding="utf-8"))
            got = {failure["rule_id"] for failure in data["failures"]}
            if (data.get("stopped") or {}).get("why") == "run stopped":
                got.add("(run stopped: no verdict)")
        except (subprocess.TimeoutExpired, OSError, ValueError) as error:
            got = {f"(no report: {type(error).__name__})"}
    finally:
        process.terminate()
        process.wait(timeout=10)
    shown = " ".join(part if " " not in part else repr(part) for part in suite[2:])
    return dict(server=server, level=level, seed=seed, ok=got == want, got=sorted(got), want=sorted(want),
                seconds=round(time.monotonic() - started, 1),
                command=f"python -m {shown.replace(str(report), 'run.json').replace(str(port), 'PORT')}")


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
