"""`calendar-contract replay`: recorded traffic (HAR 1.2) resent to a deployment, each answer
compared with the recorded one; exit 0 when none differs, 1 when some do, 2 on bad options, a
file that is not HAR, refused credentials or an unreachable server (one that stops answering
mid-replay: the requests compared until then are still reported).

    calendar-contract replay session.har --base-url https://staging.example.com --apikey KEY \\
        --user qa@example.com --password PW --group-id 4 --report-json replay.json

Without --base-url the recording goes to the kit's mock in-process: the demo data and
credentials, or `--fixtures SEED.json` (e.g. from `calendar-mock seed-from-har`) and that seed's
first apikey and user; `--profile` makes it answer the open questions as a profile says.
Against a --base-url, only calendars the replay creates are written to: a recorded PUT or DELETE
of another calendar is skipped, unless --allow-writes-to-existing (the in-process mock, which lives
for the replay alone, gets them all). What the replay created is soft-deleted at the end.
"""

from __future__ import annotations

import argparse
from typing import Any

from .. import credentials_env


def add_parser(commands: Any) -> None:
    """The `replay` subcommand, on the CLI's subparsers."""
    replay = commands.add_parser(
        "replay", help="resend recorded traffic (HAR) to a deployment and report every answer that differs",
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    replay.add_argument("har", metavar="FILE.har", help="HAR 1.2 of ClicRDV Calendar traffic")
    replay.add_argument("--base-url", metavar="URL",
                        help="the deployment (default: the kit's mock, in-process)")
    replay.add_argument("--apikey", help="the application's API key, in place of the recorded one; "
                        f"{credentials_env.HELP}")
    replay.add_argument("--user", help="a Pro user's email (HTTP Basic), in place of the recorded one")
    replay.add_argument("--password", help="that user's password")
    replay.add_argument("--group-id", type=int, help="the group that takes the recorded group's place")
    replay.add_argument("--profile", metavar="FILE|default|contrarian",
                        help="the in-process mock answers the open questions as this profile says")
    replay.add_argument("--fixtures", metavar="SEED.json", help="seed data for the in-process mock")
    replay.add_argument("--allow-writes-to-existing", action="store_true",
                        help="also send recorded PUT/DELETE requests of calendars the recording "
                        "did not create to --base-url (the in-process mock always gets them)")
    replay.add_argument("--report-json", metavar="FILE", help="also write the report as JSON")


def main(args: argparse.Namespace) -> int:
    from ..diff.cli import CREDENTIALS, run_and_report
    from ..diff.sides import SideOptions
    from .report import text, write_json
    from .run import ReplayOptions, ReplayUsageError, run_replay

    target = SideOptions(base_url=args.base_url, profile=args.profile,
                         **{key: getattr(args, key) for key in CREDENTIALS})
    options = ReplayOptions(args.har, target, fixtures=args.fixtures,
                            allow_writes_to_existing=args.allow_writes_to_existing)
    return run_and_report("replay", lambda: run_replay(options), ReplayUsageError, text, write_json,
                          args.report_json)
