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
import functools
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
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import machine  # noqa: E402
import peers  # noqa: E402
import seeds  # noqa: E402
from load import Request, run_wrk  # noqa: E402

CALENDARS = 10_000
TARGET_MS = 50.0
URL_LIMIT = 60 * 1024  # bytes of path and query; granian refuses a longer request line (414)
NONCE = "~nonce~"  # unreserved characters: form-encoding leaves it as it is
NONCE_ROOM = 12  # the digits a nonce may take
BASE = f"/api/v1/groups/{seeds.GROUP_ID}/calendars"
PLAIN = "plain"
Pairs = list[tuple[str, str]]

# The seed's texts (seeds.worst_calendar): odd ids hold `a…ab`, even ids a long prefix and digits.
A_B = "a" * 254 + "b"


def path_of(pairs: Pairs) -> str:
    """The request target: the list path, the apikey, then `pairs`, form-encoded as a browser or
    `requests` does (brackets too)."""
    query = urlencode([("apikey", peers.APIKEY), *pairs])
    return f"{BASE}?{query}"


def conditions(*triples: tuple[str, str, str]) -> Pairs:
    """`conditions[i][field|op|value]` for each (field, op, value), numbered from 0."""
    return [pair for index, (field, op, value) in enumerate(triples)
            for pair in ((f"conditions[{index}][field]", field), (f"conditions[{index}][op]", op),
                         (f"conditions[{index}][value]", value))]


def _size(pairs: Pairs) -> int:
    target = path_of(pairs)
    return len(target.encode()) + (NONCE_ROOM - len(NONCE)) * target.count(NONCE)


def as_many(make: Callable[[int], Pairs]) -> Pairs:
    """`make(n)` for the largest n whose URL fits under URL_LIMIT."""
    low, high = 1, 2
    while _size(make(high)) < URL_LIMIT:
        low, high = high, high * 2
    while low + 1 < high:
        middle = (low + high) // 2
        low, high = (middle, high) if _size(make(middle)) < URL_LIMIT else (low, middle)
    return make(low)


def _long(index: int) -> str:
    """A 255-character text no calendar holds, equal to `a…ab` up to its 247th character."""
    return f"{'a' * 247}{index:08d}"


TEXT_FIELDS = ("name", "publicname", "address")


