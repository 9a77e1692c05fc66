"""`calendar-contract diff`: the same seeded scenario against two deployments; exit 0 when they
answer alike, 1 when they differ, 2 on bad options, refused credentials or an unreachable server
(one that stops answering mid-run: the steps compared until then are still reported).

    calendar-contract diff --against https://staging.example.com --against-apikey KEY \\
        --against-user qa@example.com --against-password PW --against-group-id 4 --seed 7

A side without a base URL is the kit's mock, in-process, with the demo credentials (unless that
side's own credential options are given); `--profile` / `--against-profile` make it answer the
open questions as a profile says. B's credentials default to A's when B is a base URL. A side
that is a base URL reads a credential left out from CLICRDV_APIKEY, CLICRDV_USER,
CLICRDV_PASSWORD (off the command line, where `ps` shows it).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import Any

from .. import credentials_env
from ..progress import terminal_text

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2
CREDENTIALS = ("apikey", "user", "password", "group_id")


def add_parser(commands: Any) -> None:
    """The `diff` subcommand, on the CLI's subparsers."""
    diff = commands.add_parser("diff", help="send one seeded scenario to two deployments and report "
                               "every difference", description=__doc__.split("\n\n")[0])
    for side, flag, what in (("A", "", "--base-url"), ("B", "against-", "--against")):
        group = diff.add_argument_group(f"side {side}")
        group.add_argument(what, dest=f"{flag.replace('-', '_')}base_url" if flag else "base_url",
                           metavar="URL", help="the deployment (default: the kit's mock, in-process)")
        group.add_argument(f"--{flag}apikey", help=f"the application's API key; {credentials_env.HELP}")
        group.add_argument(f"--{flag}user", help="a Pro user's email (HTTP Basic)")
        group.add_argument(f"--{flag}password", help=f"that user's password; {credentials_env.HELP}")
        group.add_argument(f"--{flag}group-id", type=int, help="the group the scenario works in")
        group.add_argument(f"--{flag}profile", metavar="FILE|default|contrarian",
                           help="the in-process mock answers the open questions as this profile says")
    diff.add_argument("--seed", type=int, help="the scenario's seed (default: a random one, printed)")
    diff.add_argument("--steps", type=int, default=None, help="steps in the scenario (default 40)")
    diff.add_argument("--report-json", metavar="FILE", help="also write the report as JSON")


def main(args: argparse.Namespace) -> int:
    from .report import text, write_json
    from .run import DiffOptions, run_diff
    from .scenario import DEFAULT_STEPS
    from .sides import DiffUsageError, SideOptions

    credentials_env.fill(args)  # A's, when A is a deployment
    a = SideOptions(base_url=args.base_url, profile=args.profile,
                    **{key: getattr(args, key) for key in CREDENTIALS})
    b_values = {key: getattr(args, f"against_{key}") for key in CREDENTIALS}
    if args.against_base_url:  # a deployment: what is not given for B is A's, else the environment's
        b_values = {key: next((v for v in (value, getattr(args, key), credentials_env.value_of(key))
                               if v is not None), None) for key, value in b_values.items()}
    b = SideOptions(base_url=args.against_base_url, profile=args.against_profile, **b_values)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    steps = DEFAULT_STEPS if args.steps is None else args.steps
    return run_and_report("diff", lambda: run_diff(DiffOptions(a, b, seed=seed, steps=steps)),
                          DiffUsageError, text, write_json, args.report_json)


def run_and_report(command: str, run: Callable[[], Any], usage_error: type[Exception],
                   text: Callable[[Any], str], write_json: Callable[[Any, str], Any],
                   report_json: str | None) -> int:
    """Run, print the report (and write it as JSON when asked); the exit status of diff and replay."""
    try:
        result = run()
    except usage_error as error:
        print(f"calendar-contract {command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    print(terminal_text(text(result)))
    if report_json:
        try:
            write_json(result, report_json)
        except OSError as error:
            print(f"calendar-contract {command}: cannot write {report_json}: {error}", file=sys.stderr)
            return EXIT_USAGE
    if result.stopped:
        print(f"calendar-contract {command}: {result.stopped}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if result.passed else EXIT_DIFFERENT
