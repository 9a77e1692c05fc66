"""The HTML contract report of a failing run, opened in Chromium: the failure is shown first
with its curl line (secrets masked), the page loads nothing from anywhere, and the filter box
hides what does not match."""

from __future__ import annotations

from planted_faults import CATALOGUE
from selenium.webdriver.common.by import By
from suite_runs import describe, options

from contract_tests.runner import run_suite


def test_the_report_of_a_failing_run_shows_the_failure_and_its_curl_line(
        browser, wait, browser_problems, screenshot, tmp_path):
    page = tmp_path / "report.html"
    result = run_suite(options(CATALOGUE["search_refused"].build(), layers=("semantic",),
                               html_report=str(page)))
    assert not result.passed, describe(result)
    failed_rules = {failure.rule_id for failure in result.failures}

    browser.get(page.as_uri())
    first = wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "div.failure.failed"))[0]
    screenshot("report")
    shown = first.text
    rule = next((rule for rule in failed_rules if rule in shown), None)
    assert rule is not None, shown
    assert "curl " in shown and "/api/v1/groups/" in shown, shown
    assert "demo-password" not in browser.page_source and "demo-apikey" not in browser.page_source
    assert browser_problems() == []

    filter_box = browser.find_element(By.ID, "filter")
    filter_box.send_keys("no-rule-is-called-this")
    wait.until(lambda driver: not first.is_displayed())
    filter_box.clear()
    filter_box.send_keys(rule)
    wait.until(lambda driver: first.is_displayed())
