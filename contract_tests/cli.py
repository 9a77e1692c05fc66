"""`calendar-contract run`: does a deployment keep the Calendar contract? Exit 0 yes, 1 no, 2 usage.

    calendar-contract run --base-url https://sandbox.clicrdv.com --apikey KEY \\
        --user pro@example.com --password PW --group-id 4 --level documented --junit-xml out.xml

Without --base-url it starts the kit's mock in-process, with the demo credentials as defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from . import baseline, credentials_env
from .calibrate import command as calibrate_command
from .diff import cli as diff_cli
from .model import DEFAULT_CONCURRENCY, DEFAULT_MAX_OWN_CALENDARS, DEFAULT_TIMEOUT_S, LAYERS, SuiteUsageError
from .progress import MODES as PROGRESS_MODES
from .replay import cli as replay_cli
from .runner import DEFAULT_MAX_EXAMPLES, SuiteOptions, run_suite

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as a shell reports them


def _level(text: str) -> str:
    if text in ("documented", "strict") or (text.startswith("profile:") and len(text) > len("profile:")):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: choose documented, strict or profile:FILE")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="calendar-contract", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the contract suite against a deployment (or the mock)")
    run.add_argument(
        "--base-url",
        help="the deployment, e.g. https://sandbox.clicrdv.com (default: start the kit's mock in-process)",
    )
    run.add_argument("--apikey", help=f"the application's API key (sent as ?apikey=); {credentials_env.HELP}")
    run.add_argument("--user", help="a Pro user's email (HTTP Basic)")
    run.add_argument("--password", help=f"that user's password; {credentials_env.HELP}")
    run.add_argument("--group-id", type=int, help="a group the user may access; the suite works in it")
    run.add_argument(
        "--level",
        type=_level,
        default="strict",
        metavar="{documented,strict,profile:FILE}",
        help="documented: only what the ClicRDV docs state or imply (staging/production); "
        "strict: every rule of the kit, assumptions included (default); profile:FILE: strict, "
        "with FILE's answers to the open questions (e.g. from calibrate) checked too",
    )
    run.add_argument(
        "--max-examples",
        type=int,
        default=None,
        help=f"generated cases per operation in the fuzzing phase (default {DEFAULT_MAX_EXAMPLES})",
    )
    run.add_argument("--seed", type=int, help="seed for schemathesis/hypothesis (reproducible runs)")
    run.add_argument(
        "--junit-xml",
        metavar="FILE",
        help="write a JUnit XML report (one testcase per rule and per operation)",
    )
    run.add_argument(
        "--json",
        metavar="FILE",
        dest="json_report",
        help="write the result as JSON (every rule of the level: checked, failed, or not checked and why)",
    )
    run.add_argument("--html", metavar="FILE", dest="html_report",
                     help="write the report as one self-contained HTML page (the JSON report's data)")
    run.add_argument("--baseline", metavar="FILE",
                     help="known, accepted findings: the run fails only on findings FILE does not list")
    run.add_argument("--update-baseline", action="store_true",
                     help="write the --baseline FILE from this run's findings (the run then passes)")
    run.add_argument("--progress", choices=PROGRESS_MODES, default="auto",
                     help="bar: a bar per layer redrawn in place; lines: a line per layer start and end; "
                     "units: a line per rule or operation; none; auto (default): bar on a terminal, "
                     "else lines")
    run.add_argument(
        "--read-only",
        action="store_true",
        help="send no writes at all: only GET requests (and a session login)",
    )
    run.add_argument("--layers", help=f"comma-separated subset of {','.join(LAYERS)} (default: all)")
    run.add_argument("--other-user", help="a second identity, for isolation checks: its email")
    run.add_argument("--other-password",
                     help=f"the second identity's password; or {credentials_env.VARIABLES['other_password']}")
    run.add_argument(
        "--other-group-id",
        type=int,
        help="the second identity's group, which the main user must NOT be able to access",
    )
    run.add_argument(
        "--intervention-id",
        type=int,
        action="append",
        dest="intervention_ids",
        help="an intervention in use in the group (repeatable; default: probe ids 1..100)",
    )
    run.add_argument(
        "--calendarset-id",
        type=int,
        action="append",
        dest="calendarset_ids",
        help="a calendarset of the group (repeatable; default: those the calendars use)",
    )
    run.add_argument("--quiet", action="store_true", help="print only the summary")
    _add_pacing_arguments(run)
    calibrate_command.add_arguments(commands.add_parser(
        "calibrate", help="learn how a deployment answers the spec's open questions; write its profile"))
    diff_cli.add_parser(commands)
    replay_cli.add_parser(commands)
    return parser


def _add_pacing_arguments(run: argparse.ArgumentParser) -> None:
    """How hard the suite leans on a shared deployment, and how much it leaves behind."""
    run.add_argument(
        "--concurrency", type=int, default=None, metavar="N",
        help=f"requests in flight at once: independent checks side by side, writes one at a time "
        f"but the requests a rule expects refused, sent together between one pair of snapshots; "
        f"over HTTP, without --max-rate, the generated cases that change nothing are drawn in a "
        f"second process, with a quarter of them "
        f"(default {DEFAULT_CONCURRENCY} against --base-url, 1 in-process; 1: one request at a time)")
    run.add_argument(
        "--max-rate", type=float, default=None, metavar="R",
        help="at most R requests per second over the whole run (the suite's own and schemathesis'); "
        "429/503 answers are backed off and re-sent, and counted in the summary")
    run.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
        help=f"seconds to wait for each answer, the suite's requests and schemathesis' alike (default "
        f"{DEFAULT_TIMEOUT_S:g}); a request unanswered by then stops the run without a verdict (or, "
        "generated, is reported as a case schemathesis could not test)")
    run.add_argument(
        "--max-own-calendars", type=int, default=None, metavar="N",
        help="calendars the suite may ever create in a group, over all its runs: it reuses its own "
        f"contract-kit-... calendars of earlier runs first (default with --base-url "
        f"{DEFAULT_MAX_OWN_CALENDARS}; none for the in-process mock). While bounded, schemathesis sends "
        "no generated creates and its stateful layer is skipped; 0: no bound")


def _interrupt_on_sigterm() -> None:
    """A CI job's timeout sends SIGTERM: handled as Ctrl-C is (calendars cleaned up, reports
    written, "interrupted"), not a silent death leaving the run's calendars live."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)


