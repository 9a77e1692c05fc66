"""The browser fixtures see what they claim to: a failed request and a console error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.http


def test_browser_problems_names_a_4xx_and_a_console_error(calendar_mock, browser, browser_problems,
                                                          screenshot):
    browser.get(calendar_mock.url("/_mock/no-such-page"))
    browser.execute_script("console.error('planted')")
    problems = browser_problems()
    assert f"404 for {calendar_mock.url('/_mock/no-such-page')}" in problems
    assert any("console SEVERE" in problem and "planted" in problem for problem in problems), problems
    # each problem is told once (a late one may still come: Chromium asks for /favicon.ico
    # whenever it likes, and the 404 page names none)
    assert not set(browser_problems()) & set(problems)
    assert screenshot("page").read_bytes().startswith(b"\x89PNG")
