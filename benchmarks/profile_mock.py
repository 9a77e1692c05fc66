"""Where the mock's time goes: cProfile over N in-process requests, called as WSGI.

No HTTP server and no test client are involved (a prepared WSGI environ is handed to the
app, as a WSGI server would), so this is the mock's own cost per request, without a server.
Run alone: `python benchmarks/profile_mock.py [N]`.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict

from peers import API_REQUESTS, BASIC
from werkzeug.test import EnvironBuilder

from mock_server.app import create_app

TOP = 15


def _package(filename: str) -> str:
    """A readable owner for a profiled function's file."""
    for marker, name in (("mock_server", "mock_server"), ("jsonschema", "jsonschema"),
                         ("referencing", "referencing"), ("rpds", "referencing"),
                         ("werkzeug", "werkzeug"), ("flask", "flask"), ("attr", "attrs"),
                         ("urllib", "urllib (stdlib)"), ("json", "json (stdlib)"),
                         ("re/", "re (stdlib)"), ("/re.py", "re (stdlib)")):
        if marker in filename:
            return name
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    return "other stdlib"


def profile(operation: str, count: int) -> dict:
    app = create_app()
    request = API_REQUESTS[operation]
    path, _, query = request.path.partition("?")
    base = EnvironBuilder(path=path, query_string=query, method=request.method,
                          headers={"Authorization": BASIC}, data=request.body,
                          content_type="application/json" if request.body else None).get_environ()
    statuses: list[str] = []

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        statuses.append(status)

    def once() -> None:
        """One request straight into the WSGI app, as a WSGI server would call it."""
        environ = dict(base, **{"wsgi.input": io.BytesIO(request.body or b"")})
        body = app(environ, start_response)
        b"".join(body)
        getattr(body, "close", lambda: None)()
        if not statuses[-1].startswith("2"):
            raise RuntimeError(f"{operation}: {statuses[-1]}")

    for _ in range(50):  # warm caches (regex, validators) outside the profile
        once()
    started = time.perf_counter()
    for _ in range(count):
        once()
    plain_us = (time.perf_counter() - started) / count * 1e6
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        once()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values()) or 1.0  # sum of self times
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), entry in stats.stats.items():
        by_package[_package(filename)] += entry[2]
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(TOP)
    cumulative = io.StringIO()
    pstats.Stats(profiler, stream=cumulative).sort_stats("cumulative").print_stats(TOP + 10)
    return {
        "operation": operation,
        "requests": count,
        "us_per_request": plain_us,
        "self_time_share": {k: v / total for k, v in sorted(by_package.items(), key=lambda kv: -kv[1])},
        "top_tottime": _table(text.getvalue()),
        "top_cumulative": _table(cumulative.getvalue()),
    }


def _table(printed: str) -> str:
    """pstats' table without its preamble, paths shortened to the package."""
    lines = printed.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    kept = [line.rstrip() for line in lines[start:] if line.strip()]
    return "\n".join(_shorten(line) for line in kept)


def _shorten(line: str) -> str:
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in line:
            head, _, tail = line.partition(marker)
            prefix = head.rsplit(" ", 1)[0] + " " if " " in head else ""
            return prefix + tail
    return line


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for operation in ("list", "create"):
        result = profile(operation, count)
        print(f"== {operation}: {result['us_per_request']:.0f} µs/request in-process")
        for name, share in result["self_time_share"].items():
            print(f"   {share:6.1%}  {name}")
        print(result["top_tottime"])


if __name__ == "__main__":
    main()
