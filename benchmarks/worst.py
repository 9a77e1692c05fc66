"""The `worst` section: the most expensive list requests a client can craft within the mock's
own bounds, against 10,000 calendars whose every text is at its longest.

    python benchmarks/run.py --only worst     # measured and written to RESULTS.md
    python benchmarks/worst.py list           # the catalogue: name, URL bytes, what it is

Three measures, on `calendar-mock serve --fixtures <worst seed>` (granian, as users run it):

- each request of the catalogue (`catalogue()`, name -> query pairs) over HTTP from one
  keep-alive connection on 127.0.0.1: status, answer size, median and max of up to `samples`
  answers after one warm-up (bounded in time); the same few requests against the ordinary
  bench seed for comparison;
- while one client sends every request of the catalogue round-robin in a loop (a child
  process, `worst.py heavy`), another sends the plain default page (wrk, one connection):
  the plain client's p50/p99/max, under granian and under waitress, beside the plain client
  alone; bounded by a duration and request caps;
- the same requests called in-process (WSGI, no server, as benchmarks/profile_mock.py does),
  and for every request whose median misses the target, a cProfile of a few calls.

A request's value may hold NONCE (`~nonce~`): it is replaced by a number never sent before, so a request
the mock would otherwise answer from a cache (a compiled pattern) costs what a new one does.
Every URL stays under URL_LIMIT (granian answers 414 to a longer request line).
"""

from __future__ import annotations

import cProfile
import http.client
import io
import itertools
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import machine  # noqa: E402
import peers  # noqa: E402
import seeds  # noqa: E402
from load import Request, run_wrk  # noqa: E402
from worst_requests import (  # noqa: E402
    CALENDARS,
    NONCE,
    ORDINARY_ROWS,
    PLAIN,
    TARGET_MS,
    URL_LIMIT,
    catalogue,
    check_catalogue,
    instantiate,
    notes,
    path_of,
    url_size,
)


