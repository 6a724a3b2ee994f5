"""The prefilter decides, before language detection and spaCy, which documents can match."""

from __future__ import annotations

import pytest

from bot.nlp import analyze, could_match, haystack_of, match
from bot.nlp.text import fold, fold_aligned
from bot.nlp.watchlist import Watchlist, parse_watchlist


def can(wl: Watchlist, title: str, text: str) -> bool:
    return could_match(wl, haystack_of(title, text))


def test_ordinary_news_in_every_language_is_ruled_out(watchlist: Watchlist) -> None:
    # Stems let a few ordinary words through (Spanish "munic[ión]" is in "municipal"): that
    # costs a full match, never a wrong result. Typical sentences must not pass.
    plain = [
        "The council approved a new budget for parks; farmers provided their harvest figures.",
        "Le conseil de la ville a adopté un budget ; les agriculteurs ont fourni leurs chiffres.",
        "Der Stadtrat beschloss den Haushalt, die Landwirte lieferten ihre Erntezahlen.",
        "El ayuntamiento aprobó el presupuesto entre los aplausos de los vecinos.",
        "Городской совет утвердил бюджет, фермеры передали данные об урожае.",
        "Міська рада ухвалила бюджет, фермери передали дані про врожай.",
        "시의회는 공원 예산을 통과시켰고 농민들은 수확량 자료를 제공했다.",
    ]
    for text in plain:
        assert not can(watchlist, "", text), text
        result = analyze("", text, watchlist)
        assert result.matches == () and result.quotes == ()


def test_every_language_that_matches_passes_the_prefilter(watchlist: Watchlist) -> None:
    for text in [
        "Koursk",
        "Rußland und die Ukraine",
        "КНДР поставляет снаряды",
        "북한군이 쿠르스크에",
        "Waffenlieferungen",
        "Artilleriegranaten wurden geliefert",
    ]:
        assert can(watchlist, "", text), text


def test_a_phrase_needs_all_of_its_words() -> None:
    wl = parse_watchlist(
        "items:\n  - id: t\n    name: T\n    kind: topic\n    aliases: {es: [entrega de armas]}\n"
    )
    assert not can(wl, "", "Entre todos entregaron el premio.")
    assert can(wl, "", "La entrega de armas continúa.")
    assert [m.id for m in match("", "La entrega de armas continúa.", wl, "es")] == ["t"]


def test_a_key_inside_a_word_still_counts_where_it_later_starts_one() -> None:
    # The screen reads each key once per way it stands (inside a word, at a word's start):
    # "arma" inside "desarmaron" must not hide the "armas" that follows, nor count itself.
    wl = parse_watchlist(
        "items:\n  - id: t\n    name: T\n    kind: topic\n    aliases: {es: [entrega de armas]}\n"
    )
    later = "Los rebeldes se desarmaron, se desarmaron. La entrega de armas continúa."
    assert can(wl, "", later)
    assert [m.id for m in analyze("", later, wl, "es").matches] == ["t"]
    inside_only = "Los rebeldes se desarmaron, se desarmaron. La entrega continúa."
    assert not can(wl, "", inside_only)
    assert analyze("", inside_only, wl, "es").matches == ()


def test_skipped_document_still_reports_a_language(watchlist: Watchlist) -> None:
    text = "Городской совет утвердил бюджет на следующий год."
    assert analyze("", text, watchlist).language == "ru"
    assert analyze("", "The council met.", watchlist, "en-GB").language == "en"


def test_skipping_never_changes_what_matches(watchlist: Watchlist) -> None:
    text = "North Korea sent shells to Russia.\nLater the Kursk front was quiet."
    assert analyze("", text, watchlist).matches == analyze("", text, watchlist, quotes=True).matches


def test_only_sentences_near_hits_are_read_yet_results_are_those_of_the_whole_text(
    watchlist: Watchlist,
) -> None:
    filler = "The weather was mild and the markets were calm that week. " * 40
    text = f"{filler}\nNorth Korea sent shells to Russia. {filler}\nThe envoy left N. Korea."
    found = {m.id: m for m in match("", text, watchlist, "en")}
    assert found["north-korea"].evidence == ("North Korea", "N. Korea")
    assert [text[s:e] for s, e in found["north-korea"].spans] == ["North Korea", "N. Korea"]
    assert "arms-transfers" in found


def test_fold_aligned_keeps_offsets_or_says_it_cannot() -> None:
    assert fold_aligned("Corée du Nord") == fold("Corée du Nord")
    assert fold_aligned("Північна Корея") == fold("Північна Корея")
    assert fold_aligned("Straße") is None  # ß folds to two letters
    assert fold_aligned("Nord\u00adkorea") is None  # a soft hyphen folds to nothing


