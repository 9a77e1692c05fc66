"""`make bench` draws its side-by-side results as charts (benchmarks/charts.py), from the very
summary table RESULTS.md prints; RESULTS.md shows them and the README the main one."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# By its path: benchmarks/ on sys.path would shadow other modules (report, tools) for later tests.
_SPEC = importlib.util.spec_from_file_location("bench_charts", ROOT / "benchmarks" / "charts.py")
charts = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(charts)

SMALL = """# Benchmark results

## Summary (medians; ratios are mock ÷ peer)

| measure | mock | prism | other-peer | mock ÷ prism | mock ÷ other-peer |
|---|---|---|---|---|---|
| cold start, s (median of 7) | 0.331 | 1.537 | 0.5 | 0.22× | 0.66× |
| idle RSS, MB | 50.3 | 149.9 | - | 0.34× | - |
| peak RSS under load, MB | 79.0 | 237.3 | 100 | 0.33× | 0.79× |
| filtered list c=16: req/s | 3,028 | 861 | 1,000 | 3.52× | 3.03× |
| filtered list c=16: p99 ms | 9.25 | 46.92 | 20 | 0.20× | 0.46× |

## Targets
"""


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def test_the_summary_table_is_read_as_printed():
    peers, rows = charts.parse_summary(SMALL)
    assert peers == ["mock", "prism", "other-peer"]
    assert rows["filtered list c=16: req/s"] == {"mock": 3028.0, "prism": 861.0, "other-peer": 1000.0}
    assert rows["idle RSS, MB"] == {"mock": 50.3, "prism": 149.9}  # "-": not measured, left out
    with pytest.raises(ValueError):
        charts.parse_summary("# no table here")


def test_the_committed_results_name_every_peer():
    peers, rows = charts.parse_summary((ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))
    assert peers[0] == "mock" and {"prism", "json-server"} <= set(peers)
    for operation in charts.OPERATIONS:
        for connections in charts.CONNECTIONS:
            assert set(rows[f"{operation} c={connections}: req/s"]) == set(peers)


def test_every_chart_is_drawn_from_a_results_file(tmp_path):
    pytest.importorskip("matplotlib")
    results = tmp_path / "RESULTS.md"
    results.write_text(SMALL, encoding="utf-8")
    written = charts.draw(results)
    assert {path.name for path in written} == {f"{name}.png" for name in charts.FILES}
    for path in written:
        assert path.parent == tmp_path / "charts"
        width, height = _png_size(path)
        assert width >= 600 and height >= 400


def test_results_and_readme_show_the_committed_charts():
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    assert charts.markdown() in results
    for name in charts.FILES:
        _png_size(ROOT / "benchmarks" / "charts" / f"{name}.png")
    assert "](benchmarks/charts/summary.png)" in (ROOT / "README.md").read_text(encoding="utf-8")
