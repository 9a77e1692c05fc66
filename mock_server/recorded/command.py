"""`calendar-mock seed-from-har`: seed data for the mock from recorded traffic.

    calendar-mock seed-from-har recording.har --out seed.json [--password PLACEHOLDER]
    calendar-mock serve --fixtures seed.json

Exit 0 when the seed is written; 2 when the file is not HAR, holds no Calendar API call, would
not make a valid seed (the message names the entry and the field) or cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import PLACEHOLDER_PASSWORD, STATES

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(commands: Any) -> None:
    """The `seed-from-har` subcommand, on calendar-mock's subparsers."""
    parser = commands.add_parser(
        "seed-from-har", help="write seed data for the mock from a recorded HAR file",
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("har", metavar="FILE.har", help="HAR 1.2 of ClicRDV Calendar traffic")
    parser.add_argument("--out", required=True, metavar="SEED.json", help="where to write the seed data")
    parser.add_argument("--password", default=PLACEHOLDER_PASSWORD,
                        help=f"the password every recorded user gets (default {PLACEHOLDER_PASSWORD!r})")
    parser.add_argument("--state", choices=STATES, default="last-seen",
                        help="last-seen (default): every calendar as the recording last showed it; "
                        "before: as first seen, without the calendars the recording created (the "
                        "data to replay the recording against)")


def main(args: argparse.Namespace) -> int:
    from .har import HarError, read_har
    from .seed import SeedBuildError, seed_from_recording

    try:
        recording = read_har(args.har)
        result = seed_from_recording(recording, password=args.password, state=args.state)
    except (HarError, SeedBuildError) as error:
        print(f"calendar-mock seed-from-har: {error}", file=sys.stderr)
        return EXIT_USAGE
    text = json.dumps(result.seed, ensure_ascii=False, indent=2) + "\n"
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"calendar-mock seed-from-har: cannot write {args.out}: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_USAGE
    print(f"read {recording.summary()}")
    for note in recording.notes:
        print(f"  note: {note}")
    for line in result.lines:
        print(f"  {line}")
    print(f"wrote {args.out}; serve it with: calendar-mock serve --fixtures {args.out}")
    return EXIT_OK
