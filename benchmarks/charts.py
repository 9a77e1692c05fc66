"""The benchmark's side-by-side results as charts: PNG files in benchmarks/charts/, shown by
RESULTS.md (and the main one by the README).

    python benchmarks/charts.py                   # from benchmarks/RESULTS.md
    python benchmarks/charts.py path/RESULTS.md   # charts beside that file, in charts/

They are drawn from RESULTS.md's summary table, the very numbers the page prints (`make bench`
calls `draw` after writing it), so a chart never disagrees with its table and can be redrawn
without measuring again. matplotlib (the `dev` extra) draws them with its Agg backend.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_MD = HERE / "RESULTS.md"
CHARTS = "charts"
OPERATIONS = ("filtered list", "show", "create", "update")
CONNECTIONS = (1, 16)
COLOURS = {"mock": "#1f5fa8", "mock-waitress": "#7fa7d6", "prism": "#d9661f", "prism-quiet": "#f0ab7a",
           "json-server": "#5b8a3a"}
FALLBACK_COLOURS = ("#7b4fa0", "#a08a4f", "#4fa09a", "#888888")
# What RESULTS.md shows under "## Charts" (report.markdown), and the files `draw` writes.
FILES = {"summary": "the mock against each peer: throughput and p99 at 16 connections, memory, cold start",
         "throughput": "requests per second per operation, 1 and 16 connections (higher is better)",
         "p99": "p99 latency per operation, 1 and 16 connections (lower is better)",
         "memory": "resident memory idle and at its peak under load (lower is better)",
         "cold_start": "launch to the first answered list (lower is better)"}


def markdown() -> str:
    """The RESULTS.md section that shows the charts."""
    return "\n".join(f"![{what}]({CHARTS}/{name}.png)" for name, what in FILES.items())


def _number(cell: str) -> float | None:
    cell = cell.strip().replace(",", "").rstrip("×")
    try:
        return float(cell)
    except ValueError:
        return None


def parse_summary(text: str) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The peers (mock first) and every row of the summary table: {measure: {peer: value}}."""
    section = text.split("## Summary", 1)[1].split("\n## ", 1)[0] if "## Summary" in text else ""
    table = [line for line in section.splitlines() if line.startswith("|")]
    if len(table) < 3:
        raise ValueError("no summary table (## Summary) in the results")
    header = [cell.strip() for cell in table[0].strip("|").split("|")]
    peers = [name for name in header[1:] if "÷" not in name]
    rows: dict[str, dict[str, float]] = {}
    for line in table[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        values = {peer: _number(cell) for peer, cell in zip(peers, cells[1:len(peers) + 1], strict=True)}
        rows[cells[0]] = {peer: value for peer, value in values.items() if value is not None}
    return peers, rows


def _row(rows: dict[str, dict[str, float]], pattern: str) -> dict[str, float]:
    for label, values in rows.items():
        if re.fullmatch(pattern, label):
            return values
    return {}


def _colour(peers: list[str], peer: str) -> str:
    return COLOURS.get(peer) or FALLBACK_COLOURS[peers.index(peer) % len(FALLBACK_COLOURS)]


def _grouped(axes, peers, groups: list[str], values: list[dict[str, float]], unit: str, title: str) -> None:
    """Bars per group (an operation, a measure), one per peer, each labelled with its value."""
    width = 0.8 / len(peers)
    for index, peer in enumerate(peers):
        xs = [group + (index - (len(peers) - 1) / 2) * width for group in range(len(groups))]
        heights = [row.get(peer, 0.0) for row in values]
        bars = axes.bar(xs, heights, width, label=peer, color=_colour(peers, peer),
                        edgecolor="black" if peer == "mock" else "none", linewidth=0.8)
        axes.bar_label(bars, labels=[_short(h) if h else "" for h in heights], fontsize=6.5, padding=1,
                       rotation=90)
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylabel(unit)
    axes.set_title(title, fontsize=10)
    axes.margins(y=0.18)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)


def _short(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _per_operation(axes_pair, peers, rows, measure: str, unit: str, what: str) -> None:
    for axes, connections in zip(axes_pair, CONNECTIONS, strict=True):
        values = [_row(rows, rf"{re.escape(op)} c={connections}: {re.escape(measure)}") for op in OPERATIONS]
        _grouped(axes, peers, list(OPERATIONS), values, unit, f"{what}, {connections} connection"
                 f"{'s' if connections > 1 else ''}")


def draw(results_md: Path = RESULTS_MD, out_dir: Path | None = None) -> list[Path]:
    """Draw every chart of FILES from `results_md`; the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    peers, rows = parse_summary(results_md.read_text(encoding="utf-8"))
    out = out_dir or results_md.parent / CHARTS
    out.mkdir(parents=True, exist_ok=True)
    memory = [_row(rows, r"idle RSS, MB"), _row(rows, r"peak RSS under load, MB")]
    cold = [_row(rows, r"cold start, s.*")]
    figures = {}

    figure, axes = pyplot.subplots(1, 2, figsize=(12, 4.2))
    _per_operation(axes, peers, rows, "req/s", "requests/s (median)", "Throughput")
    figures["throughput"] = figure

    figure, axes = pyplot.subplots(1, 2, figsize=(12, 4.2))
    _per_operation(axes, peers, rows, "p99 ms", "p99 latency, ms", "p99 latency")
    figures["p99"] = figure

    figure, axes = pyplot.subplots(figsize=(6.5, 4.2))
    _grouped(axes, peers, ["idle", "peak under load"], memory, "RSS, MB", "Memory (resident set)")
    figures["memory"] = figure

    figure, axes = pyplot.subplots(figsize=(6.5, 4.2))
    _grouped(axes, peers, ["launch → first list answer"], cold, "seconds (median)", "Cold start")
    figures["cold_start"] = figure

    figure, grid = pyplot.subplots(2, 2, figsize=(12, 8.4))
    values = [_row(rows, rf"{re.escape(op)} c=16: req/s") for op in OPERATIONS]
    _grouped(grid[0][0], peers, list(OPERATIONS), values, "requests/s (median)",
             "Throughput, 16 connections (higher is better)")
    values = [_row(rows, rf"{re.escape(op)} c=16: p99 ms") for op in OPERATIONS]
    _grouped(grid[0][1], peers, list(OPERATIONS), values, "p99 latency, ms",
             "p99 latency, 16 connections (lower is better)")
    _grouped(grid[1][0], peers, ["idle", "peak under load"], memory, "RSS, MB", "Memory (lower is better)")
    _grouped(grid[1][1], peers, ["launch → first list answer"], cold, "seconds (median)",
             "Cold start (lower is better)")
    figures["summary"] = figure

    written = []
    for name, figure in figures.items():
        handles, labels = figure.axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="upper center", ncol=len(peers), frameon=False, fontsize=9)
        figure.tight_layout(rect=(0, 0, 1, 0.93 if name != "summary" else 0.96))
        path = out / f"{name}.png"
        figure.savefig(path, dpi=110)
        pyplot.close(figure)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in draw(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_MD):
        print(f"written {written_path}")
