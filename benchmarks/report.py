"""The results table (printed) and benchmarks/RESULTS.md, from the raw results dictionary."""

from __future__ import annotations

from pathlib import Path

import charts
import slow_network
from proxy_bench import section as proxy_section
from report_format import OP_NAMES, OPERATIONS, OTHERS, PEERS, load_cell, num, peak_under_load, ratio
from report_targets import targets_table
from report_worst import worst_section

RESULTS_MD = Path(__file__).resolve().parent / "RESULTS.md"
# A/B figures behind design choices, measured by hand once (how: in the file); kept in RESULTS.md.
DECISIONS_MD = Path(__file__).resolve().parent / "decisions.md"
_PEER_ROWS = (
    ("**mock** (`calendar-mock serve`: granian embedded, one process, one event loop)",
     "Stateful: creates, updates and soft deletes persist; filters, sort, paging, search and "
     "conditions are computed; every request is validated against the mock's view of the spec "
     "(the strict view plus the mock's own bounds and choices: query, path, body, media type); "
     "apikey and Basic/session auth are checked against the seed users; group "
     "isolation; a journal of the last 1000 requests.",
     "Persist anything to disk; log each request."),
    ("**mock-waitress** (`calendar-mock serve --server waitress`, 8 threads)",
     "The same mock under the pure-Python server it also offers (the in-thread server of the "
     "pytest plugin), for the server choice.",
     "As mock (waitress logs a \"Task queue depth\" warning whenever more requests wait than its "
     "8 threads take: see the log column at 16 connections)."),
    ("**prism** (`prism mock spec/openapi.yaml`, defaults)",
     "Validates each request against the spec (parameters, body schema, presence of the security "
     "credentials) and answers 400/401 on a violation; otherwise answers the spec's static example "
     "(or one built from the schema) with the documented status. Logs every request at `info`.",
     "Keep state: a create is forgotten, the list always returns the same example and show returns "
     "an example whatever the id (no 404); filters, sort and paging are ignored; credentials are "
     "checked for presence only (a wrong password, a wrong apikey or another group's path answer "
     "200); the `.json` path aliases answer 404."),
    ("**prism-quiet** (`--verboseLevel silent`)",
     "The same as prism with logging off, Prism's switch for it (`-m` forks the HTTP server to "
     "speed up log processing; `--errors` turns violations into error responses: neither is "
     "about logging).",
     "As prism."),
    ("**json-server** 0.17 (`--routes` onto our paths)",
     "Stateful CRUD over a JSON file (`db.json` with the demo's group-4 calendars), rewritten to "
     "disk on every write; its own filter/sort/paging dialect "
     "(`calendarset_id=8&_sort=name&_order=asc&_limit=25`). Logs every request.",
     "Validate anything (any body is stored as sent); authenticate (no apikey is sent: an unknown "
     "query parameter is taken as a filter); answer our envelope (it returns a bare array); apply "
     "defaults, assign `sort`, soft delete, or keep groups apart; partial `PUT` (PUT replaces the "
     "record, so the update is sent as `PATCH` with a bare body)."),
)
WHAT_PEERS_DO = "\n".join(
    ["| peer | what it does | what it does NOT do |", "|---|---|---|"]
    + [f"| {peer} | {does} | {does_not} |" for peer, does, does_not in _PEER_ROWS]
) + "\n"


def summary_table(results: dict) -> str:
    head = ("| measure | " + " | ".join(PEERS) + " | " +
            " | ".join(f"mock ÷ {p}" for p in OTHERS) + " |")
    lines = [head, "|---" * (1 + len(PEERS) + len(OTHERS)) + "|"]

    def row(label: str, values: dict[str, float | None], digits: int) -> None:
        cells = [num(values.get(p), digits) for p in PEERS]
        ratios = [ratio(values.get("mock"), values.get(p)) for p in OTHERS]
        lines.append(f"| {label} | " + " | ".join(cells + ratios) + " |")

    cold = results.get("cold", {})
    runs = len(cold.get("mock", {}).get("runs", []))
    row(f"cold start, s (median of {runs})", {p: cold.get(p, {}).get("median_s") for p in PEERS}, 3)
    row("idle RSS, MB", {p: cold.get(p, {}).get("idle_rss_mb") for p in PEERS}, 1)
    row("peak RSS under load, MB", {p: peak_under_load(results, p) for p in PEERS}, 1)
    for operation in OPERATIONS:
        for connections in (1, 16):
            name = f"{OP_NAMES[operation]} c={connections}"
            cells = {p: load_cell(results, p, operation, connections) for p in PEERS}
            row(f"{name}: req/s", {p: c.get("rps") for p, c in cells.items()}, 0)
            row(f"{name}: p50 ms", {p: c.get("p50_ms") for p, c in cells.items()}, 2)
            row(f"{name}: p99 ms", {p: c.get("p99_ms") for p, c in cells.items()}, 2)
    return "\n".join(lines)


