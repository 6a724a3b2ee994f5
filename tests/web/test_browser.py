"""The console in a real browser (headless Chromium): log in with the printed link, try
the seed article, pause a feed, and see that a feed's hostile name stays text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import HOSTILE_TITLE, SEED, Console

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.slow]

WAIT = 30.0
"""Longest wait for a page to show what the test expects (it fails the test only)."""


def wait_for(driver: Any, css: str, text: str | None = None) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT)
    if text is None:
        return wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return driver.find_element(By.CSS_SELECTOR, css)


def no_alert_dialog(driver: Any) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        driver.switch_to.alert  # noqa: B018 - raises when no dialog is open
    except NoAlertPresentException:
        return True
    return False


def test_without_login_a_page_shows_the_login_form(console: Console, browser: Any) -> None:
    browser.get(f"{console.url}/feeds")
    form = wait_for(browser, "form.login")
    assert "/login" in browser.current_url and "Wire Example" not in browser.page_source
    assert form.find_element("css selector", "input[name=csrf]").get_attribute("value")


def test_pause_a_feed_and_see_it_paused(console: Console, browser: Any) -> None:
    browser.get(f"{console.url}/feeds?token={console.token}")
    row = wait_for(browser, "tr[data-feed='0'] td.status", "new")
    assert "token=" not in browser.current_url  # the link's token left the address bar
    row.find_element("xpath", "..").find_element("css selector", "button[type=submit]").click()
    wait_for(browser, "#notice", "paused")
    assert wait_for(browser, "tr[data-feed='0'] td.status").text == "paused"
    assert wait_for(browser, "tr[data-feed='0'] button").text == "Resume"
    # The hostile feed name is shown as text, and nothing of it ran.
    name = wait_for(browser, "tr[data-feed='1'] strong")
    assert name.text == HOSTILE_TITLE
    assert no_alert_dialog(browser)
    assert browser.find_elements("css selector", "img[src=x]") == []
    state = console.bot.store.feeds.feed_state("http://127.0.0.1:9/wire.xml")
    assert state is not None and state.paused_at is not None
    # And back.
    browser.find_element("css selector", "tr[data-feed='0'] button").click()
    wait_for(browser, "#notice", "resumed")
    assert wait_for(browser, "tr[data-feed='0'] td.status").text == "new"


def test_try_the_seed_article(console: Console, browser: Any) -> None:
    browser.get(f"{console.url}/?token={console.token}")
    box = wait_for(browser, "textarea#text")  # / is the Try page
    box.send_keys(SEED.read_text(encoding="utf-8"))
    browser.find_element("css selector", "#try-form button[type=submit]").click()
    matches = wait_for(browser, "#matches", "Kursk")
    assert "North Korea" in matches.text and "Arms transfers" in matches.text
    marked = [m.text for m in browser.find_elements("css selector", "#article mark.hit")]
    assert "Koursk" in marked and "Corée du Nord" in marked
    assert "Choe Son Hui" in wait_for(browser, "#quotes").text
    assert "slack · C0KURSK" in wait_for(browser, "#targets").text
    # The Slack rendering shows first; the tabs (static/console.js, allowed by the CSP)
    # switch to Discord's and the terminal's.
    assert wait_for(browser, "#slack-preview").is_displayed()
    browser.find_element("css selector", "[data-pane=pane-discord]").click()
    assert "Choe Son Hui" in wait_for(browser, "#discord-preview").text
    assert not browser.find_element("css selector", "#slack-preview").is_displayed()
    browser.find_element("css selector", "[data-pane=pane-terminal]").click()
    assert "Choe Son Hui" in wait_for(browser, "#terminal").text
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert errors == [], errors  # no script or style refused by the CSP, none failing
