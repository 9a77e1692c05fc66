"""Contract run over a slow network: the suite against the mock served over HTTP, every API
request answered `latency` ms late (a `delay` fault at ratio 1), at concurrency 1 and the default.

The mock is `calendar-mock serve --server waitress` in its own process group (its thread pool
sleeps out the delays side by side, as a remote deployment would); the suite is
`calendar-contract run` in a child process, with the footprint bound a run against a deployment
gets by default (`--max-own-calendars 30`): what QA runs against a staging. `--max-own-calendars 0`
lifts it (every layer, the stateful one too, as before the bound). Each run is bounded by TIMEOUT_S.

    python benchmarks/slow_network.py 50 documented 8     # one row, printed as JSON
    python benchmarks/slow_network.py 50 strict 1 semantic,auth   # the suite's own layers only
    python benchmarks/slow_network.py 50 documented 8 --runs 2   # two runs in a row on one mock
    python benchmarks/slow_network.py 50 documented 8 --max-own-calendars 0   # no footprint bound
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import peers

from contract_tests.model import DEFAULT_CONCURRENCY, DEFAULT_MAX_OWN_CALENDARS

TIMEOUT_S = 900
LATENCIES_MS = (0, 20, 50)
LEVELS = ("documented", "strict")
SEED = 1
OTHER = ["--other-user", "pro5@demo.test", "--other-password", "other-password", "--other-group-id", "5"]


def _control(base_url: str, method: str, path: str, body: dict | None = None) -> None:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}/_mock{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def run_once(base_url: str, latency_ms: int, level: str, concurrency: int, work: Path,
             layers: str | None = None, max_own: int | None = None, reset: bool = True) -> dict:
    """One suite run against the mock (reset first unless `reset` is False: a later run then
    finds what the earlier left); wall time, requests, verdict. `max_own`: the footprint bound
    (None: a deployment's default; 0: none)."""
    if reset:
        _control(base_url, "POST", "/reset")
    _control(base_url, "DELETE", "/faults")
    if latency_ms:
        _control(base_url, "POST", "/faults", {"action": "delay", "path": "^/api/", "ratio": 1,
                                               "delay_ms": latency_ms})
    report = work / f"slow-{level}-{latency_ms}-{concurrency}.json"
    cli = Path(sys.executable).with_name("calendar-contract")
    command = [str(cli), "run", "--base-url", base_url, "--apikey", peers.APIKEY, "--user", peers.USER,
               "--password", peers.PASSWORD, "--group-id", "4", *OTHER, "--level", level,
               "--seed", str(SEED), "--concurrency", str(concurrency),
               *(["--max-own-calendars", str(max_own)] if max_own is not None else []),
               "--quiet", "--json", str(report), *(["--layers", layers] if layers else [])]
    started = time.perf_counter()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"did not finish in {TIMEOUT_S} s"}
    wall = time.perf_counter() - started
    if out.returncode not in (0, 1) or not report.exists():
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "reason": " | ".join(tail) or f"exit {out.returncode}", "wall_s": wall}
    data = json.loads(report.read_text())
    return {"status": "ok", "wall_s": round(wall, 1), "passed": data.get("passed"),
            "failures": len(data.get("failures", [])), "requests": data.get("requests"),
            "generated_cases": data.get("cases"),
            "footprint": [note for note in data.get("notes", []) if note.startswith("footprint")]}


def measure(work: Path, log=print, latencies=LATENCIES_MS, levels=LEVELS) -> dict:
    default = DEFAULT_CONCURRENCY
    rows = []
    peer = peers.mock_peer(name="mock-slow", server="waitress")
    running = peers.Running(peer, work)
    try:
        running.wait_ready()
        for latency in latencies:
            for level in levels:
                for concurrency in dict.fromkeys((1, default)):
                    row = {"latency_ms": latency, "level": level, "concurrency": concurrency,
                           **run_once(running.base_url, latency, level, concurrency, work)}
                    log(f"   {row}")
                    rows.append(row)
    finally:
        running.stop()
    return {"rows": rows, "default_concurrency": default, "server": peer.label,
            "targets": {"documented_50ms_s": 30, "strict_50ms_s": 45}}


def targets(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, ratio, met) for the runs at 50 ms and the default concurrency."""
    slow = results.get("slow")
    if not slow or "rows" not in slow:
        return []
    rows: list[tuple[str, str, str, bool | None]] = []
    for level in LEVELS:
        limit = slow["targets"][f"{level}_50ms_s"]
        name = f"{level} contract run at 50 ms, concurrency {slow['default_concurrency']} ≤ {limit} s"
        row = next((row for row in slow["rows"] if row["latency_ms"] == 50 and row["level"] == level
                    and row["concurrency"] == slow["default_concurrency"]), None)
        if row is None or row.get("status") != "ok":
            rows.append((name, f"TODO: {(row or {}).get('reason', 'not measured')}", "-", None))
            continue
        wall = row["wall_s"]
        met = wall <= limit and bool(row["passed"])
        rows.append((name, f"{wall:.1f} s", f"{wall / limit:.2f}× the limit", met))
    return rows


def section_markdown(results: dict) -> str:
    """The RESULTS.md section: one row per (latency, level, concurrency)."""
    slow = results.get("slow")
    title = "## Contract run over a slow network"
    if not slow or "rows" not in slow:
        return f"{title}\n\nnot measured ({(slow or {}).get('error', 'run `--only slow`')})\n"
    lines = [title, "", f"The suite (`--seed {SEED}`, two identities, the footprint bound a deployment gets: "
             f"`--max-own-calendars {DEFAULT_MAX_OWN_CALENDARS}`) against "
             f"`{slow['server']}`, every API request delayed by a `delay` fault. Targets at 50 ms: "
             f"documented <= {slow['targets']['documented_50ms_s']} s, strict <= "
             f"{slow['targets']['strict_50ms_s']} s. Default concurrency {slow['default_concurrency']}.", "",
             "| latency ms | level | concurrency | wall s | suite requests | generated cases | passed |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for row in slow["rows"]:
        if row.get("status") != "ok":
            lines.append(f"| {row['latency_ms']} | {row['level']} | {row['concurrency']} | failed: "
                         f"{row.get('reason', '')} | | | |")
            continue
        lines.append(f"| {row['latency_ms']} | {row['level']} | {row['concurrency']} | {row['wall_s']:.1f} | "
                     f"{row['requests']:,} | {row['generated_cases']:,} | {row['passed']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="one row of the slow-network section, as JSON")
    parser.add_argument("latency", type=int)
    parser.add_argument("level")
    parser.add_argument("concurrency", type=int)
    parser.add_argument("layers", nargs="?")
    parser.add_argument("--max-own-calendars", type=int, default=None,
                        help=f"the footprint bound (default: a deployment's, {DEFAULT_MAX_OWN_CALENDARS}, "
                        "as in the section's rows; 0: none)")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs in a row on one mock, reset only before the first")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    (here / ".work").mkdir(exist_ok=True)
    peer = peers.mock_peer(name="mock-slow", server="waitress")
    running = peers.Running(peer, here / ".work")
    try:
        running.wait_ready()
        for number in range(args.runs):
            row = run_once(running.base_url, args.latency, args.level, args.concurrency, here / ".work",
                           args.layers, args.max_own_calendars, reset=number == 0)
            print(json.dumps(row), flush=True)
    finally:
        running.stop()
