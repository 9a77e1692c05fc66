"""Section `proxy`: what `calendar-mock proxy` adds in front of the mock, beside what Prism's
validating proxy (`prism proxy`, the tool an OpenAPI user would otherwise put there) adds.

The mock (`calendar-mock serve`, granian), the proxy in front of it (`calendar-mock proxy
--upstream <mock>`, level documented) and, when the benchmark's npm packages are installed,
`prism proxy <spec> <mock>` each run in their own process group. For each operation and
connection count, wrk drives the mock directly and through each proxy in turn (1 s warm-up each,
then `repeats` rounds of direct, proxied, Prism runs, so other work on the machine falls on all
alike); medians of p50, p99 and req/s, and each proxy's CPU per request. The targets (ours): at
most 1 ms added at p50, throughput at least half the direct one.

    python benchmarks/run.py --only proxy
"""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import machine
import peers
import tools
from load import Request, run_wrk

# list and show repeat one request, as an app polling it does: after the first, the proxy
# shares its verdict and findings (mock_server.proxy.response_check). pages sends the list with a
# new startIndex each time: no two requests alike, every exchange judged from scratch.
OPERATIONS = ("list", "show", "pages")
# (connections, think time in ms): closed loops at 1 and 16 connections, the machine saturated at
# 16; and 16 connections each waiting 5 ms between requests, a load the machine takes.
CONNECTIONS = ((1, 0), (16, 0), (16, 5))
ADDED_P50_MS = 1.0
THROUGHPUT_SHARE = 0.5


def proxy_peer(upstream: str, level: str = "documented") -> peers.Peer:
    def command(port: int, work: Path) -> list[str]:
        cli = Path(sys.executable).with_name("calendar-mock")
        return [str(cli), "proxy", "--upstream", upstream, "--host", peers.HOST, "--port", str(port),
                "--level", level]
    return peers.Peer("proxy", f"calendar-mock proxy --level {level}", command)


def prism_proxy_peer(upstream: str) -> peers.Peer | None:
    """Prism validating every exchange against the same spec (request and response, violations
    in its `sl-violations` header, nothing blocked), or None when the npm packages are absent.
    Silent: its per-request log lines would cost it what our journal does not print."""
    if tools.installed_node_version("@stoplight/prism-cli") is None:
        return None

    def command(port: int, work: Path) -> list[str]:
        return [str(peers.NODE_BIN / "prism"), "proxy", "-h", peers.HOST, "-p", str(port),
                "--verboseLevel", "silent", str(peers.SPEC), upstream]
    return peers.Peer("prism-proxy", "prism proxy --verboseLevel silent", command)


def measure(work: Path, duration: float, repeats: int, max_requests: int,
            log: Callable[[str], None]) -> dict:
    results: dict = {"operations": {}}
    for operation in OPERATIONS:
        for connections, think_ms in CONNECTIONS:
            cell = _pair(work, operation, connections, duration, repeats, max_requests, think_ms)
            label = f"{connections}" + (f", {think_ms} ms apart" if think_ms else "")
            results["operations"].setdefault(operation, {})[label] = cell
            log(f"proxy {operation:5} c={label:<14} direct {cell['direct']['rps']:7.0f} req/s "
                f"p50 {cell['direct']['p50_ms']:.2f} ms | proxied {cell['proxied']['rps']:7.0f} req/s "
                f"p50 {cell['proxied']['p50_ms']:.2f} ms p99 {cell['proxied']['p99_ms']:.2f} ms | "
                f"+{cell['added_p50_ms']:.2f} ms, {cell['throughput_ratio']:.0%} of direct, "
                f"CPU µs/req: proxy {cell['proxy_cpu_us']:.0f}, mock {cell['mock_cpu_us']:.0f}"
                + (f" | prism proxy {cell['prism']['rps']:7.0f} req/s p50 {cell['prism']['p50_ms']:.2f} ms "
                   f"(+{cell['prism_added_p50_ms']:.2f} ms)" if "prism" in cell else ""))
    return results


