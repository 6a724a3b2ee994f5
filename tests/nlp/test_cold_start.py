"""What a cold start loads: a command that matches nothing imports no spaCy and no
analyser, and a language's pipeline and analyser are built only once a document in that
language needs them. Also: the French pipeline built without spaCy's slow ``token_match``
gives the matcher the same words and sentences as spaCy's own French tokenizer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("spacy", "thinc", "numpy", "mecab", "pymorphy3", "py3langid")
"""The NLP packages: most cost seconds or tens of MB to import, and none is needed to start."""


def _run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter (nothing imported yet); the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _heavy_modules_after(args: list[str]) -> list[str]:
    return list(
        _run(
            "import json, sys\n"
            f"sys.argv = ['newsbot', *{args!r}]\n"
            "from bot.cli.main import main\n"
            "try:\n"
            "    main()\n"
            "except SystemExit:\n"
            "    pass\n"
            f"heavy = {HEAVY!r}\n"
            "print()\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(heavy))))\n"
        )
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "args", [["--help"], ["eval", "--help"], ["match", "--help"], ["bench", "--help"]]
)
def test_help_imports_neither_spacy_nor_an_analyser(args: list[str]) -> None:
    assert _heavy_modules_after(args) == []


WATCHLIST = """
items:
  - id: kursk
    name: Kursk
    aliases:
      fr: [Koursk]
      ko: [쿠르스크]
      ru: [Курск]
"""


@pytest.mark.slow
def test_matching_builds_only_the_languages_it_meets() -> None:
    built = _run(
        "import json, sys\n"
        "from bot.nlp import analyze, parse_watchlist\n"
        "from bot.nlp.pipelines import built_languages\n"
        f"wl = parse_watchlist({WATCHLIST!r})\n"
        "steps = [[built_languages(), 'mecab' in sys.modules]]\n"
        "analyze('Koursk', 'Le gouverneur de la région de Koursk a parlé hier soir.', wl)\n"
        "steps.append([built_languages(), 'mecab' in sys.modules])\n"
        "analyze('쿠르스크', '쿠르스크주 주지사가 어제 저녁 기자들에게 밝혔다.', wl)\n"
        "steps.append([built_languages(), 'mecab' in sys.modules])\n"
        "print(json.dumps(steps))\n"
    )
    assert built == [[[], False], [["fr"], False], [["fr", "ko"], True]]


@pytest.mark.slow
def test_french_matching_never_compiles_spacys_french_token_match() -> None:
    """The expression Python takes seconds to compile is left uncompiled by a French match
    (spaCy's module still offers it, compiled on first use, to a trained pipeline)."""
    state = _run(
        "import json, sys\n"
        "from bot.nlp import analyze, parse_watchlist\n"
        f"wl = parse_watchlist({WATCHLIST!r})\n"
        "analyze('Koursk', \"L'après-midi, le porte-parole nord-coréen a parlé de Koursk.\", wl)\n"
        "match = sys.modules['spacy.lang.fr.tokenizer_exceptions'].TOKEN_MATCH\n"
        "deferred = getattr(match, '__self__', None)\n"
        "print(json.dumps([deferred is not None, getattr(deferred, '_pattern', 0) is None]))\n"
    )
    assert state == [True, True]


@pytest.mark.slow
def test_spacys_french_expression_waits_compressed_and_its_pieces_go() -> None:
    """The French pipeline leaves spaCy's expression compressed (2.8 MB of text, read only
    if something ever uses it) and drops the list of its pieces."""
    state = _run(
        "import json, sys\n"
        "from bot.nlp.pipelines import get_pipeline\n"
        "get_pipeline('fr')\n"
        "module = sys.modules['spacy.lang.fr.tokenizer_exceptions']\n"
        "deferred = module.TOKEN_MATCH.__self__\n"
        "print(json.dumps([deferred._packed, hasattr(module, '_regular_exp')]))\n"
    )
    assert state == [True, False]


FRENCH = (
    "M. Dupont, porte-parole du ministère, a dit qu'aujourd'hui l'anti-missile nord-coréen "
    "— dit-il — n'est qu'un prêt-à-porter de l'arsenal. Mme. Durand a-t-elle vu l'entr'acte ? "
    "Les sous-marins sont arrivés le 3 janv. à Saint-Jean-de-Luz, face à l'arc-en-ciel, "
    "c'est-à-dire nulle part. Les F-16 et les Su-25 ? Voilà l’après-midi des va-t-en-guerre ; "
    "« Jusqu'au-boutistes ! » lança-t-on aux néo-conservateurs pro-russes et ultra-nationalistes."
)


def test_french_words_and_sentences_do_not_need_spacys_token_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``pipelines._french`` leaves out the one expression that keeps hyphenated and elided
    words whole; spaCy's French tokenizer with it must give the same ``analyse``."""
    import spacy

    from bot.nlp import pipelines
    from bot.nlp.matcher import analysis

    ours = pipelines.get_pipeline("fr")
    assert ours.lang == "fr" and ours.tokenizer.token_match is None
    theirs = spacy.blank("fr")  # compiles spaCy's token_match on first use (seconds)
    theirs.add_pipe("sentencizer")
    assert theirs.tokenizer.token_match is not None
    texts = [FRENCH] + [
        p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "tests" / "data" / "eval" / "articles").glob("*_fr_*.txt"))
    ]
    assert len(texts) > 10
    for text in texts:
        mine = analysis.analyse("fr", text, lambda w: "")
        monkeypatch.setattr(analysis, "get_pipeline", lambda lang: theirs)
        spacys = analysis.analyse("fr", text, lambda w: "")
        monkeypatch.undo()
        assert mine == spacys, text[:80]
    # the two tokenizers do differ (``nord-coréen`` is one token of spaCy's, three of ours)
    assert [t.text for t in ours(FRENCH)] != [t.text for t in theirs(FRENCH)]
