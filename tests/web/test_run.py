"""``newsbot run`` as an operator starts it: the console's address and one-time login link
printed, and that link opening the console."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from tests.botproc import BotHome, BotProcess, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.network, pytest.mark.timeout(240)]

LINK = re.compile(r"Web console: (http://127\.0\.0\.1:\d+/)\?token=([\w-]+)  \(the link logs in once\)")


def test_newsbot_run_prints_a_login_link_that_opens_the_console(tmp_path: Path) -> None:
    home = BotHome(tmp_path)
    home.write_config({"seeds": ["seeds"], "feeds": [], "scan_interval": "1h"})
    bot = BotProcess(home, {})
    bot.start()
    try:
        found = wait_until(lambda: LINK.search(bot.log()), 120, "the console's login link", bot)
        bot.wait_running()
        address, token = found.group(1), found.group(2)
        log = bot.log()
        assert log.count(token) == 1  # printed once, and in no log line
        assert f"console: web console on {address}" in log

        async def visit() -> tuple[int, str, int]:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as s:
                async with s.get(f"{address}?token={token}") as resp:
                    first = (resp.status, str(resp.url))
                async with s.get(f"{address}?token={token}") as again:
                    return first[0], first[1], again.status

        status, landed, again = asyncio.run(visit())
        assert status == 200 and landed == f"{address}try"
        assert again == 200  # the link opened again: the session lets it in
    finally:
        assert bot.stop() == 0, bot.tail()