# -- over HTTP ----------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, reopened when the server closes it."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port, self.timeout = port, timeout
        self.connection: http.client.HTTPConnection | None = None

    def get(self, target: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(peers.HOST, self.port, timeout=self.timeout)
            try:
                self.connection.request("GET", target, headers={"Authorization": peers.BASIC})
                response = self.connection.getresponse()
                body = response.read()
                if response.will_close:
                    self.close()
                return response.status, body
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def measure_one(running: peers.Running, name: str, samples: int, budget_s: float) -> dict:
    """One request of the catalogue: warm-up, then up to `samples` answers, stopping after
    `budget_s` once 3 are in (and after 3 × `budget_s` whatever the count)."""
    target = path_of(catalogue()[name])
    client = Client(running.port)
    probe = machine.OtherLoad(running.cpu_seconds).start()
    try:
        status, body = client.get(instantiate(target))  # warm-up, on the connection measured
        times: list[float] = []
        started = time.perf_counter()
        while len(times) < samples:
            elapsed = time.perf_counter() - started
            if (len(times) >= 3 and elapsed >= budget_s) or elapsed >= 3 * budget_s:
                break
            sent = instantiate(target)
            t0 = time.perf_counter()
            status, body = client.get(sent)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        client.close()
    entry = {
        "status": status,
        "bytes": len(body),
        "samples_ms": [round(t, 3) for t in times],
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "min_ms": min(times),
        "other_load": round(probe.stop(), 2),
    }
    if status != 200:
        entry["answer"] = body[:220].decode("utf-8", "replace")
    return entry


def measure_all(running: peers.Running, names: tuple[str, ...] | list[str], samples: int,
                budget_s: float, log: Callable[[str], None], label: str = "worst") -> dict:
    """Each request in turn; one measured while other work used the machine is redone once,
    after a wait for quiet, and the quieter of the two kept."""
    rows = {}
    gate = machine.wait_for_quiet(running.cpu_seconds)
    for name in names:
        entry = measure_one(running, name, samples, budget_s)
        if entry["other_load"] >= machine.QUIET_CORES and machine.budget_left() > 0:
            machine.wait_for_quiet(running.cpu_seconds)
            again = measure_one(running, name, samples, budget_s)
            entry = min((entry, again), key=lambda e: e["other_load"])
            entry["redone"] = True
        rows[name] = entry
        log(f"{label} {name:28} {entry['status']} {entry['bytes']:>10,} B  median "
            f"{entry['median_ms']:7.1f} ms  max {entry['max_ms']:7.1f} ms  "
            f"({len(entry['samples_ms'])} samples, other load {entry['other_load']:.2f})")
    return {"gate": gate, "rows": rows}


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / peers.CLOCK_TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def concurrent(running: peers.Running, names: list[str] | None, work: Path, duration: float,
               max_requests: int, heavy_cap: int) -> dict:
    """The plain default page from wrk (one connection) for `duration` s, while a child process
    sends `names` round-robin (none: the plain client alone)."""
    plain = Request("GET", path_of(catalogue()[PLAIN]))
    heavy = None
    if names:
        plan = work / "worst-heavy.json"
        plan.write_text(json.dumps({"port": running.port, "targets": [path_of(catalogue()[n]) for n in names],
                                    "seconds": duration + 30, "cap": heavy_cap}))
        heavy = subprocess.Popen([sys.executable, str(Path(__file__)), "heavy", str(plan)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 text=True)
        ready = heavy.stdout.readline()  # the child says so once its first request is answered
        if not ready.startswith("sending"):
            heavy.kill()
            raise RuntimeError(f"the heavy client did not start: {ready}{heavy.stderr.read()[-500:]}")
    heavy_pid = heavy.pid if heavy else None

    def ours() -> float:  # the server and the heavy client: neither is "other load"
        return running.cpu_seconds() + (_process_cpu(heavy_pid) if heavy_pid else 0.0)

    try:
        result = run_wrk(running.base_url, plain, peers.BASIC, connections=1, duration=duration,
                         max_requests=max_requests, work_dir=work, server_cpu=ours)
    finally:
        summary = None
        if heavy is not None:
            heavy.send_signal(signal.SIGUSR1)  # ends after the request in flight
            try:
                out, err = heavy.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                heavy.kill()
                out, err = heavy.communicate()
            line = next((ln for ln in out.splitlines() if ln.startswith("{")), None)
            summary = json.loads(line) if line else {"error": err[-500:]}
    return {"plain": result, "heavy": summary, "heavy_names": list(names) if names else []}


def heavy_main(plan_path: str) -> int:
    """`worst.py heavy PLAN`: send PLAN's targets round-robin on one keep-alive connection
    until SIGUSR1, PLAN's seconds or its cap; print a JSON summary."""
    plan = json.loads(Path(plan_path).read_text())
    stop = False

    def halt(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGUSR1, halt)
    client = Client(plan["port"])
    nonces = itertools.count(10_000_000 + os.getpid() * 1000)
    statuses: Counter[str] = Counter()
    errors, slowest, sent = 0, 0.0, 0
    started = time.perf_counter()
    deadline = started + plan["seconds"]
    for index in itertools.count():
        if stop or sent >= plan["cap"] or time.perf_counter() >= deadline:
            break
        target = plan["targets"][index % len(plan["targets"])]
        t0 = time.perf_counter()
        try:
            status, _ = client.get(instantiate(target, nonces))
            statuses[str(status)] += 1
        except (OSError, http.client.HTTPException):
            errors += 1
        slowest = max(slowest, time.perf_counter() - t0)
        sent += 1
        if sent == 1:
            print("sending", flush=True)
    client.close()
    print(json.dumps({"requests": sent, "seconds": round(time.perf_counter() - started, 3),
                      "statuses": dict(statuses), "errors": errors, "slowest_ms": round(slowest * 1000, 1)}),
          flush=True)
    return 0


# -- in-process ---------------------------------------------------------------------------------
class InProcess:
    """The mock's WSGI app called directly (no server), as profile_mock.py does."""

    def __init__(self, seed: dict) -> None:
        from werkzeug.test import EnvironBuilder

        from mock_server.app import create_app

        self.app = create_app(seed)
        self._builder = EnvironBuilder
        self.nonces = itertools.count(20_000_000)

    def call(self, target: str) -> tuple[str, int]:
        path, _, query = instantiate(target, self.nonces).partition("?")
        environ = self._builder(path=path, query_string=query, headers={"Authorization": peers.BASIC}
                                ).get_environ()
        statuses: list[str] = []
        body = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        size = len(b"".join(body))
        getattr(body, "close", lambda: None)()
        return statuses[-1], size

    def time(self, target: str, calls: int) -> float:
        self.call(target)
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            self.call(target)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)

    def profile(self, target: str, calls: int) -> dict:
        import profile_mock

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(calls):
            self.call(target)
        profiler.disable()
        text, cumulative = io.StringIO(), io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
        pstats.Stats(profiler, stream=cumulative).sort_stats("cumulative").print_stats(18)
        return {"calls": calls, "top_tottime": profile_mock._table(text.getvalue()),
                "top_cumulative": profile_mock._table(cumulative.getvalue())}


def in_process(seed: dict, names: list[str], calls: int, profiled: list[str], profile_calls: int) -> dict:
    """Median in-process time of each of `names`; a cProfile of each of `profiled`."""
    mock = InProcess(seed)
    times = {name: round(mock.time(path_of(catalogue()[name]), calls), 3) for name in names}
    profiles = {name: mock.profile(path_of(catalogue()[name]), profile_calls) for name in profiled}
    return {"calls": calls, "median_ms": times, "profiles": profiles}


# -- the section --------------------------------------------------------------------------------
def run(work: Path, *, samples: int, budget_s: float, duration: float, max_requests: int,
        heavy_cap: int, profile_calls: int, log: Callable[[str], None]) -> dict:
    check_catalogue()
    names = list(catalogue())
    worst_seed = seeds.worst_seed(CALENDARS)
    worst_path = seeds.write_worst_seed(CALENDARS, work)
    ordinary_path = seeds.write_seed(CALENDARS, work)
    result: dict = {
        "calendars": CALENDARS,
        "target_ms": TARGET_MS,
        "settings": {"samples": samples, "budget_s": budget_s, "duration_s": duration,
                     "max_requests": max_requests, "heavy_cap": heavy_cap, "profile_calls": profile_calls,
                     "url_limit": URL_LIMIT},
        "seed_mb": round(worst_path.stat().st_size / 1024 / 1024, 1),
        "requests": {name: {"note": notes()[name], "url_bytes": url_size(catalogue()[name]),
                            "nonce": NONCE in path_of(catalogue()[name])} for name in names},
    }
    # 1. each request over HTTP, granian, the worst seed; then the ordinary seed for comparison
    with peers.Running(peers.mock_peer(worst_path, name="mock-worst"), work) as running:
        result["ready_s"] = running.wait_ready(timeout=600)
        result["http"] = measure_all(running, names, samples, budget_s, log)
        result["http"]["hwm_rss_mb"] = round(running.hwm_bytes() / 1024 / 1024, 1)
    with peers.Running(peers.mock_peer(ordinary_path, name="mock-ordinary"), work) as running:
        running.wait_ready(timeout=600)
        result["ordinary"] = measure_all(running, list(ORDINARY_ROWS), samples, budget_s, log,
                                         label="ordinary")
    # 2. a plain client beside a client sending the worst requests, under each server
    heavy_all = [n for n in names if n != PLAIN]
    accepted = [n for n in heavy_all if result["http"]["rows"][n]["status"] == 200]
    result["concurrency"] = {}
    for server in ("granian", "waitress"):
        peer = peers.mock_peer(worst_path, name=f"mock-worst-{server}", server=server)
        runs = {}
        try:
            with peers.Running(peer, work) as running:
                running.wait_ready(timeout=600)
                for label, sent in (("alone", None), ("all", heavy_all), ("answered 200", accepted)):
                    gate = machine.wait_for_quiet(running.cpu_seconds)
                    runs[label] = {**concurrent(running, sent, work, duration, max_requests, heavy_cap),
                                   "gate": gate}
                    plain, heavy = runs[label]["plain"], runs[label]["heavy"] or {}
                    log(f"worst concurrency {server:8} {label:12} plain p50 {plain['p50_ms']:.2f} p99 "
                        f"{plain['p99_ms']:.2f} max {plain['max_ms']:.2f} ms ({plain['requests']} req); "
                        f"heavy {heavy.get('requests', 0)} req")
        except (RuntimeError, TimeoutError, OSError) as error:
            runs["error"] = str(error)
            log(f"worst concurrency {server}: {error}")
        result["concurrency"][server] = {"label": peer.label, "runs": runs}
    # 3. in-process: every request timed, the misses profiled
    missed = [n for n, row in result["http"]["rows"].items() if row["median_ms"] > TARGET_MS]
    result["in_process"] = in_process(worst_seed, names, calls=3, profiled=missed,
                                      profile_calls=profile_calls)
    return result


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "heavy":
        return heavy_main(argv[1])
    if argv[:1] == ["list"]:
        check_catalogue()
        for name, pairs in catalogue().items():
            print(f"{name:28} {url_size(pairs):>7,} B  {notes()[name]}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
