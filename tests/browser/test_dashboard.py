"""GET /_mock/ in a real browser: the journal and the summary follow the mock without a reload,
show what a client sent as text (never as markup), and the buttons act on the mock."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = pytest.mark.http
HOSTILE_PATH = "/api/v1/groups/4/<img src=x onerror=window.pwned=1>"


def journal_rows(browser) -> list[list[str]]:
    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#journal tbody tr")]


def calendars_of_group_4(browser) -> str:
    cells = browser.find_elements(By.CSS_SELECTOR, "#summary tr[data-group='4'] .calendars")
    return cells[0].text if cells else ""


def call(mock, method: str, path: str, **options) -> requests.Response:
    params = {"apikey": mock.apikey, **options.pop("params", {})}
    return requests.request(method, mock.url(path), params=params, auth=mock.auth, timeout=10, **options)


def test_the_journal_and_the_counts_follow_requests_made_after_the_page_opened(
        calendar_mock, browser, wait, browser_problems, screenshot):
    browser.get(calendar_mock.url("/_mock/"))
    wait.until(lambda _: calendars_of_group_4(browser) == "8")
    assert journal_rows(browser) == []
    browser.execute_script("window.notReloaded = true")
    fault = calendar_mock.inject("error", method="GET", path="/calendars/2$", times=1)

    assert call(calendar_mock, "POST", "/api/v1/groups/4/calendars",
                json={"calendar": {"group_id": 4, "name": "Agenda du test"}}).status_code == 201
    wrong_key = {"apikey": "wrong"}
    assert call(calendar_mock, "GET", "/api/v1/groups/4/calendars/1", params=wrong_key).status_code == 401
    assert call(calendar_mock, "GET", "/api/v1/groups/4/calendars/2").status_code == 500
    call(calendar_mock, "GET", HOSTILE_PATH)

    wait.until(lambda _: len(journal_rows(browser)) == 4)
    rows = journal_rows(browser)  # newest first: seq, time, method, path, status, refusal, fault, ms
    seqs = [int(row[0]) for row in rows]
    assert seqs == sorted(seqs, reverse=True)
    assert rows[0][3].startswith(HOSTILE_PATH + "?apikey=***")  # as text: the markup stayed text
    assert browser.find_elements(By.CSS_SELECTOR, "#journal img") == []
    assert browser.execute_script("return window.pwned") is None
    assert rows[1][2:5] == ["GET", "/api/v1/groups/4/calendars/2?apikey=***", "500"]
    assert rows[1][6] == f"#{fault['id']} error"  # ids never restart: a stale id removes nothing
    assert rows[2][4:6] == ["401", "apikey is not valid"]
    assert rows[3][2:5] == ["POST", "/api/v1/groups/4/calendars?apikey=***", "201"]
    wait.until(lambda _: calendars_of_group_4(browser) == "9")
    screenshot("dashboard")

    status = Select(browser.find_element(By.NAME, "status"))
    status.select_by_visible_text("2xx")
    wait.until(lambda _: [int(row[0]) for row in journal_rows(browser)] == seqs[3:])
    status.select_by_visible_text("any")
    browser.find_element(By.NAME, "troubled").click()  # refused (401, and 404 for no route) or faulted
    wait.until(lambda _: [int(row[0]) for row in journal_rows(browser)] == seqs[:3])
    assert browser.execute_script("return window.notReloaded") is True
    assert browser_problems() == []


def test_the_buttons_clear_the_faults_and_reset_the_mock(calendar_mock, browser, wait, browser_problems):
    assert call(calendar_mock, "POST", "/api/v1/groups/4/calendars",
                json={"calendar": {"group_id": 4, "name": "Agenda du test"}}).status_code == 201
    calendar_mock.inject("error", method="GET", path="/calendars/1$", times=5)
    browser.get(calendar_mock.url("/_mock/"))
    wait.until(lambda _: len(browser.find_elements(By.CSS_SELECTOR, "#faults tbody tr")) == 1
               and calendars_of_group_4(browser) == "9")

    browser.find_element(By.CSS_SELECTOR, "button[data-path='faults']").click()
    wait.until(lambda _: browser.find_element(By.ID, "faults").text == "none")
    assert requests.get(calendar_mock.url("/_mock/faults"), timeout=10).json() == {"faults": []}

    browser.find_element(By.CSS_SELECTOR, "button[data-path='reset']").click()
    wait.until(lambda _: calendars_of_group_4(browser) == "8" and journal_rows(browser) == [])
    assert len(calendar_mock.state()["calendars"]) == 12
    assert calendar_mock.requests() == []
    assert browser_problems() == []
