"""Screenshots of /_mock/docs and /_mock/ for the README: `make screenshots` (or
`python tests/browser/screenshots.py [DIR]`, default docs/screenshots) serves the demo mock on
127.0.0.1, sends it a few requests - one refused, one faulted - and photographs both pages."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import chromium
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from mock_server import create_app
from mock_server.serve.waitress_server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30


def give_the_journal_something_to_show(base_url: str) -> None:
    api = requests.Session()
    api.auth, api.params = ("pro@demo.test", "demo-password"), {"apikey": "demo-apikey-4f1c2b"}
    calendars = f"{base_url}/api/v1/groups/4/calendars"
    requests.post(f"{base_url}/_mock/faults", timeout=10,
                  json={"action": "error", "status": 503, "path": "/calendars/3$", "times": 2})
    api.get(calendars, timeout=10)
    api.post(calendars, json={"calendar": {"group_id": 4, "name": "Dr Who"}}, timeout=10)
    api.put(f"{calendars}/2", json={"calendar": {"name": "x" * 300}}, timeout=10)
    api.get(f"{calendars}/3", timeout=10)
    api.get(f"{calendars}/1", params={"apikey": "wrong"}, timeout=10)
    api.delete(f"{calendars}/5", timeout=10)


def main(out: Path) -> int:
    why = chromium.missing()
    if why:
        print(why, file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(create_app()) as server, tempfile.TemporaryDirectory() as profile:
        give_the_journal_something_to_show(server.base_url)
        browser = chromium.start(Path(profile), height=820)
        wait = WebDriverWait(browser, WAIT_S)
        try:
            browser.get(f"{server.base_url}/_mock/docs")
            wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock"))
            browser.save_screenshot(str(out / "docs.png"))
            browser.get(f"{server.base_url}/_mock/")
            wait.until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, "#journal tbody tr")) == 6)
            browser.save_screenshot(str(out / "dashboard.png"))
        finally:
            browser.quit()
    for name in ("docs.png", "dashboard.png"):
        print(f"{out / name}: {(out / name).stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
