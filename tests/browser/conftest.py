"""Browser fixtures: headless Chromium from the distribution's packages (`chromium`,
`chromium-driver`), driven by selenium, for tests of the pages the kit serves.

    def test_my_page(browser, wait, browser_problems, screenshot, calendar_mock):
        browser.get(calendar_mock.url("/_mock/"))
        wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "#journal tbody tr"))
        screenshot("dashboard")           # tmp_path/dashboard.png
        assert browser_problems() == []   # no failed request, no console error

`browser` is a fresh WebDriver per test (its own profile under tmp_path), logging every
network event and console message. The driver is /usr/bin/chromedriver, named explicitly, so
selenium never downloads one. Without chromium or chromedriver (or selenium) the tests skip
with one line saying so - or fail, when REQUIRE_BROWSER=1 (CI sets it), so CI cannot skip
them silently. `make test` installs both where it can (as root, with apt-get).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
PACKAGES = "chromium chromium-driver"
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,900")
if os.environ.get("REQUIRE_BROWSER") != "1":  # else the test modules' imports fail, loudly
    pytest.importorskip("selenium", reason="selenium is not installed (pip install -e '.[dev]')")
WAIT_S = 30  # at most, for a page to show what a test waits for: the machine may be busy


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (selenium WebDriver) with its own profile, closed after the test."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if absent:
        missing = f"no {' or '.join(absent)}: apt-get install {PACKAGES} (make test does, as root)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {missing}", pytrace=False)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
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