def _pair(work: Path, operation: str, connections: int, duration: float, repeats: int,
          max_requests: int, think_ms: int) -> dict:
    mock = peers.mock_peer()
    request = _request(mock, operation)
    common = {"connections": connections, "max_requests": max_requests, "work_dir": work,
              "think_ms": think_ms}
    runs: dict[str, list[dict]] = {"direct": [], "proxied": [], "prism": []}
    with contextlib.ExitStack() as stack:
        upstream = stack.enter_context(peers.Running(mock, work))
        upstream.wait_ready()
        proxied = stack.enter_context(peers.Running(proxy_peer(upstream.base_url), work))
        proxied.wait_ready()
        targets = {"direct": upstream, "proxied": proxied}
        prism_peer = prism_proxy_peer(upstream.base_url)
        if prism_peer is not None:
            targets["prism"] = stack.enter_context(peers.Running(prism_peer, work))
            targets["prism"].wait_ready()
        for running in targets.values():
            run_wrk(running.base_url, request, mock.auth, duration=1.0, **common)
        for _ in range(repeats):
            for name, running in targets.items():
                relay = running if running is not upstream else None
                all_cpu = _cpu_of(upstream, *(t for t in targets.values() if t is not upstream))
                gate = machine.wait_for_quiet(all_cpu)
                relay_before = relay.cpu_seconds() if relay else 0.0
                mock_before = upstream.cpu_seconds()
                result = run_wrk(running.base_url, request, mock.auth, duration=duration,
                                 sample=running.rss_bytes, server_cpu=all_cpu, **common)
                answered = max(1, result["requests"])
                result["proxy_cpu_us"] = ((relay.cpu_seconds() - relay_before) / answered * 1e6
                                          if relay else 0.0)
                result["mock_cpu_us"] = (upstream.cpu_seconds() - mock_before) / answered * 1e6
                runs[name].append({**result, "gate": gate})
        probe = proxied.send(request)
    direct, through = _median(runs["direct"]), _median(runs["proxied"])
    cell = {
        "method": request.method, "path": request.path, "probe_status": probe[0], "think_ms": think_ms,
        "direct": direct, "proxied": through, "runs": runs,
        "added_p50_ms": through["p50_ms"] - direct["p50_ms"],
        "added_p99_ms": through["p99_ms"] - direct["p99_ms"],
        "throughput_ratio": through["rps"] / direct["rps"] if direct["rps"] else 0.0,
        "proxy_cpu_us": statistics.median(r["proxy_cpu_us"] for r in runs["proxied"]),
        "mock_cpu_us": statistics.median(r["mock_cpu_us"] for r in runs["direct"]),
    }
    if runs["prism"]:
        prism = _median(runs["prism"])
        cell |= {"prism": prism, "prism_added_p50_ms": prism["p50_ms"] - direct["p50_ms"],
                 "prism_throughput_ratio": prism["rps"] / direct["rps"] if direct["rps"] else 0.0,
                 "prism_cpu_us": statistics.median(r["proxy_cpu_us"] for r in runs["prism"])}
    return cell


def _request(mock: peers.Peer, operation: str) -> Request:
    if operation == "pages":
        return dataclasses.replace(mock.requests["list"], vary="startIndex")
    return mock.requests[operation]


def _cpu_of(*processes: peers.Running) -> Callable[[], float]:
    return lambda: sum(process.cpu_seconds() for process in processes)


def _median(runs: list[dict]) -> dict:
    return {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50_ms", "p99_ms")} | {
        "non2xx": sum(r["non2xx"] for r in runs), "socket_errors": sum(r["socket_errors"] for r in runs),
        "other_load": max(r["other_load"] for r in runs),
        "peak_rss_mb": max(r.get("peak_rss_mb", 0) for r in runs)}


