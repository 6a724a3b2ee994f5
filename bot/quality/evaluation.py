"""Scoring the matcher against a labelled set: pure functions, no I/O beyond reading labels.

A labelled set is a folder with ``labels.jsonl`` (one object per article: ``file``, ``lang``,
one boolean per watch id, ``quotes`` [{"text", "speaker"}], ``ambiguous`` [ids]) and the
articles it names (``articles/NNN_<lang>_<slug>.txt``). ``tests/data/eval`` is ours;
``../shared/devset`` has the same layout. The rules are written out in the README
("Measuring the matcher") so that a number can be checked by hand.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WATCH_IDS: tuple[str, ...] = ("north-korea", "kursk", "arms-transfers", "russia", "ukraine")
"""The ids every labelled set carries (the default watchlist's)."""

QUOTE_COVERAGE = 0.60
"""A predicted quote inside a labelled one must cover at least this share of it."""

TARGET_F1_ID = 0.97
"""Issue 16: each default item, all pairs (issue 3 asked 0.95)."""
TARGET_F1_LANGUAGE = 0.93
"""Issue 16: each language, micro over the ids (issue 3 asked 0.90)."""
TARGET_QUOTE_RECALL = 0.93
TARGET_SPEAKER_ACCURACY = 0.90
TARGET_SPEAKER_PRECISION = 0.97
"""A wrong name under a quote is worse than none: of the speakers the bot shows under found
quotes, this share must be right. All three are issue 16's (recall 0.93, accuracy 0.90,
precision 0.97), met on both our set and the devset."""


class EvalSetError(ValueError):
    """A labelled set that cannot be scored; ``str()`` is ``"<file>:<line>: <reason>"``."""


@dataclass(frozen=True)
class LabelledQuote:
    text: str
    speaker: str | None


@dataclass(frozen=True)
class Labelled:
    """One article's gold labels."""

    file: str
    lang: str
    labels: Mapping[str, bool]
    quotes: tuple[LabelledQuote, ...] = ()
    ambiguous: frozenset[str] = frozenset()
    kind: str = "article"
    notes: str = ""


@dataclass(frozen=True)
class Predicted:
    """What the bot said about one article: the ids it matched and the quotes it found."""

    ids: frozenset[str]
    quotes: tuple[LabelledQuote, ...] = ()
    language: str = ""


@dataclass
class Counts:
    """Confusion counts for a set of (article, id) pairs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, predicted: bool) -> None:
        if gold and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        """1.0 when nothing was predicted: no claim, no wrong claim."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class LabelError:
    """One wrong (article, id) decision."""

    file: str
    id: str
    kind: str
    """``FP`` (matched, should not have) or ``FN`` (missed)."""
    ambiguous: bool = False


@dataclass(frozen=True)
class QuoteError:
    """A labelled quote that was not found, or found with the wrong speaker."""

    file: str
    text: str
    speaker: str | None
    predicted_speaker: str | None
    found: bool


@dataclass
class Report:
    """Every number ``newsbot eval`` prints."""

    per_id: dict[str, Counts]
    per_language: dict[str, Counts]
    overall: Counts
    articles: int
    skipped_pairs: int
    quotes_labelled: int = 0
    quotes_found: int = 0
    speakers_labelled: int = 0
    speakers_right: int = 0
    speakers_shown: int = 0
    """Found quotes under which the bot shows a speaker (whether or not the label names one)."""
    speakers_shown_right: int = 0
    errors: list[LabelError] = field(default_factory=list)
    quote_errors: list[QuoteError] = field(default_factory=list)

    @property
    def quote_recall(self) -> float:
        return self.quotes_found / self.quotes_labelled if self.quotes_labelled else 1.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speakers_right / self.speakers_labelled if self.speakers_labelled else 1.0

    @property
    def speaker_precision(self) -> float:
        """Right speakers over speakers shown: a name under a quote the label gives to nobody
        (or to someone else) counts against it, no name does not."""
        return self.speakers_shown_right / self.speakers_shown if self.speakers_shown else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "skipped_ambiguous_pairs": self.skipped_pairs,
            "per_id": {k: v.as_dict() for k, v in self.per_id.items()},
            "per_language": {k: v.as_dict() for k, v in self.per_language.items()},
            "overall": self.overall.as_dict(),
            "quotes": {
                "labelled": self.quotes_labelled,
                "found": self.quotes_found,
                "recall": round(self.quote_recall, 4),
                "speakers_labelled": self.speakers_labelled,
                "speakers_right": self.speakers_right,
                "speaker_accuracy": round(self.speaker_accuracy, 4),
                "speakers_shown": self.speakers_shown,
                "speakers_shown_right": self.speakers_shown_right,
                "speaker_precision": round(self.speaker_precision, 4),
            },
            "errors": [
                {"file": e.file, "id": e.id, "kind": e.kind, "ambiguous": e.ambiguous}
                for e in self.errors
            ],
            "quote_errors": [
                {
                    "file": q.file,
                    "text": q.text,
                    "speaker": q.speaker,
                    "predicted_speaker": q.predicted_speaker,
                    "found": q.found,
                }
                for q in self.quote_errors
            ],
        }


