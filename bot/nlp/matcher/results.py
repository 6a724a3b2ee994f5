"""``match``: the reading steps in order, then each item's hits turned into a scored
``Match`` (weights by title, lead and body; topic rules per sentence or word window)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Match
from bot.nlp.matcher.analysis import Doc, analyse
from bot.nlp.matcher.plans import candidates, compiled_for, haystack_of, text_fold
from bot.nlp.matcher.slots import ALIAS, EXCLUDE, rule_holds
from bot.nlp.matcher.words import FEW, Reading, by_sentence, items_of, key_positions, read
from bot.nlp.phrases import Hit
from bot.nlp.pipelines import is_configured
from bot.nlp.text import fold_aligned
from bot.nlp.watchlist import ANY_LANGUAGE, WatchItem, Watchlist

TITLE_WEIGHT = 3.0

LEAD_WEIGHT = 2.0

BODY_WEIGHT = 1.0

LEAD_SENTENCES = 2

LEAD_MAX_CHARS = 600


@dataclass
class _Found:
    """Hits of one item, accumulated over title and text."""

    count: int = 0
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)
    in_title: bool = False

    def add(self, surface: str, weight: float, span: tuple[int, int] | None, title: bool) -> None:
        self.count += 1
        self.score += weight
        if surface not in self.evidence:
            self.evidence.append(surface)
        if span is not None:
            self.spans.append(span)
        self.in_title = self.in_title or title


def _surface(doc: Doc, first: int, last: int) -> str:
    return doc.text[doc.words[first].start : doc.words[last].end]


def _without_excluded(hits: list[Hit], ii: int) -> list[Hit]:
    """Drop hits overlapping an exclude phrase, and shorter hits inside longer ones."""
    blocked: set[int] = set()
    for h in hits:
        if h.tag == (ii, EXCLUDE):
            blocked.update(range(h.first, h.last + 1))
    kept = [
        h
        for h in hits
        if h.tag != (ii, EXCLUDE) and not blocked.intersection(range(h.first, h.last + 1))
    ]
    return kept


def _longest(hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    covered = -1
    for h in sorted(hits, key=lambda h: (h.first, -h.last)):
        if h.first > covered:
            out.append(h)
            covered = h.last
    return out


def _snippet(doc: Doc, hits: Sequence[Hit]) -> tuple[str, tuple[int, int]]:
    """``fournir … obus … missiles``; near terms keep the words between (``envoyer des armes``)."""
    ordered = _longest(list(hits))[:4]
    parts = [_surface(doc, ordered[0].first, ordered[0].last)]
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if cur.first - prev.last <= 2:
            parts.append(doc.text[doc.words[prev.last].end : doc.words[cur.last].end])
        else:
            parts.append(" … " + _surface(doc, cur.first, cur.last))
    span = (doc.words[ordered[0].first].start, doc.words[ordered[-1].last].end)
    return "".join(parts), span


def _windows(item: WatchItem, hits: list[Hit], doc: Doc) -> list[list[Hit]]:
    """Groups of hits that a topic rule is evaluated on: sentences, or word windows."""
    rule = item.rule
    within = rule.within if rule is not None else "sentence"
    if within == "sentence":
        by_sent: dict[int, list[Hit]] = {}
        for h in hits:
            by_sent.setdefault(doc.words[h.first].sent, []).append(h)
        return [by_sent[s] for s in sorted(by_sent)]
    assert isinstance(within, int)
    anchors = sorted(
        (h for h in hits if isinstance(h.tag, tuple) and h.tag[1] != EXCLUDE), key=lambda h: h.first
    )
    windows = []
    for a in anchors:
        windows.append([h for h in hits if abs(h.first - a.first) <= within])
    return windows


def _topic_holds(item: WatchItem, ii: int, window: list[Hit]) -> tuple[bool, bool]:
    """(holds, by_phrase) for one window."""
    slots = {h.tag[1] for h in window if isinstance(h.tag, tuple)}
    vetoed = [
        any(("none", r, g) in slots for g in range(len(rule.none_of)))
        for r, rule in enumerate(item.rules)
    ]
    if vetoed and vetoed[0]:
        return False, False  # the main rule's none_of cancels the sentence, aliases too
    if ALIAS in slots:
        return True, True
    holds = any(
        not vetoed[r] and rule_holds(rule, r, slots.__contains__)
        for r, rule in enumerate(item.rules)
    )
    return holds, False


def _collect(
    item: WatchItem,
    ii: int,
    doc: Doc,
    hits: list[Hit],
    found: _Found,
    weight_at: Any,
    title: bool,
) -> None:
    hits = _without_excluded([h for h in hits if isinstance(h.tag, tuple) and h.tag[0] == ii], ii)
    if item.kind == "entity":
        for h in _longest([h for h in hits if h.tag == (ii, ALIAS)]):
            start, end = doc.words[h.first].start, doc.words[h.last].end
            weight, in_title = weight_at(start)
            found.add(
                doc.text[start:end], weight, None if title else (start, end), title or in_title
            )
        return
    used: set[int] = set()
    for window in _windows(item, hits, doc):
        holds, by_phrase = _topic_holds(item, ii, window)
        if not holds or any(h.first in used for h in window if h.tag[1] != EXCLUDE):  # type: ignore[index]
            continue
        if by_phrase:
            chosen = [h for h in window if h.tag == (ii, ALIAS)][:1]
        else:
            chosen = [h for h in window if h.tag[1] not in (ALIAS, EXCLUDE)]  # type: ignore[index]
        used.update(h.first for h in window)
        surface, (start, end) = _snippet(doc, chosen)
        weight, in_title = weight_at(start)
        found.add(surface, weight, None if title else (start, end), title or in_title)


def match(
    title: str, text: str, watchlist: Watchlist, language: str, *, haystack: str | None = None
) -> tuple[Match, ...]:
    """Watch items found in the document that reach their ``min_score``, strongest first.

    ``spans`` are offsets into ``text``. When ``text`` starts with ``title`` (a headline
    taken from the first sentence) those hits count once, as title hits. ``haystack`` is
    ``haystack_of(title, text)`` when the caller already folded it.
    """
    if not watchlist.items or not (title.strip() or text.strip()):
        return ()
    lang = language.lower() if language else ANY_LANGUAGE
    compiled = compiled_for(watchlist)
    plan = compiled.plan(watchlist, lang)
    t = title.strip()
    lead_ws = len(text) - len(text.lstrip())
    derived = bool(t) and text.startswith(t, lead_ws)
    hits: list[int] | None = None
    if haystack is None:
        haystack = haystack_of(title, text)
    folded = fold_aligned(text, text_fold(title, text, haystack))
    if not is_configured(lang):
        # Most documents that pass the prefilter are near misses: check each phrase whole,
        # word by word, before paying for spaCy (the title too, when it is not the text's
        # start); spaCy then reads only the sentences around phrases that stand whole.
        readings = [Reading(plan, watchlist, text, folded)]
        if t and not derived:
            readings.append(Reading(plan, watchlist, t, fold_aligned(t)))
        read(readings)
        wanted = set().union(*(r.wanted for r in readings))
        if wanted and sum(r.occurrences(wanted) for r in readings) <= FEW:
            # a near miss (Kurs, 북한산, arms race): drop what an exclude phrase cancels
            wanted &= set().union(*(r.unexcluded(wanted) for r in readings))
        if not wanted:
            return ()
        if by_sentence(items_of(watchlist, wanted)):  # else a word window: read it all
            hits = readings[0].offsets(wanted)
    else:
        wanted = candidates(plan, watchlist, haystack)
        if not wanted:
            return ()
        if folded is not None and by_sentence(items_of(watchlist, wanted)):
            hits = key_positions(plan, wanted, folded)
    doc = analyse(lang, text, plan.lemma, hits, folded)
    title_end = lead_ws + len(t) if derived else 0
    body = [s for s in doc.sent_starts if s >= title_end]
    body_start = body[0] if body else title_end
    lead_end = body[LEAD_SENTENCES] if len(body) > LEAD_SENTENCES else len(text)
    lead_end = min(lead_end, body_start + LEAD_MAX_CHARS)

    def text_weight(pos: int) -> tuple[float, bool]:
        if pos < title_end:
            return TITLE_WEIGHT, True
        return (LEAD_WEIGHT if pos < lead_end else BODY_WEIGHT), False

    def title_weight(pos: int) -> tuple[float, bool]:
        return TITLE_WEIGHT, True

    text_hits = plan.index.find(doc.words, wanted)
    title_doc = analyse(lang, t, plan.lemma) if t and not derived else None
    title_hits = plan.index.find(title_doc.words, wanted) if title_doc else []

    results: list[tuple[float, int, Match]] = []
    for ii, item in enumerate(watchlist.items):
        if (ii, ALIAS) not in wanted:
            continue
        found = _Found()
        if title_doc is not None:
            _collect(item, ii, title_doc, title_hits, found, title_weight, title=True)
        _collect(item, ii, doc, text_hits, found, text_weight, title=False)
        score = round(found.score, 2)
        if found.count and score >= item.min_score:
            m = Match(
                id=item.id,
                name=item.name,
                kind=item.kind,
                count=found.count,
                score=score,
                evidence=tuple(found.evidence),
                spans=tuple(found.spans),
                in_title=found.in_title,
            )
            results.append((-score, ii, m))
    # Watchlist order: admins list first what matters most to them, and an alert's header
    # and why-lines follow it rather than whichever broad item happens to be most frequent.
    results.sort(key=lambda r: r[1])
    return tuple(m for _, _, m in results)
