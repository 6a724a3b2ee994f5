"""Sentences and headlines from body text, title lines, sizes and URLs as shown."""

from __future__ import annotations

import pytest

from bot.text import display_url, first_sentence, headline, human_size, split_title_line


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("M. Dupont est arrivé. Il a parlé.", "M. Dupont est arrivé."),
        ("Le 10.000e visiteur (…) est venu. Ensuite.", "Le 10.000e visiteur (…) est venu."),
        ("« Oui ! » dit-il. Puis rien.", "« Oui ! » dit-il."),
        ("U.S. officials met. Talks went on.", "U.S. officials met."),
        ("정부는 발표했다. 국회는 반발했다.", "정부는 발표했다."),
        ("Ende ohne Punkt", "Ende ohne Punkt"),
        ("Первая строка\nвторая.", "Первая строка"),
    ],
)
def test_first_sentence(text: str, sentence: str) -> None:
    assert first_sentence(text) == sentence


def test_headline_cuts_long_sentence_at_a_clause() -> None:
    lead = (
        "Le gouvernement a annoncé un plan de rénovation des ponts de la région, "
        "a indiqué mardi le porte-parole du ministère des Transports lors d'une conférence "
        "de presse organisée à la préfecture."
    )
    assert (
        headline(lead) == "Le gouvernement a annoncé un plan de rénovation des ponts de la région"
    )
    assert headline("Kurzer Satz. Zweiter Satz.") == "Kurzer Satz"
    long_no_clause = "Wort " * 60
    cut = headline(long_no_clause)
    assert cut.endswith("…") and len(cut) <= 121


@pytest.mark.parametrize(
    ("body", "title"),
    [
        ("Titre de l'article\nLe corps commence ici.", "Titre de l'article"),
        ("Was nun, Herr Minister?\nEr schwieg.", "Was nun, Herr Minister?"),
        ("Ein Satz mit Punkt.\nUnd weiter.", None),
        ("Zeile ohne Rest", None),
        ("The minister said on Tuesday that\nthe troops had arrived.", None),  # hard wrap
        ("Truncated publisher title ...\nBody.", "Truncated publisher title ..."),
        ("Aufzählung:\nerstens", None),
    ],
)
def test_split_title_line(body: str, title: str | None) -> None:
    assert split_title_line(body)[0] == title


def test_human_size() -> None:
    assert [human_size(n) for n in (10 << 20, 1536, 256 << 10, 12)] == [
        "10 MB",
        "1.5 KB",
        "256 KB",
        "12 bytes",
    ]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pass@feeds.example.org/rss?api_key=abc123#top",
         "https://feeds.example.org/rss"),
        ("http://127.0.0.1:8080/feed.xml?token=t0k", "http://127.0.0.1:8080/feed.xml"),
        ("https://[2001:db8::1]:8443/atom", "https://[2001:db8::1]:8443/atom"),
        ("https://only-user@news.example.com/world/rss.xml", "https://news.example.com/world/rss.xml"),
        ("https://u:p@bad[host/rss?key=1", "https://bad[host/rss"),  # unparseable
    ],
)
def test_display_url_shows_no_credentials_or_query(url: str, shown: str) -> None:
    assert display_url(url) == shown
