"""Scoring the matcher against a labelled set: pure functions over gold labels and what the
bot said (``labels.py`` reads a set, ``quote_rules.py`` decides a quote found and its speaker).
The rules are written out in the README ("Measuring the matcher") so that a number can be
checked by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.quality.labels import WATCH_IDS, Labelled, Predicted
from bot.quality.quote_rules import best_quote, speaker_matches

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
