"""The Alerts page in a real browser (headless Chromium): log in, search, see the seed
alert and where it was posted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Console
from tests.web.test_alerts import SLACK_TS, seed_alerts
from tests.web.test_browser import wait_for

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.slow]


def test_search_koursk_and_see_the_seed_alert(console: Console, browser: Any) -> None:
    seed_alerts(console)
    browser.get(f"{console.url}/alerts?token={console.token}")
    wait_for(browser, "#search")
    box = browser.find_element("css selector", "#search input[name=q]")
    box.send_keys("Koursk")
    browser.find_element("css selector", "#search button[type=submit]").click()
    wait_for(browser, "h2", "Alerts matching “Koursk”")
    wait_for(browser, "#alerts", "La Corée du Nord sera aux côtés de la Russie")
    seed = next(li for li in browser.find_elements("css selector", "#alerts li.hit")
                if "La Corée du Nord" in li.text)
    assert "Koursk" in seed.find_element("css selector", ".snippet").text
    slack = seed.find_element("css selector", "tr[data-channel='slack:C0KURSK']")
    assert "sent" in slack.text
    link = slack.find_element("css selector", "a").get_attribute("href")
    assert link == f"https://acme.slack.com/archives/C0KURSK/p{SLACK_TS.replace('.', '')}"
    assert "Koursk" in browser.find_element("css selector", "#search input[name=q]").get_attribute("value")
