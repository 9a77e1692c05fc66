"""The worst-case rows of the targets table and the worst-case section of RESULTS.md."""

from __future__ import annotations

from report_format import num

WORST_TARGET_MS = 50.0


def _worst_mark(row: dict, target: float) -> str:
    if row["median_ms"] > target:
        return "**missed**"
    return "met" if row["max_ms"] <= target else "met (median; max over)"


def worst_targets(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """The issue's two worst-case targets: each request, and a plain client beside them."""
    worst = results.get("worst", {})
    rows_by_name = worst.get("http", {}).get("rows", {})
    if not rows_by_name:
        return []
    target = worst.get("target_ms", WORST_TARGET_MS)
    calendars = worst.get("calendars", 10_000)
    rows = {n: r for n, r in rows_by_name.items() if n != "plain"}
    slowest = max(rows, key=lambda n: rows[n]["median_ms"])
    missed = [n for n, r in rows.items() if r["median_ms"] > target]
    out: list[tuple[str, str, str, bool | None]] = [(
        f"worst-case requests each ≤ {target:g} ms at {calendars:,} calendars (median over HTTP)",
        f"{len(rows) - len(missed)} of {len(rows)} met; slowest `{slowest}` "
        f"{rows[slowest]['median_ms']:.1f} ms",
        f"{rows[slowest]['median_ms'] / target:.2f}× the limit", not missed)]
    for server, entry in worst.get("concurrency", {}).items():
        run = entry.get("runs", {}).get("all")
        if not run:
            continue
        p99 = run["plain"]["p99_ms"]
        out.append((f"plain list p99 ≤ {target:g} ms while another client loops the worst requests "
                    f"({server})", f"{p99:.1f} ms", f"{p99 / target:.2f}× the limit", p99 <= target))
    return out


def _short(text: str, size: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def worst_section(results: dict) -> str:
    worst = results.get("worst", {})
    if not worst or "error" in worst:
        return f"Not measured: {worst.get('error', 'section skipped')}"
    target = worst.get("target_ms", WORST_TARGET_MS)
    settings = worst["settings"]
    http, notes = worst["http"], worst["requests"]
    in_process = worst.get("in_process", {}).get("median_ms", {})
    parts = [
        f"`calendar-mock serve --fixtures <seed>` (granian) with {worst['calendars']:,} calendars "
        "in group 4, every text at its longest (name, publicname and address 255 characters, zipcode "
        "16, city 64; half `a…ab`, half a long common prefix and digits: `seeds.worst_seed`; a "
        f"{worst['seed_mb']} MB seed, ready in {worst['ready_s']:.1f} s, peak RSS "
        f"{http.get('hwm_rss_mb', 0):.0f} MB). Each request (`benchmarks/worst.py`, the catalogue) is a "
        "`GET …/calendars?apikey=…` with HTTP Basic, sent on one keep-alive connection from 127.0.0.1: "
        f"one warm-up, then up to {settings['samples']} answers timed (until {settings['budget_s']:g} s "
        "once 3 are in), from sending to the last byte read. URLs stay under "
        f"{settings['url_limit']:,} bytes (granian answers 414 to a longer request line); \"as many as "
        "fit\" means up to that. A request marked ⟳ holds a value that changes at every send, so no "
        "cache of the mock answers it. A 400 is the mock refusing the request (the filter budget, "
        "`x-clicrdv-limits: max-filter-steps`, or validation): a refusal must be cheap too. In-process "
        f"is the median of {worst.get('in_process', {}).get('calls', 3)} calls straight into the WSGI "
        "app (no server, no HTTP).",
        "",
        f"| request | what it is | URL bytes | status | answer bytes | median ms | max ms | answers timed | "
        f"in-process ms | other load, cores | ≤ {target:g} ms |",
        "|---" * 11 + "|",
    ]
    for name, row in http["rows"].items():
        info = notes.get(name, {})
        mark = "reference" if name == "plain" else _worst_mark(row, target)
        parts.append(
            f"| `{name}`{' ⟳' if info.get('nonce') else ''} | {info.get('note', '')} | "
            f"{info.get('url_bytes', 0):,} | {row['status']} | {row['bytes']:,} | {row['median_ms']:.1f} | "
            f"{row['max_ms']:.1f} | {len(row['samples_ms'])} | {num(in_process.get(name), 1)} | "
            f"{row['other_load']:.2f}{' (redone)' if row.get('redone') else ''} | {mark} |")
    refused = [(name, row["answer"]) for name, row in http["rows"].items() if row.get("answer")]
    if refused:
        parts += ["", "What the refused requests were answered (the start of the body):", ""]
        parts += [f"- `{name}` {http['rows'][name]['status']}: `{_short(answer, 120)}`"
                  for name, answer in refused]
    ordinary = worst.get("ordinary", {}).get("rows", {})
    if ordinary:
        parts += [
            "",
            f"The same requests against the ordinary bench seed ({worst['calendars']:,} calendars of short "
            "texts, `seeds.seed_with`), for comparison:",
            "",
            "| request | status | answer bytes | median ms | max ms | median on the longest texts, ms | "
            f"other load, cores | ≤ {target:g} ms |",
            "|---" * 8 + "|",
        ]
        for name, row in ordinary.items():
            longest = http["rows"].get(name, {}).get("median_ms")
            mark = "reference" if name == "plain" else _worst_mark(row, target)
            parts.append(f"| `{name}` | {row['status']} | {row['bytes']:,} | {row['median_ms']:.1f} | "
                         f"{row['max_ms']:.1f} | {num(longest, 1)} | {row['other_load']:.2f} | {mark} |")
    parts += ["", "### A plain client beside a client sending the worst requests", "",
              f"wrk (one connection) sends the default page (`GET …/calendars?apikey=…`) for "
              f"{settings['duration_s']:g} s (at most {settings['max_requests']:,} requests) while another "
              f"process sends the catalogue's requests round-robin on one keep-alive connection (at most "
              f"{settings['heavy_cap']:,}): every request but the reference, or only those answered "
              "200 above; \"alone\" is the plain client by itself. Other load excludes the server and "
              "both clients.", "",
              "| server | the other client sends | plain requests | plain p50 / p99 / max ms | "
              "worst requests sent (statuses) | slowest worst request, ms | other load, cores | "
              f"plain p99 ≤ {target:g} ms |", "|---" * 8 + "|"]
    for server, entry in worst.get("concurrency", {}).items():
        runs = entry.get("runs", {})
        if "error" in runs:
            parts.append(f"| {server} | error: {runs['error']} |" + " |" * 6)
        for label, run in runs.items():
            if label == "error":
                continue
            plain, heavy = run["plain"], run.get("heavy") or {}
            sent = ("—" if label == "alone" else
                    f"{heavy.get('requests', 0):,} ("
                    + ", ".join(f"{k}: {v:,}" for k, v in sorted(heavy.get("statuses", {}).items()))
                    + (f", {heavy['errors']} errors" if heavy.get("errors") else "") + ")")
            what = {"alone": "nothing (alone)", "all": f"all {len(run['heavy_names'])} worst requests",
                    }.get(label, f"the {len(run['heavy_names'])} answered 200")
            mark = "—" if label == "alone" else ("met" if plain["p99_ms"] <= target else "**missed**")
            parts.append(f"| {server} | {what} | {plain['requests']:,} | {plain['p50_ms']:.2f} / "
                         f"{plain['p99_ms']:.2f} / {plain['max_ms']:.2f} | {sent} | "
                         f"{num(heavy.get('slowest_ms'), 1)} | {plain['other_load']:.2f} | {mark} |")
    profiles = worst.get("in_process", {}).get("profiles", {})
    if profiles:
        parts += ["", f"### Where the time goes in the requests over {target:g} ms", "",
                  "cProfile over a few in-process calls of each (WSGI, no server; the profiler slows the "
                  "many small calls of a filter more than the rest). Top functions by self time, then by "
                  "cumulative time.", ""]
        for name, profile in profiles.items():
            parts += [f"<details><summary><code>{name}</code>: {num(in_process.get(name), 1)} ms "
                      f"in-process, {http['rows'][name]['median_ms']:.1f} ms over HTTP "
                      f"({profile['calls']} call(s) profiled)</summary>", "", "```",
                      profile["top_tottime"], "", profile["top_cumulative"],
                      "```", "", "</details>", ""]
    return "\n".join(parts).rstrip()
