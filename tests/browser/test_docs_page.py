"""GET /_mock/docs in a real browser: Swagger UI loads from the mock alone, and "Try it out"
calls the mock that serves the page, already authorised with the seed's credentials."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.http
LIST_CALENDARS = "#operations-calendars-listCalendars"
LIVE_STATUS = ".live-responses-table tr.response .response-col_status"
LIVE_BODY = ".live-responses-table .response-col_description pre"


def journal(mock, namespace: str | None) -> list[dict]:
    headers = {"X-Mock-Namespace": namespace} if namespace else {}
    return requests.get(mock.url("/_mock/requests"), headers=headers, timeout=10).json()["requests"]


def test_the_docs_load_every_file_from_the_mock_without_an_error(calendar_mock, browser, wait,
                                                                 browser_problems):
    browser.get(calendar_mock.url("/_mock/docs"))
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, LIST_CALENDARS))
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock")
    assert len(operations) >= 5, [op.text for op in operations]
    assert browser.find_element(By.CSS_SELECTOR, ".info .title").text.startswith("ClicRDV")
    assert browser_problems() == []


@pytest.mark.parametrize("namespace", [None, "browser-docs"])
def test_try_it_out_lists_the_calendars_of_the_mock_serving_the_page(calendar_mock, browser, wait,
                                                                     browser_problems, screenshot, namespace):
    page = "/_mock/docs" + (f"?namespace={namespace}" if namespace else "")
    before = len(journal(calendar_mock, namespace))
    browser.get(calendar_mock.url(page))
    operation = wait.until(lambda driver: driver.find_element(By.CSS_SELECTOR, LIST_CALENDARS))
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0].click()
    group = operation.find_element(By.CSS_SELECTOR, "tr[data-param-name='group_id'] input")
    group.clear()
    group.send_keys("4")
    operation.find_element(By.CSS_SELECTOR, ".execute").click()
    status = wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, LIVE_STATUS))
    body = operation.find_element(By.CSS_SELECTOR, LIVE_BODY).text
    screenshot("try-it-out")
    assert status[0].get_attribute("textContent").strip() == "200", body
    assert '"records"' in body and "Dr Martin" in body
    # the request reached this mock (in the page's namespace), authorised with the demo user
    sent = journal(calendar_mock, namespace)[before:]
    assert [(entry["method"], entry["path"], entry["status"]) for entry in sent] == [
        ("GET", "/api/v1/groups/4/calendars", 200)]
    if namespace:
        assert journal(calendar_mock, None) == []
        requests.delete(calendar_mock.url(f"/_mock/namespaces/{namespace}"), timeout=10)
    assert browser_problems() == []
