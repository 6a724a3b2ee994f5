"""The fake translators, started for one test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.deepl import FakeDeepL
from tests.fakes.libretranslate import FakeLibreTranslate

DEEPL_KEY = "5c1d9a77-3f0e-4b2a-9d41-secretsecret:fx"
LIBRE_KEY = "lt-7f3e9c-secretsecret"


@pytest.fixture
def fake_libre() -> Iterator[FakeLibreTranslate]:
    with FakeLibreTranslate(api_key=LIBRE_KEY) as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def fake_deepl() -> Iterator[FakeDeepL]:
    with FakeDeepL(api_key=DEEPL_KEY) as fake:
        yield fake  # type: ignore[misc]
