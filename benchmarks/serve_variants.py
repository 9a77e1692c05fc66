"""Compare ways of serving the mock: idle RSS, cold start, and the filtered list under load.

    python benchmarks/serve_variants.py                       # granian and waitress, as the CLI runs them
    python benchmarks/serve_variants.py --variant 'proto=python /tmp/proto.py --port {port}'
    python benchmarks/serve_variants.py --cold-runs 7 --repeats 3 --duration 5

The same method as `make bench` (peers.py, load.py): each variant in its own process group,
RSS summed over the group 1 s after the first 200 (median of --cold-runs launches, variants
in turn), then wrk with request.lua on the filtered list at 1 and 16 connections, each on a
fresh process after a 1 s warm-up; the variants take turns, --repeats rounds, and the
medians are reported with every run and the CPU other work used meanwhile (other load, in
cores). Prints a table and writes benchmarks/.work/serve_variants.json. Never fails on timing.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
WORK = HERE / ".work"

import machine  # noqa: E402
import peers  # noqa: E402
from load import run_wrk  # noqa: E402

MB = 1024 * 1024
CONNECTIONS = (1, 16)


def command_peer(name: str, template: str) -> peers.Peer:
    """A variant started by `template`, a shell-quoted command with `{port}` in it."""
    def command(port: int, work: Path) -> list[str]:
        return [part.format(port=port) for part in shlex.split(template)]
    return peers.Peer(name, template, command)


def cold(variants: list[peers.Peer], runs: int) -> dict:
    samples = {v.name: {"ready_s": [], "idle_rss_mb": []} for v in variants}
    for attempt in range(runs):
        machine.wait_for_quiet()
        for variant in variants:
            with peers.Running(variant, WORK) as running:
                samples[variant.name]["ready_s"].append(running.wait_ready())
                time.sleep(1.0)
                samples[variant.name]["idle_rss_mb"].append(running.rss_bytes() / MB)
        print(f"cold {attempt + 1}/{runs}: " + ", ".join(
            f"{name} {s['ready_s'][-1]:.3f}s {s['idle_rss_mb'][-1]:.1f}MB" for name, s in samples.items()),
            flush=True)
    return {name: {**s, "median_ready_s": statistics.median(s["ready_s"]),
                   "median_idle_rss_mb": statistics.median(s["idle_rss_mb"])}
            for name, s in samples.items()}


def load(variants: list[peers.Peer], duration: float, repeats: int, max_requests: int) -> dict:
    """Rounds of (variant × connections), each on a fresh process with a 1 s warm-up, so that
    load from other work on the machine falls on every variant alike; medians over rounds."""
    runs: dict[str, dict[str, list[dict]]] = {v.name: {str(c): [] for c in CONNECTIONS} for v in variants}
    for attempt in range(repeats):
        for variant in variants:
            request = variant.requests["list"]
            for connections in CONNECTIONS:
                common = {"connections": connections, "max_requests": max_requests, "work_dir": WORK}
                with peers.Running(variant, WORK) as running:
                    running.wait_ready()
                    run_wrk(running.base_url, request, variant.auth, duration=1.0, **common)
                    gate = machine.wait_for_quiet(running.cpu_seconds)
                    cpu_before = running.cpu_seconds()
                    result = run_wrk(running.base_url, request, variant.auth, duration=duration,
                                     sample=running.rss_bytes, server_cpu=running.cpu_seconds, **common)
                    # CPU the server spent per answer: far less swayed by other work than req/s
                    result["cpu_us"] = (running.cpu_seconds() - cpu_before) / max(1, result["requests"]) * 1e6
                runs[variant.name][str(connections)].append({**result, "gate": gate})
                print(f"round {attempt + 1}/{repeats} {variant.name:16} c={connections:<2} "
                      f"{result['rps']:8.0f} req/s  p99 {result['p99_ms']:6.2f} ms  "
                      f"CPU {result['cpu_us']:5.0f} µs/req  non-2xx {result['non2xx']}  "
                      f"other load {result['other_load']:.2f}", flush=True)
    return {name: {c: {**_summary(r), "runs": r} for c, r in by_c.items()} for name, by_c in runs.items()}


def _summary(runs: list[dict]) -> dict:
    return {"rps": statistics.median(r["rps"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "cpu_us": statistics.median(r["cpu_us"] for r in runs),
            "rps_all": [round(r["rps"]) for r in runs],
            "p99_all": [round(r["p99_ms"], 2) for r in runs],
            "other_load": [r["other_load"] for r in runs],
            "peak_rss_mb": max(r.get("peak_rss_mb", 0) for r in runs)}


def _cell(values: dict, key: str, form: str) -> str:
    return form.format(values[key]) if key in values else "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=COMMAND with {port}; default: the CLI under granian and waitress")
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--only", choices=("cold", "load"), help="one section")
    args = parser.parse_args(argv)
    variants = [command_peer(*spec.split("=", 1)) for spec in args.variant] or [
        peers.mock_peer(name="granian"), peers.mock_peer(name="waitress", server="waitress")]
    WORK.mkdir(exist_ok=True)
    result: dict = {"when": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "variants": {v.name: v.label for v in variants}}
    if args.only != "load":
        result["cold"] = cold(variants, args.cold_runs)
    if args.only != "cold":
        result["load"] = load(variants, args.duration, args.repeats, args.max_requests)
    (WORK / "serve_variants.json").write_text(json.dumps(result, indent=2))
    print("\n| variant | idle RSS MB | cold start s | req/s c=1 | p99 ms c=1 | CPU µs/req c=1 "
          "| req/s c=16 | p99 ms c=16 | CPU µs/req c=16 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for v in variants:
        c = result.get("cold", {}).get(v.name, {})
        row = [v.name, _cell(c, "median_idle_rss_mb", "{:.1f}"), _cell(c, "median_ready_s", "{:.3f}")]
        for connections in CONNECTIONS:
            s = result.get("load", {}).get(v.name, {}).get(str(connections), {})
            row += [_cell(s, "rps", "{:.0f}"), _cell(s, "p99_ms", "{:.2f}"), _cell(s, "cpu_us", "{:.0f}")]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