def _catalogue() -> tuple[dict[str, Pairs], dict[str, str]]:
    entries: dict[str, tuple[Pairs, str]] = {
        PLAIN: ([], "the default page (25 by id): the reference"),
        # like: the patterns, and the costliest shapes the matcher has
        "like-issue": (conditions(("name", "like", "%a%a%a%a%a%a%a%a%a%a%b")),
                       "`name like %a%a%a%a%a%a%a%a%a%a%b` (the issue's)"),
        "like-127-pieces": (conditions(("name", "like", "%a" * 127)), "`name like` 127 `%a` pieces"),
        "like-50-conditions": (conditions(*((TEXT_FIELDS[i % 3], "like", "%a" * (10 + i) + "%b%")
                                            for i in range(50))),
                               "50 different `like` full of `%` (`%a%a…%b%`, 10 to 59 pieces) on "
                               "name, publicname, address"),
        "like-underscore": (conditions(("name", "like", "%" + "a_" * 63 + "ab%")),
                            "`name like %a_a_…a_ab%` (63 `a_`): a piece with `_` tried at each place"),
        "like-underscore-50": (conditions(*(("name", "like", "%" + "a_" * (63 - i) + "ab%")
                                            for i in range(50))),
                               "50 of those, 63 to 14 `a_` each"),
        "like-zipcode-underscores": (conditions(("zipcode", "like", "%" + "_" * 15 + "%")),
                                     "`zipcode like %_______________%` (15 `_`): within the budget"),
        "like-longest-pieces": (as_many(lambda n: conditions(("name", "like", "%a" * n + NONCE))),
                                "`name like %a%a…`: as many pieces as fit in the URL, a new pattern "
                                "each time"),
        "like-longest-underscores": (as_many(lambda n: conditions(("name", "like", "_" * n + NONCE))),
                                     "`name like ____…`: as many `_` as fit, a new pattern each time"),
        "like-50-long-underscores": (as_many(lambda n: conditions(
                                         *(("name", "like", "_" * n + NONCE + f"-{i}") for i in range(50)))),
                                     "50 `like ____…` as long as fit, new patterns each time"),
        # =, !=, in, not in, comparisons: long values, each keeping every calendar
        "eq-50-long": (conditions(("name", "=", A_B),
                                  *(("group_id", "=", "0" * (200 + i) + "4") for i in range(49))),
                       "`name = a…ab` and 49 `group_id = 000…04` (200+ digits): true for half"),
        "ne-50-long": (conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(50))),
                       "50 `!=` of 255 characters (true for all), on name, publicname, address"),
        "ne-15-long": (conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(15))),
                       "15 of those: the most filtering the budget accepts"),
        "in-1000": (conditions(("name", "in", ",".join([A_B, *(f"{_long(j)[:40]}{j}" for j in range(999))]))),
                    "`name in` a list of 1,000 items (one 255-character match)"),
        "in-50": (conditions(*(("group_id", "in", ",".join(["0" * i + "4", *map(str, range(5, 60))]))
                               for i in range(50))),
                  "50 `group_id in (…4, 5, …, 59)` (true for all)"),
        "not-in-50-long": (as_many(lambda n: conditions(*((TEXT_FIELDS[i % 3], "not in",
                                                            ",".join(_long(i * 10 + j) for j in range(n)))
                                                           for i in range(50)))),
                           "50 `not in` lists of 255-character items (true for all), as long as fit"),
        "in-longest": (as_many(lambda n: conditions(("id", "in", ",".join(map(str, range(n)))))),
                       "`id in 0,1,2,…`: as many items as fit"),
        "ge-50-int": (conditions(*(("id", ">=", str(-i)) for i in range(50))),
                      "50 always-true `id >= -i`"),
        "ge-max-int": (as_many(lambda n: conditions(*(("id", ">=", str(-i)) for i in range(n)))),
                       "as many always-true `id >= -i` as fit"),
        "same-condition-max": (as_many(lambda n: conditions(*[("id", ">=", "-1")] * n)),
                               "one `id >= -1` repeated as often as fits (one condition once parsed)"),
        # paging and sorting: every calendar in the answer
        "results-all": ([("results", "all")], "`results=all`"),
        "results-1e9": ([("results", "1000000000")], "`results=1000000000`"),
        "sort-name-all": ([("sort", "name"), ("results", "all")], "`sort=name&results=all`"),
        "sort-name-desc": ([("sort", "name"), ("dir", "desc")], "`sort=name&dir=desc` (one page)"),
        "sort-address-desc-all": ([("sort", "address"), ("dir", "desc"), ("results", "all")],
                                  "`sort=address&dir=desc&results=all`"),
        # search
        "search-long": ([("search", "a" * 254 + "c")], "`search` of 255 characters that no name holds"),
        "search-a-all": ([("search", "a"), ("results", "all")], "`search=a&results=all` (every calendar)"),
        # id filters
        "interventions-1000": ([("intervention_ids[]", str(i)) for i in range(1, 1001)],
                               "`intervention_ids[]` 1 to 1,000 (21 and 23 exist)"),
        "calendarsets-1000": ([("calendarset_ids[]", str(i)) for i in range(1, 1001)],
                              "`calendarset_ids[]` 1 to 1,000 (8 and 12 hold two thirds)"),
        "calendarsets-1000-all": ([("calendarset_ids[]", str(i)) for i in range(1, 1001)]
                                  + [("results", "all")], "the same with `results=all`"),
        "interventions-max": (as_many(lambda n: [("intervention_ids[]", str(i)) for i in range(1, n + 1)]),
                              "`intervention_ids[]` 1, 2, 3, …: as many as fit"),
        # everything at once, within the budget
        "combination": ([*conditions(*((TEXT_FIELDS[i % 3], "!=", _long(i)) for i in range(7))),
                         ("search", "a"), ("sort", "name"), ("dir", "desc"), ("results", "all")],
                        "7 `!=` long + `search=a` + `sort=name&dir=desc` + `results=all`: just "
                        "within the budget"),
        # what the mock refuses before filtering: the most problems one query can hold
        "unknown-params-max": (as_many(lambda n: [(f"x{i}", "1") for i in range(n)]),
                               "as many unknown parameters as fit (ignored)"),
        "repeated-sort-max": (as_many(lambda n: [("sort", "name")] * n),
                              "`sort=name` repeated as often as fits (400)"),
        "bad-condition-keys-max": (as_many(lambda n: [(f"conditions[{i}]", "") for i in range(n)]),
                                   "as many malformed `conditions[i]` keys as fit (400)"),
        "bad-condition-ops-max": (as_many(lambda n: conditions(*[("id", "~", "1")] * n)),
                                  "as many conditions with an unknown op as fit (400)"),
        "bad-condition-fields-max": (as_many(lambda n: conditions(*[("x", "=", "1")] * n)),
                                     "as many conditions on an unknown field as fit (400)"),
        "bad-condition-values-max": (as_many(lambda n: conditions(*[("id", "=", "x")] * n)),
                                     "as many `id = x` (not an integer) as fit (400)"),
        "bad-intervention-ids-max": (as_many(lambda n: [("intervention_ids[]", "x")] * n),
                                     "as many `intervention_ids[]=x` as fit (400)"),
    }
    return ({name: pairs for name, (pairs, _) in entries.items()},
            {name: note for name, (_, note) in entries.items()})


@functools.cache
def _built() -> tuple[dict[str, Pairs], dict[str, str]]:
    return _catalogue()


def catalogue() -> dict[str, Pairs]:
    """The catalogue: name -> query pairs (after the apikey). Built on first use: the longest
    requests take a couple of seconds to fit, which `worst.py heavy` need not spend."""
    return _built()[0]


def notes() -> dict[str, str]:
    """name -> what the request is, for the report."""
    return _built()[1]
# The rows measured against the ordinary bench seed too, for comparison.
ORDINARY_ROWS = (PLAIN, "like-issue", "ne-15-long", "results-all", "sort-name-all", "search-a-all",
                 "combination")


def check_catalogue() -> None:
    for name, pairs in catalogue().items():
        if _size(pairs) >= URL_LIMIT:
            raise ValueError(f"{name}: URL of {_size(pairs):,} bytes, over {URL_LIMIT:,}")


_nonces = itertools.count(1)


def instantiate(target: str, nonces: itertools.count = _nonces) -> str:
    """`target` with each NONCE replaced by a number not sent before (by this process)."""
    return target.replace(NONCE, str(next(nonces))) if NONCE in target else target


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
        "requests": {name: {"note": notes()[name], "url_bytes": _size(catalogue()[name]),
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
            print(f"{name:28} {_size(pairs):>7,} B  {notes()[name]}")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
