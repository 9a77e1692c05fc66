"""A run's report as files: JUnit XML for CI, JSON for everything else.

JUnit: one <testsuite> per layer, one <testcase> per rule (semantic/auth) or operation
(schemathesis); then a `rules` testsuite with one <testcase> per rule of the level - a failure
when the rule failed, `skipped` with the reason when the run could not check it - so a CI
dashboard shows at a glance what the run did not look at.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from mock_server.xml_text import make_writable

from . import report_rules
from .model import LAYERS
from .registry import rule_tag
from .report import SuiteResult, rule_says


def write_json(result: SuiteResult, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result.as_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_junit(result: SuiteResult, path: str | Path) -> None:
    table = report_rules.rule_table(result)
    failed = sum(o.status == "failed" for o in result.outcomes)
    root = ET.Element(
        "testsuites",
        name="calendar-contract",
        tests=str(len(result.outcomes) + len(table)),
        failures=str(failed + sum(row.status == report_rules.FAILED for row in table)),
        time=f"{result.seconds:.3f}",
    )
    for layer in LAYERS:
        outcomes = [o for o in result.outcomes if o.layer == layer]
        if not outcomes:
            continue
        suite = ET.SubElement(
            root,
            "testsuite",
            name=layer,
            tests=str(len(outcomes)),
            failures=str(sum(o.status == "failed" for o in outcomes)),
            skipped=str(sum(o.status == "skipped" for o in outcomes)),
            time=f"{sum(o.seconds for o in outcomes):.3f}",
        )
        for outcome in outcomes:
            case = ET.SubElement(
                suite,
                "testcase",
                name=outcome.testcase,
                classname=f"calendar_contract.{layer}",
                time=f"{outcome.seconds:.3f}",
            )
            properties = ET.SubElement(case, "properties")
            for rule_id in sorted(outcome.rules):
                ET.SubElement(properties, "property", name="rule", value=f"{rule_id} ({rule_tag(rule_id)})")
            ET.SubElement(properties, "property", name="checks", value=str(outcome.checks))
            if outcome.status == "skipped":
                ET.SubElement(case, "skipped", message=outcome.reason or "skipped")
            for failure in outcome.failures:
                element = ET.SubElement(
                    case,
                    "failure",
                    type=failure.rule_id,
                    message=f"{failure.rule_id} ({failure.tag}): {failure.message}",
                )
                element.text = failure.describe()
    if result.cut_short:
        _stopped_suite(root, result)
    _rules_suite(root, result, table)
    make_writable(root)  # a deployment's answers are quoted: CI must still read the file
    tree = ET.ElementTree(root)
    ET.indent(tree)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tree.write(target, encoding="utf-8", xml_declaration=True)


def _stopped_suite(root: ET.Element, result: SuiteResult) -> None:
    """A run the server left before its end is an error in CI's eyes, not a pass: one testcase says so."""
    root.set("errors", "1")
    root.set("tests", str(int(root.get("tests", "0")) + 1))
    suite = ET.SubElement(root, "testsuite", name="run", tests="1", failures="0", errors="1", time="0.000")
    case = ET.SubElement(suite, "testcase", name="run stopped", classname="calendar_contract.run",
                         time="0.000")
    ET.SubElement(case, "error", type="run stopped", message=result.stopped).text = (
        "The run stopped before its end, so it gives no verdict: rules it had not reached are "
        "reported not checked. Run it again once the server answers.")


def _rules_suite(root: ET.Element, result: SuiteResult, table: list[report_rules.RuleStatus]) -> None:
    """One testcase per rule of the level (`rules::<id>`): passed, failed, or skipped with why."""
    suite = ET.SubElement(
        root,
        "testsuite",
        name="rules",
        tests=str(len(table)),
        failures=str(sum(row.status == report_rules.FAILED for row in table)),
        skipped=str(sum(row.status == report_rules.NOT_CHECKED for row in table)),
        time="0.000",
    )
    for row in table:
        case = ET.SubElement(suite, "testcase", name=f"rules::{row.rule_id}",
                             classname=f"calendar_contract.rules.{result.level}", time="0.000")
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="tag", value=row.tag)
        ET.SubElement(properties, "property", name="status", value=row.status)
        if row.layers:
            ET.SubElement(properties, "property", name="layers", value=",".join(row.layers))
        if row.reason and row.status == report_rules.CHECKED:
            ET.SubElement(properties, "property", name="partly", value=row.reason)
        if row.status == report_rules.NOT_CHECKED:
            ET.SubElement(case, "skipped", type=row.why, message=f"{row.why}: {row.reason}")
        elif row.status == report_rules.FAILED:
            element = ET.SubElement(case, "failure", type=row.rule_id,
                                    message=f"{row.rule_id} ({row.tag}): {row.failures} failure(s) in "
                                    f"{', '.join(row.layers)}")
            element.text = rule_says(row.rule_id)
