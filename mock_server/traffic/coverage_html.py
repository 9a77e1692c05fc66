"""The coverage report as one self-contained HTML page: a bar per area and per operation,
a chip per item (green: exercised, grey: never), then the gaps in plain sentences. No
script, no external file."""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.6em}
table{border-collapse:collapse}td,th{padding:.25em .6em;text-align:left;vertical-align:top}
.bar{display:inline-block;width:8em;height:.7em;background:#e4e4e4;border-radius:.35em;overflow:hidden;
vertical-align:middle}.bar i{display:block;height:100%;background:#3a9a52}
.chip{display:inline-block;padding:0 .4em;margin:.1em;border-radius:.3em;font-size:.85em;
background:#eee;color:#888}.chip.on{background:#d5efdb;color:#1c5e2c}
.num{font-variant-numeric:tabular-nums;color:#555}ul.never li{margin:.15em 0}
"""


def html(data: dict[str, Any], title: str = "Calendar mock coverage") -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
             f"<p>{data['requests']} API requests; {data['covered']} of {data['total']} things "
             f"exercised {_bar(data['covered'], data['total'])}</p>", "<h2>Areas</h2><table>"]
    for area in data["areas"]:
        parts.append(f"<tr><th>{escape(area['title'])}</th><td>{_bar(area['covered'], area['total'])}</td>"
                     f"<td class='num'>{area['covered']}/{area['total']}</td></tr>")
    parts.append("</table><h2>Operations</h2><table><tr><th>operation</th><th>exercised</th><th>calls</th>"
                 "<th>statuses</th><th>query parameters</th></tr>")
    for op in data["operations"]:
        parts.append(f"<tr><th>{escape(op['operation'])}</th><td>{_bar(op['covered'], op['total'])} "
                     f"<span class='num'>{op['covered']}/{op['total']}</span></td>"
                     f"<td class='num'>{op['calls']}</td>"
                     f"<td>{_counted(op['statuses'])}</td><td>{_counted(op['parameters'])}</td></tr>")
    parts.append("</table>")
    for area in data["areas"]:
        if area["area"] in ("operations", "statuses", "parameters"):
            continue
        chips = " ".join(_chip(_label(row), row["count"]) for row in area["items"])
        parts.append(f"<h2>{escape(area['title'].capitalize())} "
                     f"<span class='num'>{area['covered']}/{area['total']}</span></h2><p>{chips}</p>")
    parts.append("<h2>Never exercised</h2><ul class='never'>")
    parts += [f"<li>{escape(sentence)}</li>" for sentence in data["never"]] or ["<li>nothing</li>"]
    parts.append("</ul></body></html>")
    return "\n".join(parts)


def _bar(covered: int, total: int) -> str:
    share = 100 * covered // total if total else 0
    return f"<span class='bar' title='{covered}/{total}'><i style='width:{share}%'></i></span>"


def _counted(counts: dict[str, int]) -> str:
    covered = sum(1 for count in counts.values() if count)
    chips = " ".join(_chip(key, count) for key, count in counts.items())
    return f"{_bar(covered, len(counts))} {chips}"


def _chip(label: str, count: int) -> str:
    return f"<span class='chip{' on' if count else ''}' title='{count}'>{escape(label)}</span>"


def _label(row: dict[str, Any]) -> str:
    subject, key = row["subject"], row["key"]
    return f"{subject} {key}" if subject else key
