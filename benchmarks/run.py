"""`make bench`: install what is needed, measure the mock beside Prism and json-server, report.

    python benchmarks/run.py                 # everything (about 15 minutes on 2 cores)
    python benchmarks/run.py --quick         # short runs, to try the machinery
    python benchmarks/run.py --only cold,load
    python benchmarks/run.py --only proxy    # the proxy in front of the mock, vs the mock
    python benchmarks/run.py --only slow     # the contract run over a slow network (0/20/50 ms)
    python benchmarks/run.py --report-only   # rewrite RESULTS.md from the last raw results

Raw numbers go to benchmarks/.work/results.json, the report to benchmarks/RESULTS.md.
Every server binds 127.0.0.1; every load run is bounded by time and by request count.
Nothing here fails on timing: a missed target is reported, and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import charts  # noqa: E402
import contract_bench  # noqa: E402
import machine  # noqa: E402
import peers  # noqa: E402
import profile_mock  # noqa: E402
import proxy_bench  # noqa: E402
import report  # noqa: E402
import seeds  # noqa: E402
import slow_network  # noqa: E402
import tools  # noqa: E402
import worst  # noqa: E402
from load import run_wrk  # noqa: E402

WORK = HERE / ".work"
RAW = WORK / "results.json"
SECTIONS = ("cold", "load", "sizes", "profile", "contract", "worst", "proxy", "slow")
SIZES = (100, 10_000, 100_000)
CONNECTIONS = (1, 16)
WRK_SETTINGS = ("duration_s", "repeats", "max_requests", "cold_runs", "warmup_s", "connections")
MB = 1024 * 1024


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", flush=True)


def cold_start(runs: int, settle: float) -> dict:
    """Launch → first 200 on the list, `runs` times per peer, peers taken in turn."""
    samples: dict[str, dict[str, list[float]]] = {
        p.name: {"seconds": [], "idle_rss_mb": []} for p in peers.PEERS
    }
    errors: dict[str, str] = {}
    gates = []
    for attempt in range(runs):
        gates.append(machine.wait_for_quiet())
        for peer in peers.PEERS:
            if peer.name in errors:
                continue
            try:
                with peers.Running(peer, WORK) as running:
                    samples[peer.name]["seconds"].append(running.wait_ready())
                    time.sleep(settle)
                    samples[peer.name]["idle_rss_mb"].append(running.rss_bytes() / MB)
            except (RuntimeError, TimeoutError, OSError) as error:
                errors[peer.name] = str(error)
        log(f"cold start round {attempt + 1}/{runs}: " + ", ".join(
            f"{name} {s['seconds'][-1]:.2f}s" for name, s in samples.items() if s["seconds"]))
    result = {}
    for name, values in samples.items():
        result[name] = {
            "runs": values["seconds"],
            "median_s": statistics.median(values["seconds"]) if values["seconds"] else None,
            "idle_rss_mb": statistics.median(values["idle_rss_mb"]) if values["idle_rss_mb"] else None,
            "error": errors.get(name),
        }
    result["gates"] = gates
    return result


def _probe(running: peers.Running, operation: str) -> dict:
    status, body = running.send(running.peer.requests[operation])
    return {"status": status, "body": body[:160].decode("utf-8", "replace")}


def load(duration: float, repeats: int, max_requests: int, warmup: float) -> dict:
    """Each peer × operation × connections on a fresh process: warm-up, then `repeats` runs.

    A run during which other work used the machine (see machine.py) is redone, up to
    `repeats` extra runs per configuration; the median is over the undisturbed runs if any.
    """
    results: dict[str, dict] = {}
    for peer in peers.PEERS:
        results[peer.name] = {"label": peer.label, "operations": {}}
        for operation in peers.OPERATIONS:
            request = peer.requests[operation]
            cell = results[peer.name]["operations"].setdefault(operation, {
                "method": request.method, "path": request.path,
                "body": request.body.decode() if request.body else None, "by_connections": {},
            })
            for connections in CONNECTIONS:
                try:
                    with peers.Running(peer, WORK) as running:
                        running.wait_ready()
                        cell["probe"] = _probe(running, operation)
                        runs = _measure(running, request, connections, duration, repeats, max_requests,
                                        warmup)
                    summary = cell["by_connections"][str(connections)] = _median_of(runs, repeats)
                    summary["log_lines"] = running.log_path.read_bytes().count(b"\n")
                    log(f"{peer.name:12} {operation:6} c={connections:<2} {summary['rps']:8.0f} req/s  "
                        f"p50 {summary['p50_ms']:6.2f} ms  p99 {summary['p99_ms']:6.2f} ms  "
                        f"non-2xx {summary['non2xx']}  peak {summary['peak_rss_mb']:.0f} MB  "
                        f"other load {summary['other_load']:.2f} cores ({summary['clean_runs']}/{len(runs)} "
                        f"clean)")
                except (RuntimeError, TimeoutError, OSError) as error:
                    cell["by_connections"][str(connections)] = {"error": str(error)}
                    log(f"{peer.name} {operation} c={connections}: {error}")
    return results


def _measure(running: peers.Running, request, connections: int, duration: float, repeats: int,
             max_requests: int, warmup: float) -> list[dict]:
    common = {"connections": connections, "max_requests": max_requests, "work_dir": WORK}
    machine.wait_for_quiet(running.cpu_seconds)
    run_wrk(running.base_url, request, running.peer.auth, duration=warmup, **common)
    runs: list[dict] = []
    while len(runs) < repeats or (len(runs) < 2 * repeats and sum(_clean(r) for r in runs) < repeats
                                  and machine.budget_left() > 0):
        gate = machine.wait_for_quiet(running.cpu_seconds)
        result = run_wrk(running.base_url, request, running.peer.auth, duration=duration,
                         sample=running.rss_bytes, server_cpu=running.cpu_seconds, **common)
        runs.append({**result, "gate": gate})
    return runs


def _clean(run: dict) -> bool:
    return run["other_load"] < machine.QUIET_CORES


def _median_of(runs: list[dict], repeats: int) -> dict:
    clean = [r for r in runs if _clean(r)]
    kept = clean or runs
    return {
        "runs": runs,
        "clean_runs": len(clean),
        "rps": statistics.median(r["rps"] for r in kept),
        "p50_ms": statistics.median(r["p50_ms"] for r in kept),
        "p99_ms": statistics.median(r["p99_ms"] for r in kept),
        "requests": sum(r["requests"] for r in runs),
        "non2xx": sum(r["non2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "peak_rss_mb": max(r.get("peak_rss_mb", 0) for r in runs),
        "other_load": max(r["other_load"] for r in kept),
    }


def sizes(duration: float, max_requests: int) -> dict:
    """The mock with 100 / 10,000 / 100,000 calendars in group 4: load time, memory, list latency."""
    results = {}
    for size in SIZES:
        seed = seeds.write_seed(size, WORK)
        peer = peers.mock_peer(seed, name=f"mock-{size}")
        entry: dict = {"seed_mb": seed.stat().st_size / MB}
        try:
            with peers.Running(peer, WORK) as running:
                entry["ready_s"] = running.wait_ready(timeout=600)
                time.sleep(1)
                entry["idle_rss_mb"] = running.rss_bytes() / MB
                entry["startup_peak_rss_mb"] = running.hwm_bytes() / MB
                for name, request in (("page", peer.requests["ready"]), ("filtered", peer.requests["list"])):
                    gate = machine.wait_for_quiet(running.cpu_seconds)
                    entry[name] = {**run_wrk(running.base_url, request, peer.auth, connections=1,
                                             duration=duration, max_requests=max_requests, work_dir=WORK,
                                             sample=running.rss_bytes, server_cpu=running.cpu_seconds),
                                   "gate": gate}
                entry["peak_rss_mb"] = max(entry["page"]["peak_rss_mb"], entry["filtered"]["peak_rss_mb"])
                entry["hwm_rss_mb"] = running.hwm_bytes() / MB
            log(f"mock with {size} calendars: ready {entry['ready_s']:.2f}s, "
                f"idle {entry['idle_rss_mb']:.0f} MB, page p50 {entry['page']['p50_ms']:.2f} ms, "
                f"filtered p50 {entry['filtered']['p50_ms']:.2f} ms")
        except (RuntimeError, TimeoutError, OSError) as error:
            entry["error"] = str(error)
            log(f"mock with {size} calendars: {error}")
        results[str(size)] = entry
    return results


def _quietly(measure) -> dict:
    """Run `measure` once the machine is quiet, and record how busy it was meanwhile."""
    gate = machine.wait_for_quiet()
    probe = machine.OtherLoad().start()
    result = measure()
    return {**result, "gate": gate, "other_load": round(probe.stop(), 2)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 s runs, 1 repeat, 3 cold starts")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured wrk run")
    parser.add_argument("--repeats", type=int, default=3, help="measured wrk runs per configuration")
    parser.add_argument("--max-requests", type=int, default=100_000, help="request cap per wrk run")
    parser.add_argument("--cold-runs", type=int, default=7, help="cold starts per peer (median)")
    parser.add_argument("--profile-requests", type=int, default=2000)
    parser.add_argument("--worst-samples", type=int, default=20,
                        help="answers timed per worst-case request (after one warm-up)")
    parser.add_argument("--worst-budget", type=float, default=3.0,
                        help="seconds of sampling per worst-case request once 3 answers are in")
    parser.add_argument("--worst-duration", type=float, default=10.0,
                        help="seconds of each worst-case concurrency run")
    parser.add_argument("--worst-heavy-cap", type=int, default=10_000,
                        help="request cap of the client sending the worst requests in a loop")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="longest wait for other work on the machine to calm down before a run")
    parser.add_argument("--wait-budget", type=float, default=900.0,
                        help="total seconds of such waiting in one benchmark run")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from results.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.repeats, args.cold_runs, args.profile_requests = 1.0, 1, 3, 300
        args.quiet_wait, args.wait_budget = 3.0, 60.0
        args.worst_samples, args.worst_budget, args.worst_duration = 5, 1.0, 2.0
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    WORK.mkdir(exist_ok=True)
    if args.report_only:
        results = json.loads(RAW.read_text())
        print(report.write(results))
        _draw_charts()
        return 0
    machine.MAX_WAIT_S, machine.WAIT_BUDGET_S = args.quiet_wait, args.wait_budget
    # Prism and json-server; the proxy section compares with Prism's proxy when npm is there
    tools.ensure_all(node=bool({"cold", "load"} & set(args.sections))
                     or ("proxy" in args.sections and shutil.which("npm") is not None))
    results: dict = json.loads(RAW.read_text()) if RAW.exists() and args.sections != list(SECTIONS) else {}
    results["environment"] = tools.environment()
    previous = results.get("settings", {})
    results["settings"] = {"duration_s": args.duration, "repeats": args.repeats,
                           "max_requests": args.max_requests, "cold_runs": args.cold_runs,
                           "warmup_s": 1.0, "connections": list(CONNECTIONS),
                           "quiet_cores": machine.QUIET_CORES, "quiet_wait_s": args.quiet_wait,
                           "wait_budget_s": args.wait_budget,
                           "peers": {p.name: p.label for p in peers.PEERS}}
    if not set(args.sections) & {"cold", "load", "sizes"}:  # the wrk settings the kept sections used
        results["settings"].update({key: previous[key] for key in WRK_SETTINGS if key in previous})
    log(f"sections {', '.join(args.sections)}; raw results in {RAW}")
    steps = {
        "cold": lambda: cold_start(args.cold_runs, settle=1.0),
        "load": lambda: load(args.duration, args.repeats, args.max_requests, warmup=1.0),
        "sizes": lambda: sizes(args.duration, args.max_requests),
        "profile": lambda: _quietly(lambda: {op: profile_mock.profile(op, args.profile_requests)
                                             for op in ("list", "create")}),
        "contract": lambda: _quietly(contract_bench.measure),
        "worst": lambda: worst.run(WORK, samples=args.worst_samples, budget_s=args.worst_budget,
                                   duration=args.worst_duration, max_requests=args.max_requests,
                                   heavy_cap=args.worst_heavy_cap,
                                   profile_calls=1 if args.quick else 3, log=log),
        "proxy": lambda: proxy_bench.measure(WORK, args.duration, args.repeats, args.max_requests, log),
        # The contract run against the mock with injected latency (0/20/50 ms), concurrency 1 and default.
        "slow": lambda: slow_network.measure(WORK, log=log),
    }
    for section in args.sections:
        log(f"== {section}")
        before = tools.code_fingerprints()
        try:
            results[section] = steps[section]()
        except Exception as error:  # one broken section must not lose the others
            traceback.print_exc()
            results[section] = {"error": f"{type(error).__name__}: {error}"}
        results["settings"]["waited_s"] = round(machine.WAIT_BUDGET_S - machine.budget_left(), 1)
        results.setdefault("code", {})[section] = {"before": before, "after": tools.code_fingerprints()}
        if results["code"][section]["after"] != before:
            log(f"the measured code changed during the {section} section")
        RAW.write_text(json.dumps(results, indent=2))
    missing = [section for section in SECTIONS if section not in results]
    # A partial run with no earlier results would leave most of RESULTS.md empty: it goes beside it.
    print(report.write(results, WORK / "RESULTS-partial.md" if missing else report.RESULTS_MD))
    if missing:
        print(f"RESULTS.md left as it was: no results yet for {', '.join(missing)}")
    else:
        _draw_charts()
    return 0


def _draw_charts() -> None:
    """The charts beside RESULTS.md, from its summary table (benchmarks/charts.py)."""
    try:
        written = charts.draw(report.RESULTS_MD)
    except ImportError as error:  # matplotlib is in the dev extra; the numbers stand without it
        print(f"charts not drawn: {error}")
        return
    print("\n".join(f"written {path}" for path in written))


if __name__ == "__main__":
    sys.exit(main())
