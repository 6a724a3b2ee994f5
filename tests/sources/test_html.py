"""HTML to text: what a reader sees, one paragraph a line."""

from __future__ import annotations

from bot.sources.html import html_to_text, parse_html


def test_blocks_entities_and_hidden_parts() -> None:
    markup = (
        "<div><p>Premier&nbsp;paragraphe &amp; suite,\n   sur deux lignes.</p>"
        "<script>var x = '<p>no</p>';</script><style>p{}</style>"
        "<p>Il a dit&#160;: &laquo;&#8239;oui&#8239;&raquo;.<br/>Nouvelle ligne</p>"
        "<nav><ul><li>Menu</li></ul></nav><footer>Pied</footer><aside>Pub</aside>"
        "<noscript>Activez JS</noscript><ul><li>un</li><li>deux</li></ul></div>"
    )
    assert html_to_text(markup).splitlines() == [
        "Premier\xa0paragraphe & suite, sur deux lignes.",
        "Il a dit\xa0: «\u202foui\u202f».",
        "Nouvelle ligne",
        "un",
        "deux",
    ]


def test_broken_markup_is_tolerated() -> None:
    assert html_to_text("<p>one <b>two<p>three</i> <aside>x<p>y</aside>four") == (
        "one two\nthree\nfour"
    )


def test_unclosed_head_does_not_hide_the_body() -> None:
    page = parse_html("<html><head><title>T</title><body><p>Body text.</p>")
    assert (page.title, page.text) == ("T", "Body text.")


def test_metadata_preference() -> None:
    page = parse_html(
        '<html lang="fr"><head><title>Titre | Site</title>'
        '<link rel="canonical" href="https://a.example/x"></head>'
        "<body><h1>Grand titre</h1><p>Texte.</p></body></html>"
    )
    assert page.title == "Titre | Site"
    assert page.canonical_url == "https://a.example/x"
    assert page.language == "fr"
    assert page.text == "Grand titre\nTexte."
    assert parse_html("<h1>Seulement h1</h1><p>x</p>").title == "Seulement h1"
    og = parse_html('<meta property="og:title" content=" Propre "><title>Sale | Site</title>')
    assert og.title == "Propre"
