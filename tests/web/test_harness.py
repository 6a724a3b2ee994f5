"""The browser harness itself: without Chromium a browser test skips, saying how to install
it, except in CI, where it fails (as a PostgreSQL test does without its server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web import browser


def test_no_chromium_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not installed.*apt-get install"):
        browser.start_chromium(monkeypatch)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true needs it"):
        browser.start_chromium(monkeypatch)