def _environment(results: dict) -> str:
    env = results.get("environment", {})
    settings = results.get("settings", {})
    py = ", ".join(f"{k} {v}" for k, v in env.get("python_packages", {}).items())
    node = ", ".join(f"{k} {v}" for k, v in env.get("node_packages", {}).items())
    return "\n".join([
        f"- date: {env.get('date')}; commit `{env.get('commit')}`" + (
            f" plus uncommitted changes to {len(env['uncommitted'])} file(s) of the measured code "
            f"({', '.join(env['uncommitted'][:6])}{', …' if len(env['uncommitted']) > 6 else ''})"
            if env.get("uncommitted") else ""),
        _code_note(results),
        f"- machine: {env.get('cpu')}, {env.get('cores')} cores, {env.get('memory_gib')} GiB; "
        f"{env.get('os')}, kernel {env.get('kernel')}",
        f"- Python {env.get('python')} ({py}); Node {env.get('node')} ({node}); {env.get('wrk')}",
        f"- load: wrk on the same machine, 127.0.0.1 only; 1 connection = 1 wrk thread, 16 connections = "
        f"2 wrk threads; a fresh server process per configuration, {settings.get('warmup_s')} s warm-up, "
        f"then {settings.get('repeats')} runs of {settings.get('duration_s')} s (each capped at "
        f"{settings.get('max_requests'):,} requests), median reported. RSS is summed over the server's "
        f"process group and sampled every 100 ms.",
        f"- other work on the machine: before each run the benchmark waits (up to "
        f"{settings.get('quiet_wait_s')} s) for other processes to use under {settings.get('quiet_cores')} "
        f"core; during each run it measures their CPU use (\"other load\") and redoes disturbed runs. "
        f"All waits together are capped at {settings.get('wait_budget_s')} s; this run waited "
        f"{settings.get('waited_s')} s. Load average at the start: {env.get('loadavg')}.",
    ])


MOCK_CODE = ("mock_server", "spec", "fixtures")


def _code_note(results: dict) -> str:
    """Whether every section measured the same mock (and the contract run one suite)."""
    code = results.get("code", {})
    if not code:
        return "- measured code: not fingerprinted"

    def relevant(section: str) -> tuple[str, ...]:
        return (*MOCK_CODE, "contract_tests") if section == "contract" else MOCK_CODE

    changed = {s: [k for k in relevant(s) if c["before"].get(k) != c["after"].get(k)]
               for s, c in code.items()}
    changed = {s: parts for s, parts in changed.items() if parts}
    mocks = {tuple(c["before"].get(k) for k in MOCK_CODE) for c in code.values()}
    prints = ", ".join(f"{k} {v}" for k, v in next(iter(code.values()))["before"].items())
    if not changed and len(mocks) == 1:
        return f"- every section measured the same mock, spec and fixtures (fingerprints: {prints})"
    notes = [f"`{s}` ({', '.join(parts)} changed while it ran)" for s, parts in changed.items()]
    if len(mocks) > 1:
        notes.append("the sections did not all measure the same mock_server/spec/fixtures")
    return ("- **the measured code changed while the benchmark ran**, as others edited the tree: "
            + "; ".join(notes) + ". Compare those numbers with care, or rerun on a quiet tree.")


def _cold_section(results: dict) -> str:
    cold = results.get("cold", {})
    lines = ["| peer | median s | runs (s) | idle RSS MB (1 s after ready) |", "|---|---|---|---|"]
    for peer in PEERS:
        entry = cold.get(peer, {})
        runs = ", ".join(f"{r:.3f}" for r in entry.get("runs", []))
        note = f" — error: {entry['error']}" if entry.get("error") else ""
        lines.append(f"| {peer} | {num(entry.get('median_s'), 3)} | {runs}{note} | "
                     f"{num(entry.get('idle_rss_mb'), 1)} |")
    return "\n".join(lines)