def test_what_the_prefilter_skips_the_full_matcher_would_not_match(watchlist: Watchlist) -> None:
    # Property over every paragraph of the evaluation set, in every watchlist language:
    # skipping (before detection and spaCy) must never lose a match the full path finds,
    # and the default path (quotes only on a match) must match exactly as the full one.
    from pathlib import Path

    from bot.sources.files import iter_documents, read_document

    eval_dir = Path(__file__).resolve().parents[1] / "data" / "eval" / "articles"
    skipped = 0
    for path in iter_documents([eval_dir]):
        article = read_document(path, 1_000_000)
        full = analyze(article.title, article.text, watchlist, article.language, quotes=True)
        default = analyze(article.title, article.text, watchlist, article.language)
        assert default.matches == full.matches, path.name
        for para in article.text.split("\n\n"):
            if can(watchlist, "", para):
                continue
            skipped += 1
            for lang in ("en", "fr", "de", "es", "ru", "uk", "ko"):
                assert match("", para, watchlist, lang) == (), (path.name, lang, para[:80])
    assert skipped > 100  # the property was exercised on many paragraphs, not vacuously


def test_fast_fold_equals_the_per_character_fold() -> None:
    # fold() lowercases in C and folds only what lower() misses; it must give exactly
    # the per-character result everywhere, or aliases and articles would fold apart.
    from bot.nlp.text import fold_char

    def slow(s: str) -> str:
        return "".join(fold_char(c) for c in s)

    bmp = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF]
    for k in range(0, len(bmp), 64):
        chunk = "".join(bmp[k : k + 64])
        assert fold(chunk) == slow(chunk), hex(ord(bmp[k]))
    for text in ["ΟΔΟΣ Σ ς", "İstanbul Straße", "Пхеньян, Ёлка", "Kim`s 𝐊𝐮𝐫𝐬𝐤 😀", "Ꭰꭰ café"]:
        assert fold(text) == slow(text), text


def test_lemma_table_read_line_by_line_equals_json() -> None:
    import json

    text = '{\n    "a": ["avoir"],\n    "Rußland": "Russland",\n    "x\\"y": "q\\u00e9",\n    "e": [],\n    "f": ""\n}\n'
    lines = text.splitlines(keepends=True)
    expected = [
        (k, v[0] if isinstance(v, list) else v)
        for k, v in json.loads(text).items()
        if (v[0] if isinstance(v, list) and v else v)
    ]
    assert _pairs_read(lines) == (expected, True)
    assert _pairs_read(['{"a": "b", "c": "d"}'])[1] is False  # another layout: read with json


def _pairs_read(chunks: list[str]) -> tuple[list[tuple[str, str]], bool]:
    from bot.nlp.lemmas import pairs_by_line

    gen = pairs_by_line(chunks)
    pairs = []
    while True:
        try:
            pairs.append(next(gen))
        except StopIteration as stop:
            return pairs, stop.value


