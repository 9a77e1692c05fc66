"""The conformance and stateful layers: schemathesis' engine pointed at the suite's own data.

    run.py        the layer: which runs, their config, and what their events mean
    views.py      the views of the spec cases are generated from
    steer.py      generated writes steered at the suite's own calendars
    checks.py     the suite's own checks and hooks; which built-in checks are kept
    rules.py      which contract rule a check (or a failure) stands for
    responses.py  bodies judged against the run's level view
"""
