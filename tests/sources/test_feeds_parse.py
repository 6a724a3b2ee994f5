"""parse_feed on the feed shapes real outlets publish (fixtures are invented text)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings.sections import FeedConfig
from bot.sources.feeds import FeedError, ParsedFeed, parse_feed
from bot.sources.metadata import clean_url
from tests.localserver import FEEDS

URL = "https://feeds.example.net/feed.xml"


def parse(name: str, content_type: str | None = None, language: str | None = None) -> ParsedFeed:
    return parse_feed(
        (FEEDS / name).read_bytes(),
        url=URL,
        feed=FeedConfig(url=URL, language=language),
        content_type=content_type,
    )


def test_rss2_with_namespaces() -> None:
    p = parse("rss2_fr.xml")
    assert p.title == "Le Quotidien d'Exemple – International"
    first, second = p.articles
    assert first.source_id == f"feed:{URL}"
    assert first.source_name == p.title
    assert first.guid == "quotidien-42"
    assert first.title == "Le port de Rason accueille un troisième cargo en une semaine"
    # content:encoded preferred over the teaser description; script and aside dropped.
    assert first.text.startswith("Un navire battant pavillon étranger a accosté mardi dans")
    assert "trackPageView" not in first.text and "Lire aussi" not in first.text
    assert "« Nous observons une activité inhabituelle\xa0», a déclaré" in first.text
    assert "n’ont fait aucun commentaire" in first.text
    assert first.url == (
        "https://www.quotidien.example/international/2024/11/05/rason-cargo_42.html?page=2"
    )
    assert first.location == first.url
    assert first.published == datetime(2024, 11, 5, 19, 3, tzinfo=UTC)  # EST = UTC-5
    assert first.language == "fr"
    # A relative link is made absolute against the document URL; gclid removed.
    assert second.url == "https://feeds.example.net/international/2024/11/05/sommet_43.html?id=43"
    assert second.text == (
        "Les ministres des Affaires étrangères se sont réunis à Genève & ont publié un "
        "communiqué commun."
    )
    assert second.published == datetime(2024, 11, 5, 8, 15, tzinfo=UTC)


def test_atom_with_xml_lang_html_content_and_updated_only() -> None:
    p = parse("atom_de.xml")
    de, en = p.articles
    assert de.title == "Neue Satellitenbilder zeigen Bewegung an der Grenze & am Hafen"
    assert de.text.splitlines() == [
        "Bewegung an der Grenze",
        "Auf neuen Satellitenbildern sind nach Angaben von Fachleuten Güterzüge zu sehen, "
        "die in Richtung Grenze fahren.",
        "„Wir sehen eine deutliche Zunahme“, sagte der Analyst Max Beispiel.",
    ]
    assert de.published == datetime(2024, 11, 5, 13, 3, tzinfo=UTC)
    assert de.language == "de"
    assert de.guid == "tag:zeitung.example,2024:artikel-1001"
    assert de.url == "https://zeitung.example/ausland/artikel-1001.html"
    assert en.language == "en"  # entry xml:lang overrides the feed's
    assert en.text == "The ministers agreed to meet again in spring."


def test_rss1_rdf_with_dc_date() -> None:
    p = parse("rdf_ru.xml")
    assert p.title == "Пример-Вестник"
    a, b = p.articles
    assert a.title == "В порту Примерска выгрузили партию оборудования"
    assert a.guid == a.url == "https://vestnik.example/news/501"
    assert a.published == datetime(2024, 11, 5, 11, 3, tzinfo=UTC)
    assert b.published == datetime(2024, 11, 4, tzinfo=UTC)
    assert {a.language, b.language} == {"ru"}
    assert b.text.startswith("«Мы договорились продолжить диалог»")


def test_odd_dates_and_missing_guid_or_link() -> None:
    p = parse("dates_ko.xml", language="ko")
    est, iso, garbage, bare = p.articles
    assert est.published == datetime(2024, 11, 5, 19, 3, tzinfo=UTC)
    assert iso.published == datetime(2024, 11, 5, 13, 3, tzinfo=UTC)
    assert garbage.published is None and bare.published is None
    assert est.guid == "news-example-1001"  # a plain guid is not turned into a URL
    assert garbage.guid == "https://news.example.kr/a/1003"  # no guid: the link
    assert bare.url is None and bare.location is None
    assert bare.guid.startswith("sha256:") and len(bare.guid) == 7 + 64
    assert {a.language for a in p.articles} == {"ko"}  # from the config hint
    assert garbage.title == '전문가 "협력 확대 필요"'


def test_content_hash_guid_is_stable() -> None:
    assert parse("dates_ko.xml").articles[3].guid == parse("dates_ko.xml").articles[3].guid


@pytest.mark.parametrize("content_type", [None, "text/xml", "text/xml; charset=windows-1251"])
def test_windows_1251_feed(content_type: str | None) -> None:
    p = parse("cp1251_ru.xml", content_type=content_type)
    assert p.title == "Областные ведомости"
    (a,) = p.articles
    assert a.title == "Мэр открыл новый мост через реку"
    assert a.text == "Движение по мосту откроют в субботу, сообщил мэр города."
    assert a.language == "ru"


def test_latin1_feed_language_hint() -> None:
    p = parse("latin1_fr.xml", language="fr-CA")
    (a,) = p.articles
    assert a.title == "Fête de la châtaigne : record d'affluence à Égletons-sur-Exemple"
    assert a.language == "fr"
    assert a.guid == "http://echo.example/a/12"


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match=r"^not a feed \(got HTML\)$"):
        parse("page.html", content_type="text/html")
    with pytest.raises(FeedError, match="got HTML"):  # even when served as XML
        parse("page.html", content_type="application/rss+xml")


def test_billion_laughs_refused_before_parsing() -> None:
    with pytest.raises(FeedError, match="entities"):
        parse("bomb.xml")


def test_utf16_entity_declaration_still_refused() -> None:
    doc = (FEEDS / "bomb.xml").read_text().encode("utf-16")
    with pytest.raises(FeedError, match="entities"):
        parse_feed(doc, url=URL, feed=FeedConfig(url=URL))


def test_entity_word_in_cdata_is_fine() -> None:
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
        b"<title>XML tips</title><description><![CDATA[Never use <!ENTITY x>]]>"
        b"</description><guid>g1</guid></item></channel></rss>"
    )
    (a,) = parse_feed(doc, url=URL, feed=FeedConfig(url=URL)).articles
    assert a.guid == "g1"


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="^not a feed"):
        parse_feed(b"\x00\x01binary junk", url=URL, feed=FeedConfig(url=URL))


def test_body_that_looks_like_a_path_is_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes((FEEDS / "rss2_fr.xml").read_bytes())
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), url=URL, feed=FeedConfig(url=URL))


def test_truncated_feed_with_entries_is_kept() -> None:
    data = (FEEDS / "dates_ko.xml").read_bytes()
    cut = data[: data.index(b"</item>", data.index(b"1002")) + 7]  # bozo: no closing tags
    p = parse_feed(cut, url=URL, feed=FeedConfig(url=URL))
    assert [a.guid for a in p.articles] == ["news-example-1001", "news-example-1002"]


def test_valid_empty_feed() -> None:
    doc = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    p = parse_feed(doc, url=URL, feed=FeedConfig(url=URL))
    assert p.articles == () and p.title == "Quiet"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("https://a.example/x?utm_source=rss&id=3&utm_medium=x#top", "https://a.example/x?id=3"),
        ("https://a.example/x?fbclid=1&gclid=2", "https://a.example/x"),
        ("/p/1?utm_campaign=z", "https://feeds.example.net/p/1"),
    ],
)
def test_clean_url(raw: str, clean: str) -> None:
    assert clean_url(raw, URL) == clean


# -- hostile feeds -------------------------------------------------------------------------

_ESCAPES = ("\x1b", "\x07", "\x9b", "\x9d", "\u202e")


def _texts(p: ParsedFeed) -> list[str]:
    out = [p.title or ""]
    for a in p.articles:
        out += [a.title, a.source_name, a.text, a.url or "", a.location or "", a.guid]
    return out


def test_escape_sequences_never_leave_the_parser() -> None:
    p = parse("escapes.xml")
    for text in _texts(p):
        assert not any(c in text for c in _ESCAPES), repr(text)
    assert p.title is not None and p.title.startswith("Evil News")
    esc, html, spaced = p.articles
    assert esc.source_name == p.title
    assert esc.title.startswith("Breaking red") and esc.title.endswith("RTL story")
    assert esc.text == "First line with a bell. link in text."
    assert esc.guid == "esc-1"
    assert html.text.splitlines()[0] == "HTML body bold"
    # A link with escape codes or whitespace in it is dropped, not "repaired" into another.
    assert esc.url is None and esc.location is None
    assert spaced.url is None and spaced.location is None


def test_configured_feed_name_is_cleaned_too() -> None:
    p = parse_feed(
        (FEEDS / "escapes.xml").read_bytes(),
        url=URL,
        feed=FeedConfig(url=URL, name="My\x1b[2J feed\n"),
    )
    assert {a.source_name for a in p.articles} == {"My feed"}


_BOMB = (FEEDS / "bomb.xml").read_bytes()
_DECL = b'<?xml version="1.0"?>\n'


@pytest.mark.parametrize(
    "doc",
    [
        _BOMB.replace(_DECL, _DECL + b"<!-- <x -->\n"),  # a fake root inside a comment
        b"<!-- <x -->\n" + _BOMB.replace(_DECL, b""),
        b"<!-- <x -->" + _BOMB,  # and an XML declaration out of place
        _BOMB.replace(_DECL, _DECL + b"<?pi <x ?>\n"),
        _BOMB.replace(b"<!DOCTYPE rss [", b'<!DOCTYPE rss SYSTEM "<x>" ['),
        _BOMB.replace(b"<!DOCTYPE rss [", b"<!DOCTYPE rss [ %undeclared;"),
        _BOMB.replace(b"<!ENTITY", b"<!entity"),
        _BOMB.replace(b"<!ENTITY", b"<!Entity").replace(_DECL, _DECL + b"<!-- <x -->"),
        b"\xef\xbb\xbf  \n" + _BOMB.replace(_DECL, _DECL + b"<!-- <x -->"),
        _BOMB.replace(_DECL, _DECL + b"<!-- <x -->").decode().encode("utf-16"),
        _BOMB.replace(_DECL, _DECL + b"<!-- <x -->").decode().encode("utf-32"),
    ],
    ids=[
        "comment-after-decl",
        "comment-no-decl",
        "comment-before-decl",
        "pi",
        "doctype-literal",
        "undeclared-pe",
        "lowercase",
        "mixed-case-comment",
        "bom-and-blanks",
        "utf16-comment",
        "utf32-comment",
    ],
)
def test_entity_declarations_refused_however_hidden(doc: bytes) -> None:
    with pytest.raises(FeedError, match=r"^document declares XML entities"):
        parse_feed(doc, url=URL, feed=FeedConfig(url=URL))


def test_escaped_entity_text_in_items_is_fine() -> None:
    doc = (
        b'<?xml version="1.0"?>\n<!-- generated -->\n<rss version="2.0"><channel><title>T'
        b"</title><item><title>XXE explained</title><description>Never accept "
        b"&lt;!ENTITY lol &quot;lol&quot;&gt; or &lt;!entity x&gt; from strangers."
        b"</description><guid>g1</guid></item><item><title>More</title><description>"
        b"<![CDATA[<!-- <x --> <!ENTITY y>]]></description><guid>g2</guid></item>"
        b"</channel></rss>"
    )
    a, b = parse_feed(doc, url=URL, feed=FeedConfig(url=URL)).articles
    assert "<!ENTITY lol" in a.text and b.guid == "g2"


_SMALL_BOMB = (
    '<?xml version="1.0" encoding="{encoding}"?>\n'
    "<!DOCTYPE rss [<!-- <x -->\n"
    '  <!ENTITY ha "hahahahahahahahahaha">\n'
    '  <!ENTITY ha1 "&ha;&ha;&ha;&ha;&ha;&ha;&ha;&ha;&ha;&ha;">\n'
    '  <!ENTITY ha2 "&ha1;&ha1;&ha1;&ha1;&ha1;&ha1;&ha1;&ha1;&ha1;&ha1;">\n'
    "]>\n"
    '<rss version="2.0"><channel><title>&ha2;</title>'
    "<item><title>Expanded</title><guid>g1</guid></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("declared", "codec"),
    [
        ("cp037", "cp037"),
        ("cp500", "cp500"),
        ("UTF-32", "utf-32-be"),  # no BOM: feedparser sniffs "<?xm" in UTF-32
        ("UTF-32", "utf-32-le"),
    ],
)
def test_entity_declarations_refused_in_encodings_bytes_do_not_show(
    declared: str, codec: str
) -> None:
    """EBCDIC and BOM-less UTF-32 documents hide ``<!ENTITY`` from a byte search, but the
    parser reads them: the check looks at the document as the parser decodes it."""
    doc = _SMALL_BOMB.format(encoding=declared).encode(codec)
    assert b"<!ENTITY" not in doc
    with pytest.raises(FeedError, match=r"^document declares XML entities"):
        parse_feed(doc, url=URL, feed=FeedConfig(url=URL))


def test_ebcdic_feed_without_entities_still_parses() -> None:
    doc = _SMALL_BOMB.format(encoding="cp037")
    doc = doc[: doc.index("<!DOCTYPE")] + doc[doc.index("<rss") :]
    parsed = parse_feed(doc.replace("&ha2;", "Nachrichten").encode("cp037"), url=URL,
                        feed=FeedConfig(url=URL))
    assert parsed.title == "Nachrichten"
    assert [a.title for a in parsed.articles] == ["Expanded"]
