"""Other clients of a shared staging: whether someone else writes to the groups the run reads.

A check that compares two reads of a group (a list and a show, a login's list and Basic's, the
state before and after a refused write) cannot tell its deployment's fault from another client's
write between the reads: on a staging server in use, or with two runs in one group (two CI jobs),
such a comparison fails on a correct deployment. So when one fails, and fails again when re-run,
the groups are read twice QUIET_S apart while this run sends them nothing (the gate held alone;
its own calendars left out, which its generated writes may still reach): if they moved, someone
else is writing, and the failure is reported as not judged, with what was
seen, rather than as a contract failure. A deployment that is quiet gets the verdict as before.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from .model import OTHERS_WRITE, CheckFailed, Skip

if TYPE_CHECKING:
    from .client import Api
    from .context import SuiteContext

QUIET_S = 1.0  # long enough for a client writing every second or faster to show


def _state(ctx: SuiteContext, api: Api) -> list[str]:
    """The group's calendars but the run's own: side by side, the run's generated writes to its
    own calendars (partitions.py) go on while the rules' gate is held, and another client's
    writes show on calendars not the run's (a concurrent run claims only free ones)."""
    records, _ = ctx.records_and_total([("sort", "id")], api=api)
    own = {**ctx.created, **ctx.other_created}
    return sorted(json.dumps(record, sort_keys=True, default=str) for record in records
                  if record.get("id") not in own and not str(record.get("name", "")).startswith(ctx.prefix))


def others_write(ctx: SuiteContext) -> bool:
    """Whether the run's groups change while the run sends them nothing (QUIET_S apart); False
    when a group cannot be read whole (then nothing says others write: the verdict stands)."""
    apis = [api for api in (ctx.api, ctx.other_api) if api is not None]
    try:
        with ctx.gate.alone():
            first = [_state(ctx, api) for api in apis]
            # The run's stop (Ctrl-C, SIGTERM) cuts the wait short; the read after it is then refused.
            stop = getattr(ctx.transport, "stop", None)
            (stop.wait if stop is not None else time.sleep)(QUIET_S)
            return [_state(ctx, api) for api in apis] != first
    except CheckFailed:
        return False


def unjudged(what: str) -> Skip:
    """The Skip for a comparison that failed while others wrote to the group."""
    return Skip(f"not judged: {what} - the group changed while this run sent it nothing, so another "
                "client writes to it and the comparison cannot say who changed what", why=OTHERS_WRITE)
