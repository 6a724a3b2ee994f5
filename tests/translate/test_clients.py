"""The LibreTranslate and DeepL clients against local fakes speaking their documented
shapes: batches, auth, every error a kind the bot can wait out, bounded requests, and the
key in no log line and no error message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.translate.base import MAX_TEXT_CHARS, TranslateError, cut_text
from bot.translate.deepl import DeepL, deepl_url, target_code
from bot.translate.libre import LibreTranslate
from tests.fakes.deepl import FakeDeepL
from tests.fakes.libretranslate import FakeLibreTranslate
from tests.translate.conftest import DEEPL_KEY, LIBRE_KEY

pytestmark = pytest.mark.network

HEADLINE = "북한, 쿠르스크 전선에 병력 추가 파견"
QUOTE = "우리는 끝까지 함께 싸울 것이다"


def run(make: Callable[[], Any], call: Callable[[Any], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = make()
        try:
            return await call(client)
        finally:
            await client.close()

    return asyncio.run(go())


def test_libretranslate_sends_one_batch_and_keeps_the_order(fake_libre: FakeLibreTranslate) -> None:
    fake_libre.dictionary = {HEADLINE: "North Korea sends more troops to the Kursk front",
                             QUOTE: "We will fight together to the end"}
    out = run(lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY),
              lambda c: c.translate([HEADLINE, QUOTE], "ko", "en"))
    assert out == ["North Korea sends more troops to the Kursk front", "We will fight together to the end"]
    (call,) = fake_libre.translate_calls()
    assert call.body == {"q": [HEADLINE, QUOTE], "source": "ko", "target": "en", "format": "text",
                         "api_key": LIBRE_KEY}


def test_libretranslate_lists_its_languages(fake_libre: FakeLibreTranslate) -> None:
    langs = run(lambda: LibreTranslate(fake_libre.url), lambda c: c.languages())
    assert {"en", "ko", "ru", "uk"} <= langs


def test_deepl_speaks_its_dialect(fake_deepl: FakeDeepL) -> None:
    fake_deepl.dictionary = {HEADLINE: "North Korea sends more troops to the Kursk front"}
    out = run(lambda: DeepL(DEEPL_KEY, url=fake_deepl.url), lambda c: c.translate([HEADLINE], "ko", "en"))
    assert out == ["North Korea sends more troops to the Kursk front"]
    (call,) = fake_deepl.translate_calls()
    assert call.body == {"text": [HEADLINE], "source_lang": "KO", "target_lang": "EN-US"}
    assert call.headers["Authorization"] == f"DeepL-Auth-Key {DEEPL_KEY}"
    assert run(lambda: DeepL(DEEPL_KEY, url=fake_deepl.url), lambda c: c.languages()) >= {"en-us", "fr"}


def test_deepl_picks_free_or_pro_by_the_key_and_names_targets_its_way() -> None:
    assert deepl_url("abc:fx") == "https://api-free.deepl.com"
    assert deepl_url("abc") == "https://api.deepl.com"
    assert [target_code(c) for c in ("en", "en-gb", "pt-br", "pt", "fr")] == [
        "EN-US", "EN-GB", "PT-BR", "PT-PT", "FR"]


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("down", "down"), ("quota", "quota"), ("refused", "refused"), ("garbage", "garbage")],
)
def test_every_failure_has_a_kind(
    mode: str, kind: str, fake_libre: FakeLibreTranslate, fake_deepl: FakeDeepL
) -> None:
    fake_libre.mode = fake_deepl.mode = mode
    for make in (lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY),
                 lambda: DeepL(DEEPL_KEY, url=fake_deepl.url)):
        with pytest.raises(TranslateError) as caught:
            run(make, lambda c: c.translate([HEADLINE, QUOTE], "ko", "en"))
        assert caught.value.kind == kind, caught.value


def test_deepl_quota_is_456_and_a_wrong_key_is_refused(fake_deepl: FakeDeepL) -> None:
    with pytest.raises(TranslateError) as caught:
        run(lambda: DeepL("wrong-key:fx", url=fake_deepl.url), lambda c: c.translate([QUOTE], "ko", "en"))
    assert caught.value.kind == "refused" and "403" in str(caught.value)
    fake_deepl.mode = "quota"
    with pytest.raises(TranslateError) as caught:
        run(lambda: DeepL(DEEPL_KEY, url=fake_deepl.url), lambda c: c.translate([QUOTE], "ko", "en"))
    assert caught.value.kind == "quota" and "456" in str(caught.value)


def test_unreachable_and_slow_translators(closed_port: int, fake_libre: FakeLibreTranslate) -> None:
    with pytest.raises(TranslateError) as caught:
        run(lambda: LibreTranslate(f"http://127.0.0.1:{closed_port}"), lambda c: c.translate([QUOTE], "ko", "en"))
    assert caught.value.kind == "down"
    fake_libre.hang()
    with pytest.raises(TranslateError) as caught:
        run(lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY, timeout=0.3),
            lambda c: c.translate([QUOTE], "ko", "en"))
    assert caught.value.kind == "slow"


def test_a_10000_character_headline_is_cut_before_it_is_sent(fake_libre: FakeLibreTranslate) -> None:
    sentence = "북한군이 쿠르스크 지역에서 새로운 진지를 구축했다고 당국자가 밝혔다. "
    headline = sentence * (10_000 // len(sentence) + 1)
    assert len(headline) > 10_000
    out = run(lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY),
              lambda c: c.translate([headline], "ko", "en"))
    (call,) = fake_libre.translate_calls()
    sent = call.body["q"][0]
    assert len(sent) <= MAX_TEXT_CHARS
    assert sent.endswith("밝혔다. …")  # cut after a sentence, and says so
    assert out == [f"[en] {sent}"]
    assert cut_text("short") == "short"


def test_the_key_is_in_no_log_line_and_no_error(
    fake_libre: FakeLibreTranslate, fake_deepl: FakeDeepL, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A hostile or buggy server that echoes the request back in its error.
    fake_deepl.mode = fake_libre.mode = "ok"
    errors: list[str] = []
    for make, fake in ((lambda: DeepL(DEEPL_KEY, url=fake_deepl.url), fake_deepl),
                       (lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY), fake_libre)):
        for mode in ("down", "quota", "refused", "garbage"):
            fake.mode = mode
            try:
                run(make, lambda c: c.translate([QUOTE], "ko", "en"))
            except TranslateError as exc:
                errors.append(str(exc))
                errors.append(repr(exc))
    assert len(errors) == 16
    for secret in (DEEPL_KEY, LIBRE_KEY, "secretsecret"):
        assert not any(secret in e for e in errors)
        assert secret not in caplog.text


def test_an_echoed_key_is_scrubbed_from_the_error(fake_libre: FakeLibreTranslate) -> None:
    fake_libre.api_key = "another key"  # every request refused, the error echoing the key

    original = fake_libre._error

    def echo(status: int, message: str) -> Any:
        return original(status, f"{message}: {LIBRE_KEY}")

    fake_libre._error = echo  # type: ignore[method-assign]
    with pytest.raises(TranslateError) as caught:
        run(lambda: LibreTranslate(fake_libre.url, api_key=LIBRE_KEY), lambda c: c.translate([QUOTE], "ko", "en"))
    assert LIBRE_KEY not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "believed"),
    [("30", 30.0), ("1e12", 3600.0), ("-5", 0.0), ("inf", None), ("nan", None),
     ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
)
def test_a_translators_retry_after_is_believed_up_to_an_hour(header: str, believed: float | None) -> None:
    """A translator is someone else's server: ``Retry-After: 1e12`` (or ``inf``) must not
    keep the bot from asking it again until the end of time."""
    from aiohttp import web

    from bot.translate.http import JsonClient

    async def busy(request: web.Request) -> web.Response:
        return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": header})

    async def go() -> TranslateError:
        app = web.Application()
        app.router.add_post("/translate", busy)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        client = JsonClient("LibreTranslate", 10)
        try:
            with pytest.raises(TranslateError) as failed:
                await client.call("POST", f"http://127.0.0.1:{runner.addresses[0][1]}/translate", body={})
            return failed.value
        finally:
            await client.close()
            await runner.cleanup()

    error = asyncio.run(go())
    assert error.kind == "quota" and error.retry_after == believed


def test_the_service_waits_at_most_an_hour_whatever_a_backend_says(caplog: pytest.LogCaptureFixture) -> None:
    from bot.models import Alert
    from bot.translate.service import TranslationService

    class Busy:
        name = "Busy"

        async def translate(self, texts: Any, source: str, target: str) -> list[str]:
            raise TranslateError("quota", "Busy answered 429", retry_after=1e12)

        async def languages(self) -> set[str]:
            return {"en"}

        async def close(self) -> None:
            return None

    class NoCache:
        def cached(self, keys: Any, source: str, target: str) -> dict[str, str]:
            return {}

        def remember(self, *args: Any) -> None:
            return None

    alert = Alert("a1", HEADLINE, "연합뉴스", "ko", (), ())
    service = TranslationService(Busy(), NoCache(), deadline=5)
    with caplog.at_level(logging.WARNING, logger="bot.translate.service"):
        translation = asyncio.run(service.translate(alert, "en"))
    assert translation.pending
    assert "asked again every 3600 s" in caplog.text


def test_an_answer_in_several_packets_is_read_whole() -> None:
    """``read(n)`` gives what has arrived so far: a 30 KB translation that came in two
    packets was read as its first, and so as garbage (the translator then counted as
    down). Here the second packet arrives only once the first has been read."""
    from unittest import mock

    from aiohttp import StreamReader

    from bot.translate.http import read_at_most

    async def go() -> tuple[bytes, bytes]:
        answer = b'{"translatedText": ["' + b"x" * 30_000 + b'"]}'
        stream = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
        stream.feed_data(answer[:5_000])
        reading = asyncio.create_task(read_at_most(stream, 256 * 1024))
        await asyncio.sleep(0)  # the reader takes what has arrived (a yield, no wait)
        stream.feed_data(answer[5_000:])
        stream.feed_eof()
        whole = await reading
        big = StreamReader(mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop())
        big.feed_data(b"y" * 1000)
        big.feed_eof()
        return whole, await read_at_most(big, 100)

    whole, capped = asyncio.run(go())
    assert whole == b'{"translatedText": ["' + b"x" * 30_000 + b'"]}'
    assert capped == b"y" * 101  # one byte more than the limit: too large, and no more read
