"""Stopping the translation service ends everything it started: the requests under way
and the admin notices still being sent leave no task pending behind the stop."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.models import Alert
from bot.translate.base import TranslateError
from bot.translate.service import TranslationService

ALERT = Alert("a1", "북한, 쿠르스크 전선에 병력 추가 파견", "연합뉴스", "ko", (), ())


class NoCache:
    def cached(self, keys: Any, source: str, target: str) -> dict[str, str]:
        return {}

    def remember(self, *args: Any) -> None:
        return None


class Translator:
    """Down (every request refused) or hung (every request waits until cancelled)."""

    name = "Fake"

    def __init__(self, *, down: bool) -> None:
        self.down = down
        self.closed = False

    async def translate(self, texts: Any, source: str, target: str) -> list[str]:
        if self.down:
            raise TranslateError("down", "connection refused")
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def languages(self) -> set[str]:
        return {"en", "ko"}

    async def close(self) -> None:
        self.closed = True


def others() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


def test_close_ends_an_admin_notice_still_being_sent() -> None:
    async def scenario() -> None:
        sending = asyncio.Event()

        async def notify(text: str) -> None:  # a slow admin channel
            sending.set()
            await asyncio.Event().wait()

        translator = Translator(down=True)
        service = TranslationService(translator, NoCache(), deadline=5, notify=notify)
        translation = await service.translate(ALERT, "en")
        assert translation.pending and service.down
        await asyncio.wait_for(sending.wait(), 30)
        await service.close()
        assert others() == set() and translator.closed

    asyncio.run(scenario())


def test_close_ends_a_request_under_way() -> None:
    async def scenario() -> None:
        service = TranslationService(Translator(down=False), NoCache(), deadline=5)
        translation = await service.translate(ALERT, "en", wait=0)
        assert translation.pending and others()
        await service.close()
        assert others() == set()

    asyncio.run(scenario())
