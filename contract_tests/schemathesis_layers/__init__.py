"""The conformance and stateful layers: schemathesis' engine pointed at the suite's own data.

    plan.py            which engine runs, in which order, reading which calendars (fixed before the rules)
    run.py             the layers: targets for generated writes, the runs side by side, findings merged
    one_run.py         one engine run: its config and schema, its events judged
    second_process.py  the runs that change nothing, forked beside the rule layers (over HTTP)
    engines.py         engine runs side by side in one process
    views.py           the views of the spec cases are generated from
    steer.py           generated writes steered at the suite's own calendars
    partitions.py      which calendars each write engine's generated writes may reach
    checks.py          the suite's own checks and hooks (check_names.py: which built-in checks are kept)
    findings.py        what a run found, as plain data, merged in plan order
    rules.py           which contract rule a check (or a failure) stands for
    responses.py       bodies judged against the run's level view
"""