# --- reading a labelled set -------------------------------------------------------------


def _quote(raw: object, where: str) -> LabelledQuote:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"]:
        raise EvalSetError(f"{where}: each quote needs a non-empty 'text'")
    speaker = raw.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise EvalSetError(f"{where}: a quote's 'speaker' is a string or null")
    return LabelledQuote(raw["text"], speaker or None)


def parse_label(obj: object, where: str, ids: Sequence[str] = WATCH_IDS) -> Labelled:
    """One line of ``labels.jsonl``; ``where`` (``file:line``) prefixes any error."""
    if not isinstance(obj, dict):
        raise EvalSetError(f"{where}: expected a JSON object")
    file, lang = obj.get("file"), obj.get("lang")
    if not isinstance(file, str) or not file:
        raise EvalSetError(f"{where}: missing 'file'")
    if not isinstance(lang, str) or not lang:
        raise EvalSetError(f"{where}: missing 'lang'")
    labels: dict[str, bool] = {}
    for item in ids:
        value = obj.get(item)
        if not isinstance(value, bool):
            raise EvalSetError(f"{where}: '{item}' must be true or false")
        labels[item] = value
    quotes = obj.get("quotes") or []
    ambiguous = obj.get("ambiguous") or []
    if not isinstance(quotes, list):
        raise EvalSetError(f"{where}: 'quotes' must be a list")
    if not isinstance(ambiguous, list) or not all(a in ids for a in ambiguous):
        raise EvalSetError(f"{where}: 'ambiguous' must list watch ids ({', '.join(ids)})")
    return Labelled(
        file=file,
        lang=lang,
        labels=labels,
        quotes=tuple(_quote(q, where) for q in quotes),
        ambiguous=frozenset(ambiguous),
        kind=str(obj.get("kind") or "article"),
        notes=str(obj.get("notes") or ""),
    )


def load_labels(directory: Path, ids: Sequence[str] = WATCH_IDS) -> list[Labelled]:
    """Every labelled article of ``directory``; every named file must exist."""
    path = Path(directory) / "labels.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalSetError(f"{path}:0: cannot read ({exc.strerror or exc})") from exc
    items: list[Labelled] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{where}: not JSON ({exc.msg})") from exc
        item = parse_label(obj, where, ids)
        if item.file in seen:
            raise EvalSetError(f"{where}: {item.file} is labelled twice")
        if not (Path(directory) / item.file).is_file():
            raise EvalSetError(f"{where}: {item.file} does not exist")
        seen.add(item.file)
        items.append(item)
    if not items:
        raise EvalSetError(f"{path}:0: no labelled articles")
    return items


# --- the rules ----------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w]+")