# -- the report -------------------------------------------------------------------------------
def targets(results: dict) -> list[tuple[str, str, str, bool | None]]:
    rows: list[tuple[str, str, str, bool | None]] = []
    for operation, by_connections in results.get("proxy", {}).get("operations", {}).items():
        for connections, cell in by_connections.items():
            added, share = cell["added_p50_ms"], cell["throughput_ratio"]
            rows.append((f"proxy {operation} c={connections}: ≤ {ADDED_P50_MS:g} ms added at p50",
                         f"+{added:.2f} ms ({cell['direct']['p50_ms']:.2f} → "
                         f"{cell['proxied']['p50_ms']:.2f})",
                         f"{added / ADDED_P50_MS:.2f}× the limit", added <= ADDED_P50_MS))
            if "prism" in cell:
                prism_added = cell["prism_added_p50_ms"]
                rows.append((f"proxy {operation} c={connections}: adds less at p50 than prism proxy",
                             f"+{added:.2f} vs +{prism_added:.2f} ms",
                             f"{added / prism_added:.2f}× prism's" if prism_added > 0 else "-",
                             added < prism_added))
            if cell.get("think_ms"):
                continue  # paced, both sides send what the pacing lets them: the throughput says nothing
            rows.append((f"proxy {operation} c={connections}: throughput ≥ {THROUGHPUT_SHARE:.0%} of direct",
                         f"{cell['proxied']['rps']:,.0f} vs {cell['direct']['rps']:,.0f} req/s",
                         f"{share:.0%}", share >= THROUGHPUT_SHARE))
    return rows


def section(results: dict) -> str:
    proxy = results.get("proxy", {})
    if not proxy or "error" in proxy:
        return f"Not measured: {proxy.get('error', 'section skipped')}"
    lines = ["| operation | conns | direct req/s | proxied req/s | ratio | direct p50 / p99 ms | "
             "proxied p50 / p99 ms | added p50 ms | CPU µs/req: proxy, mock | prism proxy req/s | "
             "prism proxy p50 / p99 ms | prism added p50 ms | prism CPU µs/req | other load, cores |",
             "|---" * 14 + "|"]
    for operation, by_connections in proxy["operations"].items():
        for connections, cell in by_connections.items():
            d, p = cell["direct"], cell["proxied"]
            prism = cell.get("prism")
            prism_cells = (f"{prism['rps']:,.0f} | {prism['p50_ms']:.2f} / {prism['p99_ms']:.2f} | "
                           f"{cell['prism_added_p50_ms']:+.2f} | {cell['prism_cpu_us']:.0f}"
                           if prism else "- | - | - | -")
            loads = [d["other_load"], p["other_load"], *([prism["other_load"]] if prism else [])]
            lines.append(f"| {operation} | {connections} | {d['rps']:,.0f} | {p['rps']:,.0f} | "
                         f"{cell['throughput_ratio']:.0%} | {d['p50_ms']:.2f} / {d['p99_ms']:.2f} | "
                         f"{p['p50_ms']:.2f} / {p['p99_ms']:.2f} | {cell['added_p50_ms']:+.2f} | "
                         f"{cell['proxy_cpu_us']:.0f}, {cell.get('mock_cpu_us', 0):.0f} | {prism_cells} | "
                         f"{max(loads):.2f} |")
    lines += ["", "`calendar-mock serve` (granian) as the upstream, `calendar-mock proxy --level documented` "
              "(its own HTTP/1.1 front on uvloop, the upstream reached over kept-alive connections) in front "
              "of it; direct and proxied runs alternate on the same two processes, and wrk shares the two "
              "cores with them. Each proxied exchange is judged (route, request validators, status, media "
              "type, response schema, the list envelope and paging rules) and journaled. `list` and `show` "
              "repeat one request, as a polling app does, so after the first the proxy shares the verdict "
              "and the findings; `pages` sends the filtered list with a new startIndex each time, so that "
              "every exchange is judged from scratch. At 16 connections the machine is saturated: a "
              "request waits for 16 others, and the added p50 is about 16 × the proxy's CPU per request "
              "÷ 2 cores. `prism proxy` (Prism 5, silent) is what an OpenAPI user would otherwise put "
              "in front of a deployment: it validates the request and the response against the same spec "
              "and reports violations in a header, without the journal, the contract rules or a "
              "recording; it runs on Node in one process. Its columns are `-` when the benchmark's "
              "npm packages are not installed."]
    return "\n".join(lines)
