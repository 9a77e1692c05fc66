"""What a fresh in-process mock costs: `create_app()` N times, min and median µs, with the
parts it is made of (the compiled contract, the state, the Flask app) and, where the kit has
it, entering and leaving `mock_clicrdv()`. The first build (imports, the spec compiled once)
is reported apart. Run alone: `python benchmarks/fresh_app.py [N]`; never part of the tests.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from mock_server import create_app
from mock_server.config import MockConfig
from mock_server.contract import Contract
from mock_server.state import MockState


def timed(build: Callable[[], object], count: int) -> tuple[float, float]:
    """(min, median) µs of `build()` over `count` calls."""
    spent = []
    for _ in range(count):
        started = time.perf_counter()
        build()
        spent.append((time.perf_counter() - started) * 1e6)
    return min(spent), statistics.median(spent)


def main(count: int = 200) -> None:
    started = time.perf_counter()
    create_app()
    print(f"first create_app (imports, spec compiled): {(time.perf_counter() - started) * 1e3:.1f} ms")
    default = getattr(Contract, "default", None)
    contract = default() if default else Contract()
    rows = [
        ("create_app()", create_app),
        ("Contract() (a private one)", Contract),
        ("MockState (demo seed, compiled contract)", lambda: MockState(MockConfig(), contract)),
    ]
    try:
        from mock_server import mock_clicrdv
    except ImportError:
        pass
    else:
        def intercept() -> None:
            with mock_clicrdv():
                pass

        rows.append(("with mock_clicrdv(): (enter and leave)", intercept))
    print(f"{'over ' + str(count) + ' builds':<44} {'min µs':>9} {'median µs':>10}")
    for label, build in rows:
        low, median = timed(build, count)
        print(f"{label:<44} {low:>9.0f} {median:>10.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
