"""`--html FILE`: one self-contained page drawn from the JSON report's data - the verdict, a bar
per layer, the failures first with their evidence (secrets masked), every rule with its tag,
a filter box - and everything the server answered escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from planted_faults import CATALOGUE
from suite_runs import describe, options
from werkzeug.wrappers import Response

from contract_tests import cli
from contract_tests.report_html import render
from contract_tests.runner import run_suite
from mock_server import create_app

PAYLOAD = "<script>alert('owned')</script><img src=x onerror=alert(1)>"


class _Page(HTMLParser):
    """What a browser would see: the tags with their attributes, the text, the scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def _parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def _status_rows(page: _Page) -> list[dict[str, str | None]]:
    return [attrs for _, attrs in page.tags if "data-status" in attrs]


def test_a_failed_run_shows_the_failures_first_with_their_evidence_masked(tmp_path):
    html_file, json_file = tmp_path / "run.html", tmp_path / "run.json"
    result = run_suite(options(CATALOGUE["search_refused"].build(), layers=("semantic", "auth"),
                               html_report=str(html_file), json_report=str(json_file)))
    assert not result.passed, describe(result)
    page_text = html_file.read_text(encoding="utf-8")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    page = _parsed(page_text)
    text = " ".join(page.text)
    assert "FAILED" in text and "calendar contract" in text
    # the failures come before the rules table and the units, each with its evidence
    places = [page_text.index(title) for title in ("Failures (", "Rules of the level", "Every unit")]
    assert places == sorted(places)
    for failure in data["failures"]:
        assert failure["rule_id"] in text and failure["expected"] in text
        assert failure["actual"] in text and failure["curl"] in text  # unescaped by the parser
    assert "[Filtered]" in text and "demo-password" not in page_text and "demo-apikey-4f1c2b" not in page_text
    # the same data as the JSON report: one row per rule and per unit, one block per failure
    rows = _status_rows(page)
    assert len(rows) == len(data["rules"]) + len(data["outcomes"]) + len(data["failures"])
    failed_rules = {row["id"] for row in data["rules"] if row["status"] == "failed"}
    assert failed_rules and failed_rules <= {f["rule_id"] for f in data["failures"]}
    assert sum(attrs["data-status"] == "failed" for attrs in rows) == (
        len(failed_rules) + sum(o["status"] == "failed" for o in data["outcomes"]) + len(data["failures"]))
    for row in data["rules"]:
        assert f"{row['id']}" in text and row["tag"] in ("DOC", "INF", "ASM")
    # a bar per layer that ran, and one for the rules, with the counts in words
    bars = [attrs["title"] for tag, attrs in page.tags if tag == "div" and attrs.get("class") == "bar"]
    semantic = [o for o in data["outcomes"] if o["layer"] == "semantic"]
    assert any(title.startswith(f"{sum(o['status'] == 'passed' for o in semantic)} passed, "
                                f"{sum(o['status'] == 'failed' for o in semantic)} failed") for title in bars)
    assert len(bars) == 2 + 2  # semantic, auth, the rules, the failures


def test_the_page_is_self_contained(tmp_path):
    page_text = render(run_suite(options(layers=("auth",))).as_dict())
    page = _parsed(page_text)
    assert page.scripts == 1  # the filter, inline
    for tag, attrs in page.tags:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    assert "url(" not in page_text and "@import" not in page_text
    filter_box = [attrs for tag, attrs in page.tags if tag == "input" and attrs.get("id") == "filter"]
    assert filter_box and "addEventListener('input'" in page_text


def test_what_the_server_answers_is_escaped(tmp_path):
    """A deployment answering HTML (or an attack) in its error body: shown as text, never run."""
    app = create_app()
    served = app.wsgi_app

    def hostile(environ, start_response):
        if "search=" in environ.get("QUERY_STRING", ""):
            return Response(PAYLOAD, status=400, content_type="text/html")(environ, start_response)
        return served(environ, start_response)

    app.wsgi_app = hostile

    html_file = tmp_path / "run.html"
    result = run_suite(options(app, layers=("semantic",), html_report=str(html_file)))
    assert any(PAYLOAD[:20] in failure.actual for failure in result.failures), describe(result)
    page_text = html_file.read_text(encoding="utf-8")
    page = _parsed(page_text)
    assert page.scripts == 1 and not any(tag == "img" for tag, _ in page.tags)
    assert PAYLOAD in " ".join(page.text)  # shown, as text
    assert "<script>alert" not in page_text and "&lt;script&gt;alert" in page_text
    assert not re.search(r"<[^>]*onerror", page_text)


def test_rendering_escapes_every_field():
    data = run_suite(options(layers=("auth",))).as_dict()
    data["target"] = PAYLOAD
    data["notes"] = [PAYLOAD]
    data["outcomes"][0]["name"] = PAYLOAD
    data["outcomes"][0]["reason"] = PAYLOAD
    data["rules"][0]["reason"] = PAYLOAD
    data["failures"] = [{"rule_id": PAYLOAD, "tag": PAYLOAD, "layer": PAYLOAD, "operation": PAYLOAD,
                         "message": PAYLOAD, "expected": PAYLOAD, "actual": PAYLOAD, "curl": PAYLOAD,
                         "occurrences": 2, "key": PAYLOAD, "known": False}]
    page = _parsed(render(data))
    assert page.scripts == 1 and not any(tag == "img" for tag, _ in page.tags)


def test_control_characters_a_deployment_sent_are_shown_escaped():
    """NUL is not allowed in HTML, ESC and BEL mean nothing there, and a right-to-left override
    turns the text after it around ("FAILED" drawn as "DELIAF" or worse): each is shown as its
    escape, as the terminal summary shows it."""
    sent = "before\x00\x1b[2J\x07\u202eDELIAF\u2066after\x85"
    data = run_suite(options(layers=("auth",))).as_dict()
    data["failures"] = [{"rule_id": "auth.basic", "tag": "DOC", "layer": "auth", "operation": "GET",
                         "message": sent, "expected": "", "actual": sent, "curl": "", "occurrences": 1,
                         "key": "k", "known": False}]
    page_text = render(data)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", page_text)
    assert "before\\x00\\x1b[2J\\x07\\u202eDELIAF\\u2066after\\x85" in page_text


def test_cli_writes_the_page(tmp_path, capsys):
    html_file = tmp_path / "out" / "run.html"
    code = cli.main(["run", "--layers", "auth", "--read-only", "--level", "documented",
                     "--html", str(html_file), "--quiet"])
    assert code == 0, capsys.readouterr().out
    page = _parsed(html_file.read_text(encoding="utf-8"))
    assert "PASSED" in " ".join(page.text)
    assert any(attrs.get("data-status") == "skipped" for attrs in _status_rows(page))  # read-only