def _requests_section(results: dict) -> str:
    lines = ["| peer | operation | request | first answer |", "|---|---|---|---|"]
    for peer in PEERS:
        for operation in OPERATIONS:
            cell = results.get("load", {}).get(peer, {}).get("operations", {}).get(operation)
            if not cell:
                continue
            body = f" body `{cell['body']}`" if cell.get("body") else ""
            probe = cell.get("probe", {})
            shown = " ".join(probe.get("body", "").split())[:70]
            answer = f"{probe.get('status')} `{shown}…`".replace("|", "\\|")
            lines.append(f"| {peer} | {operation} | `{cell['method']} {cell['path']}`{body} | {answer} |")
    return "\n".join(lines)


def _log_rate(cell: dict) -> str:
    """Lines the server logged (start-up banner included) per 1,000 requests it served."""
    if "log_lines" not in cell or not cell.get("requests"):
        return "—"
    return f"{cell['log_lines'] * 1000 / cell['requests']:,.0f}"


def _load_section(results: dict) -> str:
    lines = ["| peer | operation | conns | req/s (median) | req/s of each run | p50 / p99 ms | "
             "other load, cores | undisturbed runs | server log lines per 1,000 requests |", "|---" * 9 + "|"]
    for peer in PEERS:
        for operation in OPERATIONS:
            for connections in (1, 16):
                cell = load_cell(results, peer, operation, connections)
                if not cell:
                    continue
                if "error" in cell:
                    lines.append(f"| {peer} | {operation} | {connections} | error: {cell['error']} |"
                                 + " |" * 5)
                    continue
                each = ", ".join(f"{r['rps']:,.0f}" + ("" if r["other_load"] < 0.25 else "†")
                                 for r in cell["runs"])
                lines.append(f"| {peer} | {operation} | {connections} | {cell['rps']:,.0f} | {each} | "
                             f"{cell['p50_ms']:.2f} / {cell['p99_ms']:.2f} | {cell['other_load']:.2f} | "
                             f"{cell['clean_runs']} of {len(cell['runs'])} | {_log_rate(cell)} |")
    lines += ["", "† a run during which other work on the machine used ≥ 0.25 core (see "
              "`benchmarks/machine.py`); such runs are redone, and the median is over the undisturbed "
              "runs when there are any. \"Other load\" is the largest among the runs kept. Log lines count "
              "everything the server wrote to stdout/stderr from start to stop (banner and warm-up "
              "included) against the measured requests."]
    return "\n".join(lines)


def _non2xx_note(results: dict) -> str:
    bad = []
    for peer in PEERS:
        for operation in OPERATIONS:
            for connections in (1, 16):
                cell = load_cell(results, peer, operation, connections)
                if cell.get("non2xx") or cell.get("socket_errors") or cell.get("error"):
                    bad.append(f"{peer} {operation} c={connections}: {cell.get('non2xx', 0)} non-2xx, "
                               f"{cell.get('socket_errors', 0)} socket errors {cell.get('error', '')}")
    return ("Every measured response was 2xx, with no socket error." if not bad
            else "Not all answers were 2xx:\n\n" + "\n".join(f"- {b}" for b in bad))


def _sizes_section(results: dict) -> str:
    sizes = results.get("sizes", {})
    lines = ["| calendars in group 4 | seed MB | launch → ready s | idle RSS MB | "
             "peak RSS while loading MB | "
             "RSS serving lists MB | default page p50 / p99 ms | req/s | filtered+sorted page p50 / p99 ms "
             "| req/s | other load, cores |", "|---" * 11 + "|"]
    for size, entry in sizes.items():
        if "error" in entry:
            lines.append(f"| {int(size):,} | error: {entry['error']} |" + " |" * 9)
            continue
        page, filtered = entry["page"], entry["filtered"]
        lines.append(
            f"| {int(size):,} | {entry['seed_mb']:.1f} | {entry['ready_s']:.2f} | "
            f"{entry['idle_rss_mb']:.1f} | "
            f"{entry['startup_peak_rss_mb']:.1f} | {entry['peak_rss_mb']:.1f} | "
            f"{page['p50_ms']:.2f} / {page['p99_ms']:.2f} | {page['rps']:,.0f} | "
            f"{filtered['p50_ms']:.2f} / {filtered['p99_ms']:.2f} | {filtered['rps']:,.0f} | "
            f"{max(page.get('other_load', 0), filtered.get('other_load', 0)):.2f} |")
    lines.append("")
    lines.append("One connection; the default page is `GET …/calendars?apikey=…` (25 records by id); the "
                 "filtered page is the load test's `calendarset_ids[]=8&sort=name&dir=asc&results=25` "
                 "(a third of the calendars match and are sorted). Peak while loading is the kernel's "
                 "VmHWM after start-up, so it includes reading and validating the seed.")
    return "\n".join(lines)


