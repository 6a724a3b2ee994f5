"""Shortcuts on the matcher's hot path answer exactly as the plain definitions they replace.

Each shortcut skips work that cannot change a result (an item that can hold nowhere, a key
that is not a phrase's anchor, characters that are no quotation mark); each test compares
it with the plain, slower definition on the eval articles and on texts made to hit the
edges (keys only inside words, runs of 200+ letters, ideographs, marks of every kind).
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path

import pytest

from bot.nlp.matcher.plans import _present, boundary, compiled_for
from bot.nlp.matcher.words import Reading, _wanted_near, read
from bot.nlp.quotes.spans import _CLOSERS, _closing_ok, _opening_ok, quote_pairs
from bot.nlp.text import (
    APOSTROPHES,
    CJK_RANGES,
    HYPHENS,
    MAX_TOKEN_CHARS,
    fold,
    fold_aligned,
    same_length_clean,
)
from bot.nlp.watchlist import Watchlist
from bot.text import sentences

EVAL = Path(__file__).resolve().parents[1] / "data" / "eval" / "articles"


def _paragraphs(limit: int = 80) -> list[str]:
    paras = []
    for path in sorted(EVAL.glob("*.txt"))[:limit]:
        paras += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return paras


def _all_keys_present(watchlist: Watchlist, lang: str, haystack: str) -> set[tuple[int, Hashable]]:
    """The prefilter's definition: (item, slot) with a phrase every key of which occurs
    (at a word start where the key must start a word), each key looked for by find."""
    compiled = compiled_for(watchlist)
    plan = compiled.language_free(watchlist) if lang == "*" else compiled.plan(watchlist, lang)
    keys = plan.keys_of

    def occurs(key: str, word_start: bool) -> bool:
        i = haystack.find(key)
        while i != -1:
            if not word_start or i == 0 or boundary(haystack[i - 1]):
                return True
            i = haystack.find(key, i + 1)
        return False

    slots: dict[int, Hashable] = {}
    for _key, payloads in _payloads(plan):
        for ii, slot, pid, *_ in payloads:
            slots[pid] = (ii, slot)
    return {slots[pid] for pid in slots if keys[pid] and all(occurs(*kw) for kw in keys[pid])}


def _payloads(plan):  # type: ignore[no-untyped-def]
    for value in plan.automaton.values:
        yield value[0], value[4]


def test_anchor_scan_finds_what_every_key_finds(watchlist: Watchlist) -> None:
    # the automaton holds each phrase's longest key only; the others are looked up once
    # it occurs: the (item, slot) pairs present must be those of the plain definition
    texts = _paragraphs() + [
        "before the information was sold",  # 'for' only inside words, then 'sold'
        "arms for Kyiv; forecast",
        "Corea del Norte y la Corea del Sur",
        "el norte de Corea del país",
        "Waffen für die Ukraine und Artilleriemunition",
        "북한산 등산객과 북한군",
    ]
    for lang in ("*", "en", "es", "de", "ko", "uk"):
        screen = compiled_for(watchlist)
        plan = screen.language_free(watchlist) if lang == "*" else screen.plan(watchlist, lang)
        for text in texts:
            haystack = fold(text)
            assert _present(plan, haystack) == _all_keys_present(watchlist, lang, haystack), (
                lang,
                text[:80],
            )


def test_pruned_reading_equals_checking_every_occurrence(watchlist: Watchlist) -> None:
    # read() checks an item's occurrences only while the item may still hold somewhere;
    # for the items that may, located and wanted must be what checking all of them gives
    compiled = compiled_for(watchlist)
    wanted_seen = set()
    for path in sorted(EVAL.glob("*.txt"))[:150]:
        lang = path.name.split("_")[1]
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        plan = compiled.plan(watchlist, lang)
        pruned = [Reading(plan, watchlist, t, fold_aligned(t)) for t in (text, title)]
        read(pruned)
        full = []  # every occurrence checked whole, as before the pruning
        for t in (text, title):
            r = Reading(plan, watchlist, t, fold_aligned(t))
            located = {
                tag: [(pos, pid) for pos, pid in at if r._whole(pos, pid, tag[0])]
                for tag, at in r.pending.items()
            }
            located = {tag: at for tag, at in located.items() if at}
            full.append((located, _wanted_near(watchlist, located, r.breaks)))
        wanted = set().union(*(w for _, w in full))
        held = {tag[0] for tag in wanted if isinstance(tag, tuple)}
        for p, (located, want) in zip(pruned, full, strict=True):
            assert p.wanted == want, path.name
            # every item wanted is located everywhere it stands; what is located is right
            for tag, at in located.items():
                assert tag[0] not in held or p.located.get(tag) == at, (path.name, tag)
            for tag, at in p.located.items():
                assert located[tag] == at, (path.name, tag)
        wanted_seen.add(bool(wanted))
    assert wanted_seen == {True, False}


def _same_length_clean_plain(text: str) -> str:
    table = str.maketrans({c: ("'" if c in APOSTROPHES else "-") for c in APOSTROPHES + HYPHENS})
    run = re.compile(rf"[^\s{CJK_RANGES}]{{{MAX_TOKEN_CHARS + 1},}}")

    def cut(m: re.Match[str]) -> str:
        s, step = m.group(), MAX_TOKEN_CHARS
        return " ".join(s[i : i + step - 1] for i in range(0, len(s), step)).ljust(len(s))

    text = text.translate(table)
    return run.sub(cut, text) if len(text) > MAX_TOKEN_CHARS else text


def test_spacy_input_is_cleaned_as_the_plain_translation() -> None:
    long = "x" * 450
    texts = _paragraphs(40) + [
        " " * 300,
        long,
        f"a {long}\u2019s b",
        f"{'y' * 150}日本{'z' * 260} end",  # ideographs break a run
        f"{'k' * 199}\u2011{'k' * 10}",
        "l\u2019arm\u00e9e \u2014 nord\u2010cor\u00e9en \u02bcok\u00b4",
        "",
    ]
    for text in texts:
        assert same_length_clean(text) == _same_length_clean_plain(text), text[:60]


def _quote_pairs_plain(para: str) -> list[tuple[int, int, int]]:
    """quote_pairs' paired marks, walking every character (no straight-quote fallbacks)."""
    out = []
    stack: list[tuple[str, int]] = []
    for i, c in enumerate(para):
        if stack and c in _CLOSERS[stack[-1][0]] and _closing_ok(para, i, c):
            _, p = stack.pop()
            if not stack:
                out.append((p + 1, i, i + 1))
            continue
        if c in _CLOSERS and _opening_ok(para, i, c) and len(stack) < 3:
            stack.append((c, i))
    return out