def test_lemma_table_cut_at_quotes_reads_as_the_expression(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body of common pair lines is read by cutting it at its quotes: the same pairs,
    and the same answer, as reading every line with the expression, on tables written
    every way (lists or not, odd blanks, escapes, braces, empty lemmas, two lemmas, a line
    break or a quote where none belongs) cut into pieces of any size, and on two real
    tables (French, with lists; German, without)."""
    import gzip
    import random
    from importlib import resources

    from bot.nlp import lemmas

    rng = random.Random(11)
    pieces = [
        '    "a": ["avoir"],\n',
        '    "été": ["être"],\n',
        '\t"x" :\t[ "y" ] ,\r\n',
        '    "Rußland": "Russland",\n',
        '    "b": "c"\n',
        '  "d":"e" , \n',
        '    "f": "",\n',
        '    "g": [""],\n',
        '    "": ["h"],\n',
        '    "x\\"y": "q\\u00e9",\n',
        '    "e": [],\n',
        '    "i": ["j", "k"],\n',
        '    "v\nw": "z",\n',
        '    "v": ["w\n"],\n',
        "{\n",
        "}\n",
        "\n",
        "   \n",
        '    "l": "m" x\n',
        '"n": "o\n',
        '    "p": ["q"]\u2003,\u00a0\n',
        '    "r"\u3000: "s",\n',
        '    "t": "u"]\n',
    ]
    texts = []
    for _ in range(400):
        kinds = rng.sample(pieces, rng.randint(1, 4))
        texts.append("".join(rng.choice(kinds) for _ in range(rng.randint(0, 60))))
    data = resources.files("spacy_lookups_data") / "data"
    for lang in ("fr", "de"):
        with (data / f"{lang}_lemma_lookup.json.gz").open("rb") as raw:
            texts.append(gzip.decompress(raw.read()).decode())
    by_expression = []
    with monkeypatch.context() as patch:
        patch.setattr(lemmas, "_plain_pairs", lambda body: None)
        for text in texts:
            by_expression.append(_pairs_read([text]))
    cut = 0
    real = lemmas._plain_pairs

    def counted(body: str) -> object:
        nonlocal cut
        found = real(body)
        cut += found is not None
        return found

    monkeypatch.setattr(lemmas, "_plain_pairs", counted)
    for text, expected in zip(texts, by_expression, strict=True):
        size = rng.choice([1, 7, 50, len(text) + 1]) if len(text) < 5000 else lemmas._READ_CHARS
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        assert _pairs_read(chunks) == expected, text[:300]
    assert cut > 100  # the quick reading was taken, not only the expression


def test_fold_aligned_fast_check_equals_the_table_everywhere() -> None:
    # fold_aligned folds with fold() unless a character's fold is not one character: it
    # must answer, for every character, what folding character by character answers.
    from bot.nlp.text import fold_char

    def by_table(s: str) -> str | None:
        parts = [fold_char(c) for c in s]
        return None if any(len(p) != 1 or p == "\0" for p in parts) else "".join(parts)

    for code in range(0x80, 0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = f"Kursk {chr(code)}é"
        assert fold_aligned(text) == by_table(text), hex(code)
        assert fold_aligned(text, fold(text)) == by_table(text), hex(code)
    for text in ["Kim`s 𝐊𝐮𝐫𝐬𝐤", "ΟΔΟΣ", "Straße", "North Korea"]:
        assert fold_aligned(text) == by_table(text), text


def test_text_fold_is_cut_from_the_haystack() -> None:
    from bot.nlp.matcher.plans import text_fold

    text = "Die Straße nach Kursk.\nΟΔΟΣ Σ und Ёлка."
    for title in ["", "  ", "Die Straße nach Kursk.", "ΣΟΦΙΑ — Rußland", "Kursk: the front"]:
        assert text_fold(title, text, haystack_of(title, text)) == fold(text), title


def test_screen_answers_as_the_full_candidate_set(watchlist: Watchlist) -> None:
    # could_match stops at the first item that may match instead of building every
    # wanted slot: the answer must be bool(candidates) for every paragraph.
    from pathlib import Path

    from bot.nlp.matcher.plans import candidates, compiled_for

    screen = compiled_for(watchlist).language_free(watchlist)
    eval_dir = Path(__file__).resolve().parents[1] / "data" / "eval" / "articles"
    answers = set()
    for path in sorted(eval_dir.glob("*.txt"))[:120]:
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            haystack = haystack_of("", para)
            expected = bool(candidates(screen, watchlist, haystack))
            assert could_match(watchlist, haystack) == expected, para[:80]
            answers.add(expected)
    assert answers == {True, False}


def test_language_is_detected_in_full_only_for_what_passes_the_prefilter(
    watchlist: Watchlist, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    from bot.models import Analysis
    from bot.nlp import QUICK_SAMPLE, pipelines

    seen: list[int] = []
    real = pipelines.detect_language

    def counting(text: str, hint: str | None = None) -> str:
        seen.append(len(text))
        return real(text, hint)

    monkeypatch.setattr(pipelines, "detect_language", counting)
    plain = "The city council approved a budget for road repairs. " * 40
    skipped = analyze("", plain, watchlist)
    assert skipped.matches == () and skipped.quotes == ()
    assert seen == []  # no guess until someone reads the language
    assert skipped.language == "en" and skipped.language == "en"
    assert seen == [QUICK_SAMPLE]  # then one guess, from the opening only
    assert skipped == Analysis(language="en", matches=(), quotes=())
    assert pickle.loads(pickle.dumps(skipped)) == skipped
    seen.clear()
    seen.clear()
    assert analyze("", plain, watchlist, "en").language == "en"
    assert seen == []  # a declared language is not even checked
    relevant = plain + "North Korea sent shells to Russia."
    assert analyze("", relevant, watchlist).matches
    assert seen == [len(relevant)]


def test_key_scan_reports_every_occurrence_in_the_reading_order() -> None:
    # the word-level reading lists occurrences in the order the key scan gives them:
    # keys of one script after another (in the order the keys first name them), then by
    # where they end, the longest first; overlapping ones and those beside a lone
    # surrogate included, offsets in characters
    from bot.nlp.matcher.plans import _SCRIPTS, _Automata

    keys = ["he", "she", "hers", "курс", "курськ", "рськ", "북한", "한", "한군", "北", "朝鮮"]
    automata = _Automata({key: key for key in keys})
    texts = [
        "ushers, hers; she",
        "Курськ, курсив; 북한군 北朝鮮 she",
        "北朝鮮 한군 курськ he\ud800she",
        "\udfffhe\ud800\ud800курськ",
    ]

    def rank(key: str) -> int:
        return next((n for n, p in enumerate(_SCRIPTS) if p.match(key)), -1)

    order = sorted({rank(key) for key in keys}, key=[rank(key) for key in keys].index)
    for text in texts:
        plain = [
            (start + len(key) - 1, key)
            for key in keys
            for start in range(len(text))
            if text.startswith(key, start)
        ]
        plain.sort(key=lambda hit: (order.index(rank(hit[1])), hit[0], -len(hit[1])))
        assert list(automata.iter(text)) == plain
        assert sorted((keys[k], s, e) for k, s, e in automata.scan(text)) == sorted(
            (key, end - len(key) + 1, end + 1) for end, key in plain
        )
