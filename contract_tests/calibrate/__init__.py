"""`calendar-contract calibrate`: learn how a deployment answers each open question of the spec.

    calendar-contract calibrate --base-url https://staging.example.com --apikey KEY \\
        --user qa@example.com --password PW --group-id 4 --out staging.json [--read-only]

One probe per question of `x-open-questions` (`registry.py`; the probes in `probes_*.py`),
each looking at least twice; answers all looks agree on are settled, the others are unknown
with the reason. The profile it writes loads with `calendar_spec.profiles.load` and makes the
mock answer like the deployment: `create_app(profile="staging.json")`.
"""

from .engine import CalibrateError, CalibrateOptions, calibrate
from .output import Calibration
from .registry import PROBES

__all__ = ["PROBES", "CalibrateError", "CalibrateOptions", "Calibration", "calibrate"]