def test_quote_marks_pair_as_walking_every_character() -> None:
    texts = _paragraphs() + [
        "« Nous irons, a déclaré X, jusqu'au bout »",
        "„Wir liefern“, sagte Jonas. ‚Alles‘ ist »gut«.",
        "He said “never” and ‘maybe’ — “not « now »”",
        "김 장관은 “협상은 계속될 것”이라고 말했다. 「日本」『語』",
        "“Point 1,” said Sam, “is not negotiable.”",
    ]
    for para in texts:
        got = [(r.start, r.end, r.close_end) for r in quote_pairs(para) if not r.runs_on]
        plain = _quote_pairs_plain(para)
        if plain:  # else quote_pairs falls back to straight quotes, spaced or single
            assert [g for g in got if g in plain] == plain, para[:80]


def test_limited_sentences_are_the_first_of_all() -> None:
    for text in _paragraphs(40) + ["", "One. Two. Three.", "M. Macron a dit. Oui."]:
        for limit in (1, 2, 5):
            assert sentences(text, limit) == sentences(text)[:limit]


def test_fold_is_the_fold_of_each_character() -> None:
    # ``fold`` replaces each distinct special character at once: the result must be the
    # per-character definition, on texts full of accents, ß, Σ at word ends, ligatures,
    # soft hyphens, typography, Hangul jamo, and characters beyond the BMP
    from bot.nlp.text import fold_char

    edges = [
        "Ο ΟΔΥΣΣΕΑΣ ΣΤΗΝ ΙΘΑΚΗ, Σ. ΣΣ",
        "Straße ﬁnal ﬂ Ⅻ ① ＡＢＣ İstanbul ǅ",
        "Київ їжак Йорданія ЁЛКА щ\u00adо \u200bслова\ufeff",
        "Corée du Nord, l’armée « élite » — señor Müller’s `x` ‐ ‑ −",
        "북한 \u1100\u1161\u11a8 ㄱ 𝐀𝐁 😀 a\u0301e\u0300",
        "",
        "Plain `ASCII` text, it`s",
    ]
    texts = edges + _paragraphs() + [p.upper() for p in _paragraphs(20)]
    for text in texts:
        assert fold(text) == "".join(fold_char(c) for c in text), text[:60]


def test_skipped_document_language_is_the_guess_it_replaces(watchlist: Watchlist) -> None:
    # a document the screen rules out names its language only when read: the same guess,
    # from the same opening, as when it was made at once
    from bot.nlp import QUICK_SAMPLE, analyze
    from bot.nlp.languages import detect_language

    seen = 0
    for path in sorted(EVAL.glob("*.txt"))[:80]:
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            for title in ("", "Weekly notes", para[:40]):
                got = analyze(title, para, watchlist)
                if got.matches:
                    continue
                sample = para if para.startswith(title.strip()) else f"{title}\n{para}"
                assert got.language == detect_language(sample[:QUICK_SAMPLE]), para[:60]
                seen += 1
    assert seen > 100


