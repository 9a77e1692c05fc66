"""Planted faults: deliberately broken variants of the mock, one deviation each.

Every fault is a small function that takes a fresh `create_app()` and plants exactly ONE
deviation from the contract into that instance only: it wraps methods on the instance's
store, rewrites requests or responses with a WSGI middleware (or a before/after hook on
one) wrapped around that app, or swaps a validator of that app's own compiled contract. Nothing
in mock_server's modules is touched, so broken and healthy apps can run side by side.

Each fault records the one `x-contract-rules` id a contract run must name for it (at
documented level, a documented rule, or none when it breaks an assumption of ours only), the
suite layer expected to catch it, and a `probe`: a few requests whose observation differs
between the healthy mock and the broken one, which proves the fault is real
(tests/test_planted_faults.py compares them).

    from planted_faults import CATALOGUE
    broken = CATALOGUE["delete_is_hard"].build()      # a fresh create_app() with the fault
    run_case("delete_is_hard", "strict", ("stateful",), max_examples=5, seed=1)  # plain dict
"""

# isort: off
# Each module registers its faults on import, in this (the catalogue's) order.
from . import records, listing, references, access, refusals, transport  # noqa: F401
# isort: on
from .catalogue import CATALOGUE, LAYERS, RULE_TAGS, Fault, fault
from .probe_client import APIKEY, GROUP, PASSWORD, USER, Answer, Api, SteppingClock
from .run import run_case

__all__ = ["APIKEY", "CATALOGUE", "GROUP", "LAYERS", "PASSWORD", "RULE_TAGS", "USER", "Answer", "Api",
           "Fault", "SteppingClock", "fault", "run_case"]
