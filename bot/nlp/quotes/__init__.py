"""Direct speech and who said it: ``extract_quotes(text, language)``.

Quotation marks in real articles are often mismatched (``“ … »``), nested, or used for
scare-quotes (``« victoire »``). So pairs are found with a small stack that accepts any
plausible closer, one-or-two-word quotes are dropped, and dash-introduced speech
(``— Мы не допустим…, — заявил он``) is read too. The speaker is taken from an attribution
next to the quote (``a déclaré Choe Son Hui``, ``Blinken said``, ``заявил Песков``,
``…라고 말했다``); a pronoun or role (``a-t-il ajouté``, ``a ajouté la ministre``) takes the
last speaker named in a main clause.

The package keeps the algorithm in modules by concern (``spans``, ``attribution``,
``speakers``, ``reported``, ``korean``, ``cjk``) and every language's words as data in
``bot/nlp/lexicons/*.json`` (``wordlists``).
"""

from __future__ import annotations

from bot.nlp.quotes.attribution import LEAD
from bot.nlp.quotes.extract import MIN_WORDS, extract_quotes
from bot.nlp.quotes.reported import REPORTED_CHARS, REPORTED_SENTENCES
from bot.nlp.quotes.speakers import CONTEXT, common_nouns, lowercase_words
from bot.nlp.quotes.wordlists import LEXICONS, LexiconError, lexicon, lexicon_languages

__all__ = [
    "CONTEXT",
    "LEAD",
    "LEXICONS",
    "MIN_WORDS",
    "REPORTED_CHARS",
    "REPORTED_SENTENCES",
    "LexiconError",
    "common_nouns",
    "extract_quotes",
    "lexicon",
    "lexicon_languages",
    "lowercase_words",
]
