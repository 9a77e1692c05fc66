"""The `calibrate` subcommand of `calendar-contract`: its options, and running it.
Exit 0: every question settled or unknown for a stated reason; 1: a probe broke (a kit bug,
named in the report); 2: bad options, refused credentials, or the deployment unreachable (when it
stops answering part-way, the report and profile still hold what was settled before)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import credentials_env
from ..model import DEFAULT_MAX_OWN_CALENDARS
from ..progress import terminal_text
from .engine import CalibrateError, CalibrateOptions, calibrate

EXIT_OK, EXIT_BROKEN, EXIT_USAGE = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="the deployment (default: the kit's mock, in-process)")
    parser.add_argument("--apikey",
                        help=f"the application's API key (sent as ?apikey=); {credentials_env.HELP}")
    parser.add_argument("--user", help="a Pro user's email (HTTP Basic)")
    parser.add_argument("--password", help="that user's password")
    parser.add_argument("--group-id", type=int, help="a group the user may access; calibrate works in it")
    parser.add_argument("--out", metavar="FILE", help="write the profile (JSON, or YAML for .yaml/.yml)")
    parser.add_argument("--report", metavar="FILE.md", help="write the report as Markdown too")
    parser.add_argument("--read-only", action="store_true",
                        help="send only GETs (and logins); questions that need writes stay unknown")
    parser.add_argument("--profile", help="without --base-url: make the in-process mock answer as this "
                        "profile (a file, or default / contrarian)")
    parser.add_argument("--name", help="the profile's name (default: calibrated-<host>-<time>)")
    parser.add_argument("--intervention-id", type=int, action="append", dest="intervention_ids",
                        help="an intervention in use in the group (repeatable; default: try ids 1..100)")
    parser.add_argument("--max-own-calendars", type=int, metavar="N",
                        help="calendars the kit (calibrate and the suite's runs together) ever creates in "
                        f"the group: it reuses its own before it creates (default with --base-url "
                        f"{DEFAULT_MAX_OWN_CALENDARS}; 0: no bound); a probe that must create beyond it "
                        "leaves its question unknown")


def run(args: argparse.Namespace) -> int:
    if args.base_url and not all((args.apikey, args.user, args.password, args.group_id is not None)):
        print("calendar-contract: with --base-url, give --apikey, --user, --password and --group-id",
              file=sys.stderr)
        return EXIT_USAGE
    if args.max_own_calendars is not None and args.max_own_calendars < 0:
        print("calendar-contract: --max-own-calendars must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    bound = args.max_own_calendars if args.max_own_calendars is not None else (
        DEFAULT_MAX_OWN_CALENDARS if args.base_url else None)
    options = CalibrateOptions(base_url=args.base_url, profile=args.profile, apikey=args.apikey,
                               user=args.user, password=args.password, group_id=args.group_id,
                               read_only=args.read_only, name=args.name,
                               intervention_ids=args.intervention_ids, max_own_calendars=bound or None)
    try:
        result = calibrate(options)
    except CalibrateError as error:
        print(f"calendar-contract: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    report = result.report()
    written = [result.write(args.out)] if args.out else []
    if args.report:
        Path(args.report).write_text(report, encoding="utf-8")
    print(terminal_text(report), end="")
    for path in written:
        print(f"profile written to {path}: calendar-mock serve --profile {path} answers like it")
    if result.stopped:
        print(f"calendar-contract: {result.stopped}; the questions settled before are kept, "
              f"the others are unknown", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_BROKEN if result.broken else EXIT_OK