def _contract_section(results: dict) -> str:
    contract = results.get("contract", {})
    if contract.get("status") != "ok":
        reason = contract.get("reason") or contract.get("error") or "not measured"
        return ("| measure | value |\n|---|---|\n"
                f"| strict run, wall s | **TODO** — {reason} |\n| cases per second | **TODO** |")
    return "\n".join([
        "| measure | value |", "|---|---|",
        f"| strict run, wall s (process start to end) | {contract['wall_s']:.1f} |",
        f"| of which the suite itself, s | {contract['suite_s']:.1f} |",
        f"| cases (schemathesis-generated + the suite's own requests) | {contract['cases']:,} "
        f"({contract['generated_cases']:,} + {contract['suite_requests']:,}) |",
        f"| cases per second | {contract['cases_per_s']:,.0f} |",
        f"| test cases / checks | {contract['testcases']} / {contract['checks']} |",
        f"| passed | {contract['passed']} ({contract['failures']} failures) |",
        f"| other load on the machine meanwhile, cores | {contract.get('other_load', 0):.2f} |",
        f"| contract_tests fingerprint | "
        f"{results.get('code', {}).get('contract', {}).get('before', {}).get('contract_tests', '—')} |",
    ])


def _profile_section(results: dict) -> str:
    profile = results.get("profile", {})
    if not profile or "error" in profile:
        return f"Not measured: {profile.get('error', 'section skipped')}"
    parts = [f"Measured with {profile.get('other_load', 0):.2f} cores of other load on the machine.", ""]
    for operation in ("list", "create"):
        data = profile.get(operation)
        if not data:
            continue
        shares = ", ".join(f"{name} {share:.0%}" for name, share in data["self_time_share"].items()
                           if share >= 0.02)
        parts += [
            f"### {OP_NAMES[operation]}: {data['us_per_request']:.0f} µs per request in-process "
            f"({data['requests']:,} requests straight into the WSGI app, no server)",
            "",
            f"Self time by package: {shares}.",
            "",
            "Top functions by self time:",
            "",
            "```",
            data["top_tottime"],
            "```",
            "",
            "Top by cumulative time:",
            "",
            "```",
            data["top_cumulative"],
            "```",
            "",
        ]
    return "\n".join(parts)


def markdown(results: dict) -> str:
    return "\n".join([
        "# Benchmark results",
        "",
        "Written by `make bench` (`benchmarks/run.py`); see benchmarks/README.md for what is measured "
        "and how. Timing depends on the machine: compare runs on the same machine only.",
        "",
        _environment(results),
        "",
        "## Summary (medians; ratios are mock ÷ peer)",
        "",
        "For req/s a ratio above 1 means the mock is faster; for seconds, MB and ms a ratio below 1 "
        "means the mock is better.",
        "",
        summary_table(results),
        "",
        "## Charts",
        "",
        "Drawn from the summary table above (`benchmarks/charts.py`).",
        "",
        charts.markdown(),
        "",
        "## Targets",
        "",
        targets_table(results),
        "",
        "## Cold start (launch → first 200 on the list)",
        "",
        _cold_section(results),
        "",
        "## Throughput and latency, every configuration",
        "",
        _load_section(results),
        "",
        "## What was sent, and what each peer answered",
        "",
        _requests_section(results),
        "",
        _non2xx_note(results),
        "",
        "## What each peer does and does not do",
        "",
        WHAT_PEERS_DO,
        "## List latency and memory with 100, 10,000 and 100,000 calendars (mock)",
        "",
        _sizes_section(results),
        "",
        "## Contract suite (strict, in-process mock)",
        "",
        _contract_section(results),
        "",
        slow_network.section_markdown(results),
        "",
        "## Where the time goes",
        "",
        _profile_section(results),
        "",
        "## Worst case: the costliest requests at 10,000 calendars, every text at its longest",
        "",
        worst_section(results),
        "",
        "## Proxy: `calendar-mock proxy` in front of the mock, against the mock directly",
        "",
        proxy_section(results),
    ]).rstrip() + "\n"


def write(results: dict, path: Path = RESULTS_MD) -> str:
    """Write the report (RESULTS.md) and return the text to print: the summary and the targets."""
    path.write_text(markdown(results), encoding="utf-8")
    return "\n".join([summary_table(results), "", targets_table(results), "", f"written {path}"])
