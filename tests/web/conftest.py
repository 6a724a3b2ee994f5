"""The web console under test: a bot's console on 127.0.0.1, port 0, over a temp SQLite
store, on an event loop of its own; an aiohttp client logged in with the start-up token;
a headless Chromium (``tests/web/browser.py``)."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from tests.botproc import scrub_environ
from tests.web.browser import start_chromium  # reads NEWSBOT_TEST_CHROMIUM* before any scrub

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_b5e3709a28e5c677.txt"
HOSTILE_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
"""A feed name no page may let run: every page escapes it."""
FEEDS = [
    {"url": "http://127.0.0.1:9/wire.xml", "name": "Wire Example"},
    {"url": "http://127.0.0.1:9/hostile.xml", "name": HOSTILE_TITLE},
]
T = TypeVar("T")


class Console:
    """A running console: ``url``, the start-up ``token``, the ``bot`` whose parts its pages
    read. ``call(coro)`` runs a coroutine on the console's loop."""

    def __init__(
        self, home: Path, env: dict[str, str], settings: dict[str, Any], warm: bool = False
    ) -> None:
        from bot.runtime.bot import NewsBot
        from bot.settings.model import load_settings

        (home / "config").mkdir(parents=True)
        (home / "data").mkdir()
        (home / "seeds").mkdir()
        shutil.copy(ROOT / "config" / "watchlist.yaml", home / "config" / "watchlist.yaml")
        config = home / "config" / "newsbot.yaml"
        values = {
            "watchlist": "config/watchlist.yaml",
            "seeds": ["seeds"],
            "feeds": FEEDS,
            "routes": [
                {"platform": "console", "channel": "terminal", "items": ["all"]},
                {"platform": "slack", "channel": "C0KURSK", "items": ["kursk"]},
            ],
            "ops": {"enabled": False},
            "console": {"listen_host": "127.0.0.1", "listen_port": 0},
            **settings,
        }
        config.write_text(yaml.safe_dump(values, allow_unicode=True))
        loaded = load_settings(config, env={"NEWSBOT_DATABASE_URL": f"sqlite:///{home}/data/newsbot.db"})
        self.bot = NewsBot(loaded, {}, config_path=config)
        self.announced: list[str] = []
        # No background warm-up unless asked: every test's console would load spaCy's
        # languages for its own watchlist (test_warmup.py tests it).
        self.server = self.bot.web_console.server(env=env, warm=warm)
        self.server.announce = self.announced.append
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self.call(self.server.start())
        self.url = f"http://127.0.0.1:{self.port}" if self.port else ""
        self.token = self.server.auth.token

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        self.bot.store.close()


@pytest.fixture
def start_console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Console]]:
    """``start_console(env={...}, warm=False, **settings)``; every console is stopped at
    the end."""
    scrub_environ(monkeypatch)
    consoles: list[Console] = []

    def start(env: dict[str, str] | None = None, warm: bool = False, **settings: Any) -> Console:
        console = Console(tmp_path / f"home{len(consoles)}", env or {}, settings, warm)
        consoles.append(console)
        return console

    yield start
    for console in consoles:
        console.close()


@pytest.fixture
def console(start_console: Callable[..., Console]) -> Console:
    return start_console()


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    driver = start_chromium(monkeypatch)
    try:
        yield driver
    finally:
        driver.quit()


class Client:
    """An aiohttp client session against a console, keeping its cookies (IP-address
    cookies included, which aiohttp's default jar refuses)."""

    def __init__(self, console: Console) -> None:
        import aiohttp

        self.console = console
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), base_url=console.url
        )

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def login(self) -> None:
        """With the start-up token, the way the printed link does."""
        async with self.session.get(f"/?token={self.console.token}") as resp:
            assert resp.status == 200, await resp.text()

    async def page(self, path: str) -> tuple[int, str]:
        async with self.session.get(path) as resp:
            return resp.status, await resp.text()

    async def post(self, path: str, data: dict[str, str], *, csrf_from: str | None = None) -> Any:
        """POST a form; ``csrf_from``: a page whose form token to send along."""
        if csrf_from is not None:
            _, html = await self.page(csrf_from)
            data = {**data, "csrf": csrf_of(html)}
        async with self.session.post(path, data=data, allow_redirects=False) as resp:
            await resp.read()
            return resp

    async def submit(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        """POST a form with the token of the page at ``path``; the answer's status and text."""
        resp = await self.post(path, data, csrf_from=path)
        return resp.status, await resp.text()
