"""`calendar-contract replay`: recorded traffic (HAR, read by `mock_server.recorded.har`) resent
to a deployment, every answer compared with the recorded one by diff's comparison and named by
diff's difference -> open question table.

    translate.py  a recorded call as the target is sent it (credentials, group, created ids)
    kinds.py      a recorded request's kind, in diff's scenario's words (for the table)
    inherit.py    later differences named after the earlier one they follow from
    leftovers.py  calendars an earlier replay left on the target, noted before this one starts
    target.py     the deployment: a base URL, or the kit's mock (demo data or --fixtures)
    run.py        run_replay        report.py  text and JSON        cli.py  the subcommand
"""

from __future__ import annotations

from .run import ReplayOptions, ReplayResult, ReplayUsageError, run_replay

__all__ = ["ReplayOptions", "ReplayResult", "ReplayUsageError", "run_replay"]
