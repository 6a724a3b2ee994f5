"""The Watchlist page in a real browser (headless Chromium): a broken line is flagged where
it is as you type, a backtest shows a stored article the edit would alert, and Save is
picked up by the running bot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backtest.stored import BELGOROD_ITEM, BELGOROD_TITLE
from tests.web.conftest import Console
from tests.web.test_browser import wait_for
from tests.web.test_watchlist import store_week

pytestmark = [pytest.mark.network, pytest.mark.browser, pytest.mark.slow]



def type_at_end(driver: Any, text: str) -> None:
    """Type ``text`` at the end of the editor, as an admin would."""
    from selenium.webdriver.common.keys import Keys

    box = wait_for(driver, "textarea#yaml")
    box.click()
    box.send_keys(Keys.CONTROL, Keys.END)
    box.send_keys(text)


def test_a_broken_line_is_flagged_beside_it_as_you_type(console: Console, browser: Any) -> None:
    lines = console.bot.live.watchlist_path.read_text(encoding="utf-8").count("\n")
    browser.get(f"{console.url}/watchlist?token={console.token}")
    wait_for(browser, "#check", "Checked as you type")
    type_at_end(browser, "  - id: Belgorod Oblast\n    name: Belgorod\n")
    line = lines + 1  # the new item's first line
    note = wait_for(browser, f"#line-notes .line-error[data-line='{line}']", "lowercase")
    assert "id must be lowercase" in note.text
    assert "bad" in wait_for(browser, f"#gutter div:nth-child({line})").get_attribute("class")
    assert "problem" in wait_for(browser, "#check").text
    # Fixed, the flag goes.
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element("css selector", "textarea#yaml")
    for _ in range(len("  - id: Belgorod Oblast\n    name: Belgorod\n")):
        box.send_keys(Keys.BACKSPACE)
    wait_for(browser, "#check", "Valid: 5 items")
    assert browser.find_elements("css selector", "#line-notes .line-error") == []


def test_save_an_edit_and_see_the_bot_reload_it(console: Console, browser: Any) -> None:
    browser.get(f"{console.url}/watchlist?token={console.token}")
    wait_for(browser, "#check", "Checked as you type")
    type_at_end(browser, BELGOROD_ITEM)
    wait_for(browser, "#check", "Valid: 6 items")
    browser.find_element("css selector", "#save").click()
    wait_for(browser, "#notice", "added belgorod (Belgorod)")
    row = wait_for(browser, "tr[data-item='belgorod']")
    assert "Belgorod" in row.text
    assert console.bot.live.watchlist.get("belgorod") is not None


def test_a_backtest_shows_the_stored_article_the_edit_gains(console: Console, browser: Any) -> None:
    store_week(console)
    browser.get(f"{console.url}/watchlist?token={console.token}")
    wait_for(browser, "#check", "Checked as you type")
    type_at_end(browser, BELGOROD_ITEM)
    wait_for(browser, "#check", "Valid: 6 items")
    browser.find_element("css selector", "#backtest").click()
    summary = wait_for(browser, "#backtest-summary", "Would have alerted 1 more and 0 fewer")
    assert "of the 3 articles" in summary.text
    assert wait_for(browser, "#backtest-status").text == "Done."
    row = wait_for(browser, "#gained tbody tr")
    assert row.find_element("css selector", ".title").text == BELGOROD_TITLE
    assert "Wire Example" in row.text
    assert "Belgorod: Belgorod (score 5 ≥ 1, in the title)" in row.text
    assert "added belgorod (Belgorod)" in wait_for(browser, "#backtest-changes").text
    assert browser.find_elements("css selector", "#lost tbody tr") == []
    assert console.bot.live.watchlist.get("belgorod") is None  # nothing saved
