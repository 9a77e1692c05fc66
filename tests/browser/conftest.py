"""Browser fixtures: headless Chromium from the distribution's packages (`chromium`,
`chromium-driver`), driven by selenium, for tests of the pages the kit serves.

    def test_my_page(browser, wait, browser_problems, screenshot, calendar_mock):
        browser.get(calendar_mock.url("/_mock/"))
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#journal tbody tr"))
        screenshot("dashboard")           # tmp_path/dashboard.png
        assert browser_problems() == []   # no failed request, no console error

`browser` is a fresh WebDriver per test (its own profile under tmp_path), logging every
network event and console message (chromium.py: the driver is /usr/bin/chromedriver, named
explicitly, so selenium never downloads one). Without chromium or chromedriver (or selenium)
the tests skip with one line saying so - or fail, when REQUIRE_BROWSER=1 (CI sets it), so CI
cannot skip them silently. `make test` installs both where it can (as root, with apt-get).
The mock is the kit's own `calendar_mock` fixture: a real server on 127.0.0.1, reset per test.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import chromium
import pytest

if os.environ.get("REQUIRE_BROWSER") != "1":  # else the test modules' imports fail, loudly
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
WAIT_S = 30  # at most, for a page to show what a test waits for: the machine may be busy


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) with its own profile, closed after the test."""
    why = chromium.missing()
    if why:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {why}", pytrace=False)
        pytest.skip(why)
    driver = chromium.start(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def wait(browser: Any) -> Any:
    """`wait.until(condition)`: a WebDriverWait of WAIT_S seconds at most, which tries again
    when an element it read was replaced meanwhile (a page that updates itself)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))


@pytest.fixture
def browser_problems(browser: Any) -> Callable[[], list[str]]:
    """`browser_problems()`: what went wrong in the browser since the last call - each request
    answered 4xx or 5xx or that failed to load, and each console error - as sentences."""

    def problems() -> list[str]:
        found = []
        urls: dict[str, str] = {}
        for record in browser.get_log("performance"):
            event = json.loads(record["message"])["message"]
            params = event.get("params", {})
            if event["method"] == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
            elif event["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
                found.append(f"{params['response']['status']} for {params['response']['url']}")
            elif event["method"] == "Network.loadingFailed" and not params.get("canceled"):
                found.append(f"{params.get('errorText')} for {urls.get(params['requestId'], '?')}")
        found += [f"console {entry['level']}: {entry['message']}" for entry in browser.get_log("browser")
                  if entry["level"] == "SEVERE"]
        return found

    return problems


@pytest.fixture
def screenshot(browser: Any, tmp_path: Path) -> Callable[[str], Path]:
    """`screenshot(name)`: the browser's viewport as tmp_path/NAME.png, returned (for a failing
    test's evidence; tests/browser/screenshots.py writes the README's)."""

    def take(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        browser.save_screenshot(str(path))
        return path

    return take
