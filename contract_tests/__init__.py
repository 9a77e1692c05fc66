"""The Calendar contract suite: does a deployment keep the ClicRDV Calendar contract?

Layers: conformance and stateful (schemathesis), semantic (the business rules as properties)
and auth (credentials and isolation). Every check cites a rule id of the spec's
`x-contract-rules`; `--level documented` runs only the DOC/INF ones. See `runner.run_suite`
for the Python API and `cli` for `calendar-contract run`.
"""