def normalize_quote(text: str) -> str:
    """NFKC, casefold, punctuation and quotation marks gone, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(
        " " if unicodedata.category(c)[0] in "PSZC" else c for c in folded
    )
    return " ".join(kept.split())


def quote_overlap(labelled: str, predicted: str) -> float:
    """How well ``predicted`` covers ``labelled`` (both normalised): 1.0 when it contains
    it, the covered share when it lies inside it, 0.0 otherwise."""
    if not labelled or not predicted:
        return 0.0
    if labelled in predicted:
        return 1.0
    if predicted in labelled:
        return len(predicted) / len(labelled)
    return 0.0


def best_quote(labelled: str, predicted: Sequence[LabelledQuote]) -> LabelledQuote | None:
    """The predicted quote that finds ``labelled`` best (None when none does): containing
    it beats lying inside it; among those, the tightest."""
    target = normalize_quote(labelled)
    best: tuple[float, int] | None = None
    chosen: LabelledQuote | None = None
    for quote in predicted:
        norm = normalize_quote(quote.text)
        cover = quote_overlap(target, norm)
        if cover < QUOTE_COVERAGE:
            continue
        rank = (cover, -len(norm))
        if best is None or rank > best:
            best, chosen = rank, quote
    return chosen


_TITLE_WORDS = """
mr mrs ms dr sir president vice prime minister secretary general spokesman spokeswoman
spokesperson m mme président présidente ministre porte parole herr frau präsident
präsidentin kanzler kanzlerin minister ministerin sprecher sprecherin señor señora presidente
ministro ministra portavoz господин президент премьер министр глава пан пані прем єр міністр
речник 대통령 위원장 국무위원장 총비서 장관 총리 부의장 의장 대변인 외무상 국방상 씨
"""
TITLE_WORDS = frozenset(_TITLE_WORDS.split())
"""Titles dropped from a speaker's name before comparing ("Putin" = "President Putin");
a name that is nothing but titles keeps them."""


def speaker_tokens(name: str | None) -> frozenset[str]:
    if not name:
        return frozenset()
    words = frozenset(normalize_quote(name).split())
    return (words - TITLE_WORDS) or words


def speaker_matches(labelled: str | None, predicted: str | None) -> bool:
    """Same speaker when one name's words are a subset of the other's ("Blinken" =
    "Antony Blinken"); no predicted speaker is never right."""
    gold, guess = speaker_tokens(labelled), speaker_tokens(predicted)
    if not gold or not guess:
        return False
    return gold <= guess or guess <= gold


def score(
    pairs: Iterable[tuple[Labelled, Predicted]],
    ids: Sequence[str] = WATCH_IDS,
    *,
    skip_ambiguous: bool = False,
) -> Report:
    """Precision/recall per id and per language (micro over ``ids``), quote recall and
    speaker accuracy. ``skip_ambiguous`` leaves the (article, id) pairs the annotator
    flagged as debatable out of the label counts (quotes are always counted)."""
    per_id = {i: Counts() for i in ids}
    per_language: dict[str, Counts] = {}
    overall = Counts()
    report = Report(per_id, per_language, overall, articles=0, skipped_pairs=0)
    for gold, guess in pairs:
        report.articles += 1
        lang_counts = per_language.setdefault(gold.lang, Counts())
        for item in ids:
            flagged = item in gold.ambiguous
            if skip_ambiguous and flagged:
                report.skipped_pairs += 1
                continue
            truth, said = gold.labels[item], item in guess.ids
            for counts in (per_id[item], lang_counts, overall):
                counts.add(truth, said)
            if truth != said:
                report.errors.append(LabelError(gold.file, item, "FP" if said else "FN", flagged))
        for quote in gold.quotes:
            report.quotes_labelled += 1
            found = best_quote(quote.text, guess.quotes)
            if found is not None:
                report.quotes_found += 1
            right = False
            if quote.speaker is not None and found is not None:
                report.speakers_labelled += 1
                right = speaker_matches(quote.speaker, found.speaker)
                report.speakers_right += right
            shown = found is not None and found.speaker is not None
            if shown:
                report.speakers_shown += 1
                report.speakers_shown_right += right
            if found is None or (quote.speaker is not None and not right) or (shown and not right):
                report.quote_errors.append(
                    QuoteError(
                        gold.file,
                        quote.text,
                        quote.speaker,
                        found.speaker if found else None,
                        found is not None,
                    )
                )
    report.per_language = dict(sorted(per_language.items()))
    return report


def missed_targets(
    report: Report,
    *,
    f1_id: float = TARGET_F1_ID,
    f1_language: float = TARGET_F1_LANGUAGE,
) -> list[str]:
    """Why ``report`` is below the targets (empty when it meets them all). ``f1_id`` and
    ``f1_language`` default to issue 16's; a set not yet there can be held to a floor."""
    missed: list[str] = []
    for item, counts in report.per_id.items():
        if counts.f1 < f1_id:
            missed.append(f"F1 {item} {counts.f1:.3f} < {f1_id}")
    for lang, counts in report.per_language.items():
        if counts.f1 < f1_language:
            missed.append(f"F1 language {lang} {counts.f1:.3f} < {f1_language}")
    if report.quote_recall < TARGET_QUOTE_RECALL:
        missed.append(f"quote recall {report.quote_recall:.3f} < {TARGET_QUOTE_RECALL}")
    if report.speaker_accuracy < TARGET_SPEAKER_ACCURACY:
        missed.append(
            f"speaker accuracy {report.speaker_accuracy:.3f} < {TARGET_SPEAKER_ACCURACY}"
        )
    if report.speaker_precision < TARGET_SPEAKER_PRECISION:
        missed.append(
            f"speaker precision {report.speaker_precision:.3f} < {TARGET_SPEAKER_PRECISION}"
        )
    return missed
