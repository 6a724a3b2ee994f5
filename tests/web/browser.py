"""Headless Chromium from the distribution's packages (``chromium``, ``chromium-driver``)
driven by Selenium, for the web console's browser tests.

Where Chromium is not installed the browser tests skip with the reason, and ``make test``
says in one line how many did (``tests/conftest.py``); in CI (``CI=true``) they fail
instead, like the PostgreSQL tests (``tests/pg.py``): ``.ci/run`` installs Chromium. The
browser and the driver are named by path and Selenium Manager is switched off
(``SE_OFFLINE``) and fenced: nothing is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.pg import required

CHROMIUM = Path(os.environ.get("NEWSBOT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("NEWSBOT_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
SKIP_PREFIX = "Chromium not installed"
"""How a skip for want of a browser starts: the conftest counts these."""


def _no_browser(reason: str) -> NoReturn:
    if required():
        pytest.fail(f"{reason}; CI=true needs it (.ci/run installs chromium chromium-driver)",
                    pytrace=False)
    pytest.skip(reason)


def missing() -> str | None:
    """Why no browser test can run here, or None."""
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if absent:
        return (f"{SKIP_PREFIX} ({', '.join(absent)} missing): "
                "apt-get install chromium chromium-driver")
    return None


def start_chromium(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A headless Chromium under Selenium, with nothing fetched from anywhere."""
    reason = missing()
    if reason is not None:
        _no_browser(reason)
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common import selenium_manager

    def no_manager(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("Selenium Manager was asked for a browser or driver: name both")

    monkeypatch.setattr(selenium_manager.SeleniumManager, "binary_paths", no_manager)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1280,1000", "--disable-default-apps", "--no-pings",
        "--disable-client-side-phishing-detection", "--disable-domain-reliability",
        # Names resolve to nothing: the browser, like the tests, reaches 127.0.0.1 only.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    return driver
