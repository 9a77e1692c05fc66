"""`calendar-mock proxy`: the proxy (mock_server.proxy) served on 127.0.0.1 by its own front
(mock_server.proxy.front: httptools on uvloop, one thread), until SIGINT or SIGTERM. Nothing
heavy is imported until the options are checked.

One event loop reads each request, relays it to the upstream and answers, not waitress with a
thread per request (1.3 ms of CPU per request and a fifth of the direct throughput) nor granian
(two thread hand-offs per request on top of the relay's own exchanges): benchmarks/decisions.md.

A stop (Ctrl-C, SIGTERM) lets requests in flight finish for a moment, writes the report files
and the HAR file, prints the summary table (rule, tag, count) and exits 0, within 2 s.
Status 2: bad options, a profile that cannot be loaded, or a port that cannot be bound.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .banner import base_url

DESCRIPTION = (
    "Forward every request to the upstream unchanged and its answer back unchanged, with "
    "X-Contract-Violations naming the contract rules the exchange breaks at --level; the details "
    "in GET /_mock/requests?violations=yes. Ctrl-C writes --report and --record, prints a summary "
    "per rule and exits 0. Status 2: bad options, a profile that cannot be loaded, or a port that "
    "cannot be bound.")
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONNECTIONS = 64
STOP_DEADLINE_S = 1.8  # the backstop: the process is gone by then, whatever it is doing


def add_parser(commands: argparse._SubParsersAction) -> None:
    proxy = commands.add_parser("proxy", description=DESCRIPTION,
                                help="forward traffic to a Calendar API and check it against the spec")
    proxy.add_argument("--upstream", required=True, help="the API to forward to, e.g. "
                       "https://sandbox.clicrdv.com or http://127.0.0.1:8001 (a `calendar-mock serve`)")
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    proxy.add_argument("--level", default="documented",
                       help="documented (default), strict, or profile:FILE (a profile file or built-in name)")
    proxy.add_argument("--block", action="store_true", help="answer a request the spec refuses with the "
                       "mock's JSON error (and X-Contract-Blocked) instead of forwarding it")
    proxy.add_argument("--record", type=Path, metavar="FILE.har",
                       help="write every exchange to a HAR 1.2 file (secrets masked)")
    proxy.add_argument("--report", type=Path, metavar="DIR", help="write JUnit XML and NDJSON of the "
                       "violations here on exit and on POST /_mock/report")
    proxy.add_argument("--upstream-timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                       help=f"answer 504 when the upstream takes longer (default {DEFAULT_TIMEOUT_S:g})")
    proxy.add_argument("--journal-size", type=int, default=1000, help="exchanges kept in the journal")
    proxy.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS,
                       help="requests sent upstream at once, each on a kept-alive connection "
                       f"(default {DEFAULT_CONNECTIONS}); more wait for one")


def banner(url: str, app: object) -> str:
    from ..proxy.app import ProxyApp

    assert isinstance(app, ProxyApp)
    config, level = app.config, app.level
    lines = [f"Contract proxy listening on {url}", "",
             f"  upstream  {app.upstream_url}  (timeout {config.upstream_timeout_s:g} s)",
             f"  level     {level.name}  (the {level.view} view of the spec, {len(level.applied)} rules)",
             f"  block     {'on: requests the spec refuses are answered here' if config.block else 'off'}"]
    if config.report_dir:
        lines.append(f"  report    {config.report_dir}/  (on exit and POST {url}/_mock/report)")
    if config.record:
        lines.append(f"  record    {config.record}")
    lines += ["", "  every answer carries X-Contract-Violations; details: "
                  f"{url}/_mock/requests?violations=yes"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from .signals import StopSignals

    stop = StopSignals(STOP_DEADLINE_S)  # before the slow imports: a stop during start-up is a stop too

    from calendar_spec.profiles import ProfileError

    from ..proxy.app import ProxyApp, ProxyConfig
    from ..proxy.front import Front
    from ..proxy.relay import Relay
    from .front_server import run_on_uvloop, serve_front
    from .ports import free_port

    if args.upstream_timeout <= 0 or args.connections < 1:
        print("calendar-mock proxy: --upstream-timeout and --connections must be positive", file=sys.stderr)
        return 2
    config = ProxyConfig(upstream=args.upstream, level=args.level, block=args.block, record=args.record,
                         report_dir=args.report, upstream_timeout_s=args.upstream_timeout,
                         journal_size=args.journal_size, connections=args.connections)
    try:
        app = ProxyApp(config)
        front = Front(Relay(app))
        port = free_port(args.host, args.port)
    except (ProfileError, ValueError, OSError) as error:
        print(f"calendar-mock proxy: {error}", file=sys.stderr)
        return 2
    if stop.requested.is_set():
        app.close()
        return 0

    def finish() -> None:
        """Write the files; on a requested stop, print the summary."""
        app.close()
        if stop.requested.is_set():
            print(app.report.table(), flush=True)
        sys.stderr.flush()

    code = run_on_uvloop(serve_front(front, args.host, port, banner(base_url(args.host, port), app), stop,
                                     before_exit=finish))
    if code != 0:
        finish()
    return code
