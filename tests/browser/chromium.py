"""Headless Chromium from the distribution's packages (`chromium`, `chromium-driver`), driven
by selenium through /usr/bin/chromedriver, named explicitly so selenium never downloads a
driver: the one place its paths and flags are (conftest.py, screenshots.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
PACKAGES = "chromium chromium-driver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")


def missing() -> str | None:
    """Why Chromium cannot start here, in one line; None when it can."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if absent:
        return f"no {' or '.join(absent)}: apt-get install {PACKAGES} (make test does, as root)"
    return None


def start(profile: Path, width: int = 1280, height: int = 900) -> Any:
    """A new headless Chromium with its profile in `profile`, logging every network event and
    console message (`driver.get_log("performance")`, `driver.get_log("browser")`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
