"""Correct servers under many seeds: the whole suite by URL, as QA runs it, against each server
written apart from the kit (tests/independent/) and the kit's own mock served, with the default
--max-examples and a new seed each run. A correct server must get the verdict its row of
tests/independent_servers.EXPECTED states whatever the seed: documented passes, strict fails
exactly the assumptions the server answers otherwise. `make test` runs each server once, with 1-2
examples an operation; this is where a seed that trips the suite over a correct answer shows.

    make seeds                                      (SEEDS=3 random seeds a server and level)
    python mutation/seed_sweep.py --seed 1 --seed 7 --server sixth_server.py --level strict
    make seeds SEEDS=2 DELAY_MS=60 JITTER_MS=50     (a slow network in front: mutation/slow_link.py)

Prints a line a run (what failed beyond or short of the expected, and the command that replays
it) and the count; exits 1 if any run said otherwise than expected.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Network:
    """What lies between the suite and the server: nothing, or a slow link (slow_link.py)."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0

    def relay(self, listen: int | str, upstream: int | str, seed: int) -> list[str]:
        return [sys.executable, str(ROOT / "mutation" / "slow_link.py"), "--listen", str(listen),
                "--upstream", str(upstream), "--delay-ms", f"{self.delay_ms:g}",
                "--jitter-ms", f"{self.jitter_ms:g}", "--seed", str(seed)]


def _suite(base_url: str, expected: Expected, level: str, seed: int, report: str,
           max_examples: int | None) -> list[str]:
    examples = ["--max-examples", str(max_examples)] if max_examples else []
    return ["-m", "contract_tests.cli", "run", "--base-url", base_url, *_arguments(expected),
            "--level", level, "--seed", str(seed), *examples, "--progress", "none", "--quiet",
            "--json", report]


def run_one(server: str, level: str, seed: int, work: Path, network: Network = Network(),
            max_examples: int | None = None) -> dict:
    """One run against a fresh server (behind a slow link if `network` has one; `max_examples`
    None: the suite's default): what failed, against what was expected."""
    expected = MOCK_EXPECTED if server == MOCK else EXPECTED[server]
    want = set(expected.strict_fails) if level == "strict" else set()
    suite = _suite("http://127.0.0.1:PORT", expected, level, seed, "run.json", max_examples)
    command = f"python {shlex.join(suite)}"
    if network.delay_ms:  # the relay's command (without its interpreter's path), then the suite's
        command = f"python {shlex.join(network.relay('PORT', 'SERVER_PORT', seed)[1:])} & {command}"
    result = dict(server=server, level=level, seed=seed, want=sorted(want), command=command)
    port = free_port()
    report = work / f"{server}-{level}-{seed}.json"
    with contextlib.ExitStack() as started_here:
        process = started_here.enter_context(_started(_server_command(server, port)))
        if not listening(port, process, 30):
            return result | dict(ok=False, got=["(did not start)"], seconds=0.0)
        if network.delay_ms:
            relay_port = free_port()
            relay = started_here.enter_context(_started(network.relay(relay_port, port, seed)))
            if not listening(relay_port, relay, 30):
                return result | dict(ok=False, got=["(the slow link did not start)"], seconds=0.0)
            port = relay_port
        started = time.monotonic()
        try:
            subprocess.run([sys.executable, *_suite(f"http://127.0.0.1:{port}", expected, level, seed,
                                                    str(report), max_examples)],
                           capture_output=True, timeout=RUN_TIMEOUT_S, cwd=ROOT, check=False)
            got = set(failed_rules(report))
        except (subprocess.TimeoutExpired, OSError, ValueError) as error:
            got = {f"(no report: {type(error).__name__})"}
    return result | dict(ok=got == want, got=sorted(got), seconds=round(time.monotonic() - started, 1))


@contextlib.contextmanager
def _started(command: list[str]) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random seeds a server and level (default 3)")
    parser.add_argument("--seed", type=int, action="append", help="these seeds instead (repeatable)")
    parser.add_argument("--server", action="append", choices=[*EXPECTED, MOCK], help="default: every one")
    parser.add_argument("--level", action="append", choices=["documented", "strict"])
    parser.add_argument("--parallel", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="a slow link in front of each server: this round trip added (default 0: none)")
    parser.add_argument("--jitter-ms", type=float, default=0.0,
                        help="each piece's round trip drawn within +- this, reordering answers (default 0)")
    parser.add_argument("--max-examples", type=int, help="the suite's --max-examples (default: its own)")
    args = parser.parse_args(argv)
    if not 0 <= args.jitter_ms <= max(args.delay_ms, 0):
        parser.error("--jitter-ms needs a --delay-ms at least as large")
    network = Network(args.delay_ms, args.jitter_ms)
    seeds = args.seed or [random.randrange(2**31) for _ in range(args.seeds)]
    runs = [(server, level, seed) for server in (args.server or [*EXPECTED, MOCK])
            for level in (args.level or ["documented", "strict"]) for seed in seeds]
    link = f", through a slow link (+{args.delay_ms:g} ms +- {args.jitter_ms:g} ms)" if args.delay_ms else ""
    print(f"{len(runs)} runs: seeds {seeds}{link}", flush=True)
    with tempfile.TemporaryDirectory() as work, ThreadPoolExecutor(max_workers=args.parallel) as pool:
        results = []
        for result in pool.map(lambda run: run_one(*run, Path(work), network, args.max_examples), runs):
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