class Terminated(KeyboardInterrupt):
    """SIGTERM, stopping the run as Ctrl-C does; the exit status says which (143, not 130)."""


def _interrupt(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    credentials_env.fill(args)
    if args.command == "calibrate":
        return calibrate_command.run(args)
    if args.command == "diff":
        return diff_cli.main(args)
    if args.command == "replay":
        return replay_cli.main(args)
    others = (args.other_user, args.other_password, args.other_group_id)
    if any(value is not None for value in others) and not all(value is not None for value in others):
        print(
            "calendar-contract: --other-user, --other-password and --other-group-id go together",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.base_url and not all((args.apikey, args.user, args.password, args.group_id is not None)):
        print(
            "calendar-contract: with --base-url, give --apikey, --user, --password and --group-id",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.update_baseline and not args.baseline:
        print("calendar-contract: --update-baseline needs --baseline FILE (the file it writes)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.baseline and not args.update_baseline:
        try:
            baseline.load(args.baseline)  # a missing or broken baseline is refused before the run
        except SuiteUsageError as error:
            print(f"calendar-contract: {error}", file=sys.stderr)
            return EXIT_USAGE
    options = SuiteOptions(
        base_url=args.base_url,
        apikey=args.apikey,
        user=args.user,
        password=args.password,
        group_id=args.group_id,
        level=args.level,
        max_examples=args.max_examples,
        seed=args.seed,
        read_only=args.read_only,
        layers=tuple(part.strip() for part in args.layers.split(",")) if args.layers else None,
        other_user=args.other_user,
        other_password=args.other_password,
        other_group_id=args.other_group_id,
        junit_xml=args.junit_xml,
        json_report=args.json_report,
        quiet=False,
        intervention_ids=args.intervention_ids,
        calendarset_ids=args.calendarset_ids,
        progress=args.progress,
        html_report=args.html_report,
        baseline=args.baseline,
        update_baseline=args.update_baseline,
        concurrency=args.concurrency,
        max_rate=args.max_rate,
        timeout=args.timeout,
        max_own_calendars=args.max_own_calendars,
    )
    if args.quiet:
        options.quiet = True
    _interrupt_on_sigterm()
    try:
        result = run_suite(options)
    except SuiteUsageError as error:
        print(f"calendar-contract: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as stop:
        return EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
    if args.quiet:
        print(result.summary())
    return EXIT_OK if result.passed else EXIT_FAILED


def entry() -> None:
    """The `calendar-contract` command. After Ctrl-C or SIGTERM, once the reports are written and
    the output flushed, the process ends without waiting for the run's threads: the interruption
    lands in the main thread wherever it is and may leave a lock taken that one of them waits on
    (a `with` cannot always release it, bpo-29988), and a CI runner's SIGKILL comes seconds later."""
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a reader gone, a stream closed
                stream.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