def test_useful_part_of_a_lemma_table_equals_the_plain_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # _useful_lemmas tests a lemma once per run of forms listing it and keeps capitalised
    # forms in a text buffer: it must keep what the plain filter keeps, in the same order.
    from bot.nlp.matcher import lemmatize

    table = [
        ("Kriege", "Krieg"), ("Kriegen", "Krieg"), ("kriege", "Krieg"),  # a run of one lemma
        ("Hause", "Haus"), ("hause", "Krieg"),  # capitalised, kept through its lowercase
        ("Häuser", "Haus"),  # capitalised, its lowercase not in the table
        ("Lieferungen", "Lieferung"), ("Lieferung", "Lieferung"),  # a head (ends a word)
        ("Panzern", "Panzer"), ("panzern", "Gepanzert"),  # lowercase kept as a prefix
        ("Zwei\nZeilen", "Haus"), ("zwei\nzeilen", "Krieg"),  # a line break in a form
        ("Eins", "Eins\nzwei"), ("eins", "Krieg"),  # and in a lemma
        ("Mäuse", "Maus"), ("Krieg", "Krieg"), ("Kriege", "Maus"),  # a form given again
    ]
    monkeypatch.setattr(lemmatize, "lookup_lemmas", lambda lang: iter(table))
    useful = lemmatize._Useful({"krieg"}, {"gepanz"}, set())
    heads = {"lieferung"}
    useful.tails = heads

    expected: dict[str, str] = {}
    others: dict[str, str] = {}
    for form, lemma in table:
        if useful.test(fold(lemma)) or fold(lemma) in heads:
            expected[form] = lemma
        elif form != form.lower():
            others[form] = lemma
    for form, lemma in others.items():
        if form.lower() in expected:
            expected[form] = lemma

    got = lemmatize._useful_lemmas(useful, "de")
    assert list(got.items()) == list(expected.items())
    assert got["Hause"] == "Haus" and "Häuser" not in got and got["Lieferungen"] == "Lieferung"
    assert got["Zwei\nZeilen"] == "Haus" and got["Eins"] == "Eins\nzwei"
    assert "Lieferung" not in lemmatize._useful_lemmas(useful, "fr")  # heads: German only


def test_lean_lexemes_give_the_tokens_and_sentences_of_full_ones() -> None:
    """A blank pipeline computes only ``is_punct``, ``is_space`` and the language of a new
    word; its tokens, their flags and the sentence starts the matcher reads are those of
    the same pipeline with every one of spaCy's attribute functions."""
    from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, ORTH

    from bot.nlp.matcher.analysis import _sentence_starts, _sentencizer_orths
    from bot.nlp.pipelines import _blank, get_pipeline

    texts = _paragraphs(40) + [
        "« Non », a-t-il dit… Fin. (Voir p. 3) — « Oui ! » 12,5 % ; e-mail: a@b.fr",
        "Er sagte: „Nein.“ Dann ging er. 3. Oktober 2024, 14:30 Uhr!",
        "«Нет», — сказал он. Т. е. всё… Да?! 1,5 млн руб.",
        "북한이 “협상은 계속될 것”이라고 말했다. 그리고… 끝!",
        "  \n\t Spaces\u00a0and\u2009odd\u200b breaks.\n\nNew paragraph ?! ¿Qué? ¡Sí!",
    ]
    for lang in ("en", "fr", "de", "es", "ru", "uk", "ko", "it"):
        lean = get_pipeline(lang)
        full = _blank(lang)  # spaCy's own attribute functions, every one
        full.add_pipe("sentencizer")
        assert set(lean.vocab.lex_attr_getters) < set(full.vocab.lex_attr_getters)
        for text in texts:
            a, b = lean.make_doc(text), full.make_doc(text)
            attrs = [ORTH, IDX, IS_PUNCT, IS_SPACE]
            assert a.to_array(attrs).tolist() == b.to_array(attrs).tolist(), (lang, text)
            orths_a, orths_b = _sentencizer_orths(lean), _sentencizer_orths(full)
            assert _sentence_starts(a, orths_a) == _sentence_starts(b, orths_b), (lang, text)
            assert [s.start_char for s in lean(text).sents] == [
                s.start_char for s in full(text).sents
            ]


def test_screen_asks_only_present_items_as_asking_every_item(watchlist: Watchlist) -> None:
    """``any_wanted`` visits only the items with something present: the answer is that of
    ``wanted_slots`` on every item, for the screen's finds in the eval articles and for
    random sets of present slots (a rule's groups met in part, in full, with its aliases)."""
    import random

    from bot.nlp.matcher.plans import haystack_of
    from bot.nlp.matcher.slots import any_wanted, item_slots, wanted_slots

    every = [(ii, slot) for ii, item in enumerate(watchlist.items) for slot, _ in item_slots(item)]
    rng = random.Random(16)
    cases: list[set[tuple[int, Hashable]]] = [set(), set(every)]
    cases += [set(rng.sample(every, rng.randint(1, 8))) for _ in range(3000)]
    cases += [_all_keys_present(watchlist, "*", haystack_of("", p)) for p in _paragraphs(60)]
    wanted = 0
    for present in cases:
        expected = bool(wanted_slots(watchlist, present))
        assert any_wanted(watchlist, present) is expected, present
        wanted += expected
    assert 0 < wanted < len(cases)
