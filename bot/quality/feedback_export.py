"""The team's ratings of alerts as a labelled set that ``newsbot eval`` scores.

The layout is :mod:`bot.quality.labels`'s: ``labels.jsonl`` plus ``articles/NNN_<lang>_<slug>.txt``.
Per rated alert: "useful" makes the items it matched true, "not relevant" makes them false
(the majority of the answers across channels and people; a tie is flagged ``ambiguous``).
An id the alert did not match was never put to the team: it is labelled false and flagged
ambiguous, so ``newsbot eval --without-ambiguous`` scores only what people judged.

The text is the article's own while the store still keeps it (``retention``, 7 days by
default); for an alert rated later, what the alert stored: the headline, the lead and the
quotes, so a watch item matched only deeper in the body may be missed when the export is
scored. The export's README says which articles are which.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.models import Alert
from bot.quality.labels import WATCH_IDS
from bot.store.feedback import Rating
from bot.text import clean_line

README = """# Feedback export

Written by `newsbot feedback export`: the alerts your team rated, as a labelled set.
Score the watchlist against it with `newsbot eval {dir}` (add `--without-ambiguous` to
count only the items people judged).

- "Useful" -> the items the alert matched are labelled true; "Not relevant" -> false
  (majority of every answer, all channels; a tie is flagged ambiguous).
- Items the alert did not match are labelled false and flagged ambiguous: nobody judged them.
- Article text: the full article where the bot still kept it (`retention`; {full} of
  {total} here); for the others the alert's headline, lead and quotes only (the full text
  had been pruned), so a match found deeper in the original article may be missed there.
- Quotes are not labelled (`quotes: []`): this set measures relevance, not quotes.
"""


class ExportError(ValueError):
    """The folder cannot be written (not empty, not a folder)."""


@dataclass(frozen=True)
class Exported:
    articles: int
    true: int
    false: int
    ambiguous: int


def _slug(text: str, limit: int = 40) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:limit].rstrip("-") or "alert"


def article_text(alert: Alert, full_text: str | None = None) -> str:
    """Title on the first line (no final full stop, so it reads as the title), then the
    article's text when it was kept, else the lead and the quotes, each on its own
    paragraph."""
    title = clean_line(alert.title).rstrip(" .") or "(untitled)"
    if full_text and full_text.strip():
        return f"{title}\n\n{full_text.strip()}\n"
    parts = [title, ""]
    if alert.lead.strip():
        parts += [clean_line(alert.lead), ""]
    for q in alert.quotes:
        said = f"“{clean_line(q.text)}”"
        parts += [f"{said} said {clean_line(q.speaker)}." if q.speaker else said, ""]
    return "\n".join(parts).rstrip() + "\n"


def export_ratings(
    ratings: Sequence[Rating],
    directory: Path,
    ids: Sequence[str] = WATCH_IDS,
    full_texts: Mapping[str, str] | None = None,
) -> Exported:
    """Write the labelled set of ``ratings`` into ``directory`` (new or empty);
    ``full_texts``: the articles' text the store still keeps, by alert id."""
    full_texts = full_texts or {}
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportError(f"{directory}: must be a new or empty folder")
    votes: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    alerts: dict[str, Alert] = {}
    for r in ratings:
        alerts.setdefault(r.alert.id, r.alert)
        votes.setdefault(r.alert.id, Counter())[r.verdict] += 1
        if r.reason:
            reasons.setdefault(r.alert.id, Counter())[r.reason] += 1
    (directory / "articles").mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    n_true = n_false = n_ambiguous = 0
    all_ids = list(dict.fromkeys([*ids, *(m.id for a in alerts.values() for m in a.matches)]))
    for number, (alert_id, alert) in enumerate(alerts.items(), 1):
        lang = (alert.language or "und").split("-")[0].lower()[:8] or "und"
        name = f"articles/{number:03d}_{lang}_{_slug(alert.title)}.txt"
        (directory / name).write_text(article_text(alert, full_texts.get(alert_id)), encoding="utf-8")
        count = votes[alert_id]
        useful, against = count["useful"], count["not_relevant"]
        matched = set(alert.item_ids)
        labels: dict[str, bool] = {}
        ambiguous: list[str] = []
        for item in all_ids:
            if item in matched and useful != against:
                labels[item] = useful > against
            else:
                labels[item] = item in matched  # a tie: the bot's own answer, flagged
                ambiguous.append(item)
        n_true += sum(labels[i] for i in matched if i not in ambiguous)
        n_false += sum(not labels[i] for i in matched if i not in ambiguous)
        n_ambiguous += len(ambiguous)
        why = ", ".join(f"{w} {k}" for w, k in reasons.get(alert_id, Counter()).most_common())
        notes = f"feedback: {useful} useful, {against} not relevant" + (f" ({why})" if why else "")
        lines.append(json.dumps({
            # labels.py accepts only the set's own ids as ambiguous
            "file": name, "lang": lang, **labels, "quotes": [],
            "ambiguous": [i for i in ambiguous if i in ids],
            "hard_negative": [], "kind": "feedback", "notes": notes, "alert_id": alert_id,
        }, ensure_ascii=False))
    (directory / "labels.jsonl").write_text("\n".join(lines) + ("\n" if lines else ""),
                                            encoding="utf-8")
    full = sum(1 for alert_id in alerts if full_texts.get(alert_id))
    (directory / "README.md").write_text(
        README.format(dir=directory, full=full, total=len(alerts)), encoding="utf-8"
    )
    return Exported(len(alerts), n_true, n_false, n_ambiguous)
