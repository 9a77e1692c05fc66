"""`calendar-contract diff`: one seeded scenario sent to two deployments, every difference reported.

    steps.py     a step: one request, per-side values as tokens
    scenario.py  the steps, from a seed               sides.py      reaching a deployment, sending a step
    compare.py   normalising and comparing answers    questions.py  difference -> open question (a table)
    report.py    text and JSON                        run.py        run_diff      cli.py  the subcommand
"""

from __future__ import annotations

from .run import DiffOptions, run_diff
from .scenario import build_scenario
from .sides import DiffUsageError, SideOptions

__all__ = ["DiffOptions", "DiffUsageError", "SideOptions", "build_scenario", "run_diff"]
