"""A thin wrapper around wrk (Debian's package) with benchmarks/request.lua: one bounded run."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from machine import OtherLoad

LUA = Path(__file__).with_name("request.lua")
PACED_LUA = Path(__file__).with_name("paced.lua")
MARKER = "BENCH-JSON "


@dataclass(frozen=True)
class Request:
    """One HTTP request as a peer wants it: method, path with query, optional JSON body; with
    `vary`, each request sent adds `&<vary>=<its number>` to the query, so that no two are alike."""

    method: str
    path: str
    body: bytes | None = None
    vary: str | None = None


def run_wrk(
    base_url: str,
    request: Request,
    auth: str | None,
    *,
    connections: int,
    duration: float,
    max_requests: int,
    work_dir: Path,
    sample: Callable[[], int] | None = None,
    server_cpu: Callable[[], float] | None = None,
    think_ms: int = 0,
) -> dict:
    """Drive `request` at `base_url` for at most `duration` s and about `max_requests` requests.

    With `think_ms`, each connection waits that long between an answer and its next request.
    Returns wrk's numbers (requests, rps, p50/p90/p99 in ms, non-2xx count, socket errors)
    and, when `sample` is given, the largest value it returned while wrk ran (peak RSS), and
    the CPU cores that other work on the machine used meanwhile (`other_load`).
    """
    if not base_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load goes to the loopback address only, not {base_url}")
    threads = 1 if connections == 1 else min(2, connections)
    body_file = ""
    if request.body is not None:
        path = work_dir / f"body-{request.method.lower()}.json"
        path.write_bytes(request.body)
        body_file = str(path)
    per_thread = max(1, max_requests // threads)
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
        "--timeout", "5s", "-s", str(PACED_LUA if think_ms else LUA), base_url + request.path,
        "--", request.method, str(per_thread), auth or "-", body_file, request.vary or "", str(think_ms),
    ]
    peak = _Sampler(sample) if sample else None
    if peak:
        peak.start()
    other = OtherLoad(server_cpu).start()
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    finally:
        other_load = other.stop()
        if peak:
            peak.stop()
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith(MARKER)), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout[-500:]}")
    raw = json.loads(line[len(MARKER):])
    active = raw["active_s"] or duration
    result = {
        "connections": connections,
        "requests": raw["requests"],
        "seconds": round(active, 3),
        "rps": raw["requests"] / active if raw["requests"] else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non2xx": raw["non2xx"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
        "other_load": round(other_load, 2),
    }
    if peak:
        result["peak_rss_mb"] = peak.peak / 1024 / 1024
    return result


class _Sampler:
    """Calls `sample` every 100 ms in a thread and keeps the largest value."""

    def __init__(self, sample: Callable[[], int]) -> None:
        self._sample = sample
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.peak = 0

    def _loop(self) -> None:
        while not self._halt.is_set():
            self.peak = max(self.peak, self._sample())
            self._halt.wait(0.1)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(timeout=2)
        self.peak = max(self.peak, self._sample())


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].split(" Copyright")[0].strip()
