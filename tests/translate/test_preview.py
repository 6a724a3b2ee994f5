"""``newsbot preview --slack|--discord FILE --translate-to en``: the payload a channel
reading English would get, translated by the configured translator (the local fake)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.chat import wording
from tests.chat.conftest import ROOT
from tests.clirun import newsbot
from tests.fakes.libretranslate import FakeLibreTranslate

pytestmark = pytest.mark.network

DOC = ROOT / "tests" / "data" / "kursk_ko.md"
HEADLINE = "북한군, 쿠르스크 전선에 병력 추가 파견"
ENGLISH = "North Korean troops: more soldiers sent to the Kursk front"


def config(tmp_path: Path, url: str | None) -> Path:
    path = tmp_path / "config" / "newsbot.yaml"
    path.parent.mkdir(parents=True)
    settings: dict[str, object] = {"watchlist": str(ROOT / "config" / "watchlist.yaml")}
    if url is not None:
        settings["translate"] = {"backend": "libretranslate", "url": url, "to": "en"}
    path.write_text(yaml.safe_dump(settings))
    return path


@pytest.mark.parametrize("platform", ["--slack", "--discord"])
def test_preview_translates_with_the_configured_translator(tmp_path: Path, platform: str) -> None:
    with FakeLibreTranslate() as fake:
        fake.dictionary[HEADLINE] = ENGLISH
        ran = newsbot("preview", platform, str(DOC), "--translate-to", "en",
                      "--config", str(config(tmp_path, fake.url)))
        assert ran.returncode == 0, ran.stderr
        payload = json.loads(ran.stdout)
        shown = json.dumps(payload, ensure_ascii=False)
        assert HEADLINE in shown  # the original stays
        if hasattr(wording, "shown_translation"):  # the renderers of issue 17 are merged
            assert ENGLISH in shown
        (call,) = fake.translate_calls()
        assert call.body["source"] == "ko" and call.body["target"] == "en"
        assert HEADLINE in call.body["q"]


def test_preview_says_what_is_missing(tmp_path: Path, closed_port: int) -> None:
    ran = newsbot("preview", "--slack", str(DOC), "--translate-to", "en",
                  "--config", str(config(tmp_path, None)))
    assert ran.returncode == 2 and "needs a translator" in ran.stderr
    ran = newsbot("preview", "--slack", str(DOC), "--translate-to", "klingon",
                  "--config", str(config(tmp_path / "x", f"http://127.0.0.1:{closed_port}")))
    assert ran.returncode == 2 and "'klingon' is not a language code" in ran.stderr
    ran = newsbot("preview", "--slack", str(DOC), "--translate-to", "en",
                  "--config", str(config(tmp_path / "y", f"http://127.0.0.1:{closed_port}")))
    assert ran.returncode == 1 and "the translator failed (down)" in ran.stderr
