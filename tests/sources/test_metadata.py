"""Language tags and dates as sources write them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.sources.metadata import normalize_language, to_utc


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("fr-FR", "fr"), ("en_us", "en"), ("DE", "de"), ("", None), (None, None), ("x!", None)],
)
def test_normalize_language(tag: object, lang: str | None) -> None:
    assert normalize_language(tag) == lang


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-11-05T14:03:00+01:00", datetime(2024, 11, 5, 13, 3, tzinfo=UTC)),
        ("2024-11-05T14:03:00Z", datetime(2024, 11, 5, 14, 3, tzinfo=UTC)),
        ("Tue, 05 Nov 2024 14:03:00 +0100", datetime(2024, 11, 5, 13, 3, tzinfo=UTC)),
        (date(2024, 11, 5), datetime(2024, 11, 5, tzinfo=UTC)),
        (datetime(2024, 11, 5, 14, 3), datetime(2024, 11, 5, 14, 3, tzinfo=UTC)),
        ("hier soir", None),
        (None, None),
        (42, None),
    ],
)
def test_to_utc(value: object, expected: datetime | None) -> None:
    assert to_utc(value) == expected
