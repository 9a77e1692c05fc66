"""What the coverage counter and the namespace router cost an API request, in-process.

    python benchmarks/coverage_cost.py [--requests 20000] [--rounds 7]

Calls the mock's WSGI stack directly (no server, no socket) with four requests a test suite
sends - a list, a filtered and sorted list, a show, a refused request - and times each round
three ways on one mock: as served (router, faults, API, journal, coverage), without the
coverage counter (its `count` replaced by a no-op), and without the router (the default
namespace's stack called directly); rounds alternate, the median per request is printed. Then
the router's choice and the counter alone are timed in a loop on those requests' arguments.
Times are the thread's CPU time (time.thread_time): other work on the machine does not count
(but still disturbs: compare the loops' figures, not the rounds'). Never fails on timing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from typing import Any

from mock_server import create_app, mock_of
from mock_server.namespaces import REGISTRY

BASIC = "Basic cHJvQGRlbW8udGVzdDpkZW1vLXBhc3N3b3Jk"  # pro@demo.test:demo-password
REQUESTS = [
    ("/api/v1/groups/4/calendars", "apikey=demo-apikey-4f1c2b"),
    ("/api/v1/groups/4/calendars", "apikey=demo-apikey-4f1c2b&sort=name&dir=desc&startIndex=2"
                                   "&conditions%5B0%5D%5Bfield%5D=generate_interval"
                                   "&conditions%5B0%5D%5Bop%5D=%3E%3D&conditions%5B0%5D%5Bvalue%5D=10"),
    ("/api/v1/groups/4/calendars/1", "apikey=demo-apikey-4f1c2b"),
    ("/api/v1/groups/4/calendars/999", "apikey=wrong"),
]


def environ(path: str, query: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "x",
            "SERVER_PORT": "80", "HTTP_AUTHORIZATION": BASIC, "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http"}


def per_request_us(app: Any, count: int) -> float:
    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> None:
        return None

    started = time.thread_time()
    for index in range(count):
        path, query = REQUESTS[index % len(REQUESTS)]
        app(environ(path, query), start_response)
    return (time.thread_time() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    app = create_app(journal_size=100)
    counter = mock_of(app).coverage
    counting = counter.count
    stack = app.extensions[REGISTRY].default.stack
    def without_counter(*given: Any) -> None:
        return None

    variants = {"as served": (app.wsgi_app, counting), "no coverage counter": (app.wsgi_app, without_counter),
                "no namespace router": (stack, counting)}
    timings: dict[str, list[float]] = {name: [] for name in variants}
    per_request_us(app.wsgi_app, 2000)  # warm-up
    for _ in range(args.rounds):
        for name, (entry, count) in variants.items():
            counter.count = count  # type: ignore[method-assign]
            timings[name].append(per_request_us(entry, args.requests))
    seen: list[tuple[Any, ...]] = []
    counter.count = lambda *given: seen.append(given)  # type: ignore[method-assign]
    per_request_us(app.wsgi_app, len(REQUESTS))
    counter.count = counting  # type: ignore[method-assign]
    started = time.thread_time()
    for index in range(args.requests):
        counting(*seen[index % len(seen)])
    alone = (time.thread_time() - started) / args.requests * 1e6
    router, request = app.wsgi_app, environ(*REQUESTS[0])
    started = time.thread_time()
    for _ in range(args.requests):
        router.choose(request)
    choosing = (time.thread_time() - started) / args.requests * 1e6
    base = statistics.median(timings["as served"])
    for name, runs in timings.items():
        median = statistics.median(runs)
        print(f"{name:22s} {median:7.2f} µs/request (median of {args.rounds}; "
              f"as served {base - median:+.2f} µs)")
    print(f"the counter alone, on the same four requests: {alone:.2f} µs a request "
          f"({100 * alone / base:.1f}% of {base:.2f} µs)")
    print(f"the router alone (no X-Mock-Namespace header): {choosing:.2f} µs a request")
    print(f"folded coverage: {counter.tally().requests} requests counted")


if __name__ == "__main__":
    main()
