"""The console prepares the matcher in the background once it listens: start-up does not
wait for it, pages are served while it runs, a failure is one log line, a stop ends it,
and a console that is off prepares nothing (``newsbot run`` without it is as before)."""

from __future__ import annotations

import asyncio
import logging
import threading

import aiohttp
import pytest

from bot.nlp.matcher.plans import compiled_for
from bot.settings.sections import ConsoleConfig
from bot.web.app import Threads
from bot.web.server import ConsoleServer
from tests.web.conftest import SEED, Client, Console, csrf_of
from tests.web.test_try import try_page

pytestmark = pytest.mark.network

LOCAL = ConsoleConfig(listen_host="127.0.0.1", listen_port=0)


def server(warm: object, config: ConsoleConfig = LOCAL) -> ConsoleServer:
    return ConsoleServer(config, [], {}, Threads(), announce=lambda line: None, warm=warm)  # type: ignore[arg-type]


async def status(url: str, path: str) -> int:
    async with aiohttp.ClientSession() as s, s.get(url + path.lstrip("/")) as resp:
        return resp.status


def test_start_up_and_pages_do_not_wait_for_the_warm_up(caplog: pytest.LogCaptureFixture) -> None:
    release, running = threading.Event(), threading.Event()

    def warm(stop: threading.Event) -> list[str]:
        running.set()
        assert release.wait(30)
        return ["fr"]

    async def scenario() -> None:
        console = server(warm)
        assert await console.start() and console.url and console.warming is not None
        try:
            assert await asyncio.to_thread(running.wait, 30)
            assert await status(console.url, "/login") == 200  # served while it runs
            assert not console.warming.done()
            release.set()
            await asyncio.wait_for(console.warming, 30)
        finally:
            await console.stop()

    with caplog.at_level(logging.INFO, logger="bot.web.server"):
        asyncio.run(scenario())
    assert "console: matcher ready in" in caplog.text and "['fr']" in caplog.text


def test_a_failed_warm_up_is_one_line_and_the_console_serves_on(caplog: pytest.LogCaptureFixture) -> None:
    def warm(stop: threading.Event) -> None:
        raise OSError("no space left for spaCy")

    async def scenario() -> None:
        console = server(warm)
        assert await console.start() and console.url and console.warming is not None
        try:
            await asyncio.wait_for(console.warming, 30)
            assert await status(console.url, "/login") == 200
        finally:
            await console.stop()

    asyncio.run(scenario())
    (line,) = [r for r in caplog.records if r.name == "bot.web.server" and r.levelno == logging.WARNING]
    assert "could not prepare the matcher ahead" in line.getMessage() and "no space left" in line.getMessage()
    assert line.exc_info is None


def test_stopping_the_console_stops_the_warm_up() -> None:
    told: list[bool] = []

    def warm(stop: threading.Event) -> None:
        told.append(stop.wait(30))

    async def scenario() -> None:
        console = server(warm)
        assert await console.start()
        await asyncio.sleep(0)  # the warm-up is under way or about to be
        await asyncio.wait_for(console.stop(), 30)

    asyncio.run(scenario())
    # its thread saw the stop (the pool is closed without waiting: wait for that thread)
    for thread in [t for t in threading.enumerate() if t.name.startswith("newsbot-web")]:
        thread.join(30)
    assert told in ([True], [])  # told to stop, or stopped before it began


def test_a_console_that_is_off_prepares_nothing() -> None:
    called: list[object] = []
    console = server(called.append, ConsoleConfig(enabled=False))
    assert asyncio.run(console.start()) is None
    assert console.warming is None and called == []


@pytest.mark.slow
def test_the_bots_console_prepares_its_watchlists_languages(start_console) -> None:  # type: ignore[no-untyped-def]
    console: Console = start_console(warm=True)
    assert console.server.warming is not None
    console.call(asyncio.wait_for(asyncio.shield(console.server.warming), 120), timeout=130)
    plans = compiled_for(console.bot.live.watchlist).plans
    assert {"en", "fr", "ru"} <= set(plans) and "ko" not in plans
    status_, html = try_page(console, {"text": SEED.read_text(encoding="utf-8")})
    assert status_ == 200 and "Would alert" in html


def test_pages_do_not_queue_behind_the_warm_up_and_a_backtest(
    start_console, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    """Both long jobs at once (each held until released) leave the page threads free."""
    from bot.runtime.console import WebConsole
    from bot.web.pages import watchlist as watchlist_page

    release, warming, backtesting = threading.Event(), threading.Event(), threading.Event()

    def warm(console: object, stop: threading.Event) -> list[str]:
        warming.set()
        assert release.wait(60)
        return []

    def backtest(job: watchlist_page.Job, *args: object) -> None:
        backtesting.set()
        assert release.wait(60)
        job.state = "done"

    monkeypatch.setattr(WebConsole, "_warm_matcher", warm)
    monkeypatch.setattr(watchlist_page, "run_backtest", backtest)
    console: Console = start_console(warm=True)

    async def go() -> None:
        async with Client(console) as c:
            await c.login()
            status_, html = await c.page("/watchlist")
            assert status_ == 200
            text = console.bot.live.watchlist_path.read_text(encoding="utf-8")
            async with c.session.post(
                "/watchlist/backtest", json={"text": text}, headers={"X-CSRF-Token": csrf_of(html)}
            ) as resp:
                assert resp.status == 202, await resp.text()
            assert await asyncio.to_thread(warming.wait, 30)
            assert await asyncio.to_thread(backtesting.wait, 30)
            for path in ("/watchlist", "/alerts"):  # each reads on the page threads
                status_, _ = await asyncio.wait_for(c.page(path), 30)
                assert status_ == 200

    try:
        asyncio.run(go())
    finally:
        release.set()
