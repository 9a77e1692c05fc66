"""`calendar-mock serve`: the mock on 127.0.0.1, under granian (default) or waitress;
`calendar-mock proxy`: a contract-checking proxy in front of an API (proxy_command).

granian was chosen by measurement (benchmarks/RESULTS.md, "Decisions measured once");
waitress is the pure-Python fallback, with a thread pool. Either way the mock is served by
this one process (granian's embedded server, mock_server.serve.granian_server). Nothing
heavy is imported here, so that the options are checked at once.

Stopping: SIGTERM, or SIGINT (Ctrl-C, which a terminal sends to the whole process group),
ends `serve` within 2 s even with requests in flight (delay faults are cut short) or a
request holding the CPU, with exit status 0: the stop was asked for. A second signal ends
it at once. Status 2: the seed data or the profile cannot be loaded, or the port cannot be bound.
"""

from __future__ import annotations

import argparse
import logging
import sys

from calendar_spec.profiles import ProfileError

from ..config import MockConfig
from ..recorded import command as seed_from_har
from . import proxy_command
from .banner import banner, base_url
from .ports import free_port
from .waitress_server import DEFAULT_THREADS

SERVERS = ("granian", "waitress")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calendar-mock", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the mock over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 = any free)")
    serve.add_argument("--fixtures", help="seed data JSON file (default: the demo fixtures)")
    serve.add_argument("--profile", help="answer the open questions as this profile says: a JSON or "
                       "YAML file (e.g. from `calendar-contract calibrate`), or default, contrarian")
    serve.add_argument("--intervention-match", choices=("all", "any"),
                       help="intervention_ids[] keeps calendars offering all (default) or any "
                       "(shorthand for that question of the profile)")
    serve.add_argument("--deleted-calendars", choices=("listed", "hidden"),
                       help="soft-deleted calendars in lists: listed (default) or hidden "
                       "(shorthand for that question of the profile)")
    serve.add_argument("--journal-size", type=int, default=1000, help="requests kept in the journal")
    serve.add_argument("--max-namespaces", type=_count, default=32,
                       help="isolated mocks (X-Mock-Namespace header) held besides the default (default 32)")
    serve.add_argument("--server", choices=SERVERS, default="granian",
                       help="granian (default: fastest, one event loop) or waitress (a thread pool)")
    serve.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                       help="waitress worker threads (granian answers on one event loop)")
    seed_from_har.add_parser(commands)
    proxy_command.add_parser(commands)
    return parser


def _count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 10_000:
        raise argparse.ArgumentTypeError("must be from 0 to 10000")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "seed-from-har":
        return seed_from_har.main(args)
    if args.command == "proxy":
        return proxy_command.run(args)
    try:
        config = MockConfig.of(args.fixtures, profile=args.profile,
                               intervention_match=args.intervention_match,
                               deleted_calendars=args.deleted_calendars, journal_size=args.journal_size,
                               max_namespaces=args.max_namespaces)
    except ProfileError as error:
        print(f"calendar-mock: {error}", file=sys.stderr)
        return 2
    if args.server == "waitress":
        return _serve_waitress(args, config)
    try:
        port = free_port(args.host, args.port)
    except OSError as error:
        print(f"calendar-mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    from .granian_server import serve

    return serve(args.host, port, base_url(args.host, port), config)


def _serve_waitress(args: argparse.Namespace, config: MockConfig) -> int:
    """waitress in a thread; the main thread waits for SIGINT or SIGTERM, then stops it."""
    from .signals import STOP_GRACE_S, StopSignals

    stop = StopSignals()  # before the slow imports: a stop during start-up is a stop too
    from ..app import create_app, mock_of
    from .waitress_server import serve_in_thread

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(config)
    except (OSError, ValueError) as error:
        print(f"calendar-mock: cannot load the seed data: {error}", file=sys.stderr)
        return 2
    if stop.requested.is_set():
        return 0
    try:
        running = serve_in_thread(app, args.host, args.port, args.threads)
    except OSError as error:
        print(f"calendar-mock: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    store = mock_of(app).store
    # running.base_url has the real port, also for --port 0
    print(banner(running.base_url, store.dump()["apikeys"], store.seed_credentials()), flush=True)
    requested = stop.wait(running.serving)
    running.stop(timeout=STOP_GRACE_S)
    return 0 if requested else 1


if __name__ == "__main__":
    sys.exit(main())
