"""The matching benchmark behind ``newsbot bench``: a 10,000-document stream, ~5% relevant.

Documents are generated one at a time (``stream.py``, afresh for each pass) from templates written for this benchmark (seven
languages, 500-5,000 characters, fixed seed), so the run needs no data and no network.
As in a real stream, each document is about one subject (a few templates of its
language) and a fifth of them carry a near miss (Kurs, 북한산, arms race, Prussia...).
It measures, in one process on one core:

- the full path a new article takes: prefilter, language detection for what passes it,
  word-level confirmation, spaCy, quotes and ``build_alert`` for what matched (``analyze``
  with its default, quotes only on a match); and, of the same run, the documents that
  passed the prefilter but matched nothing (near misses) and the relevant ones;
- the prefilter with language detection for what passes it, and the prefilter alone (the
  automaton over every alias, with the language known), what most documents cost;

and prints documents per second, per-document latency (p50, p99), relevant documents per
second through the full path, and peak memory (RSS) with every language loaded: the ten
pipelines (the stream's seven, and it, ja, zh, matched once each before timing), and every
morphological analyser (pymorphy3 ru/uk, MeCab-ko ko).
It also times the quote extractor alone on a hostile 1 MB document that is nearly all
quotation (``quoted_document``): attributed quotes, one paragraph of many short quotes,
and quotes that never close.
The machine it runs on may be shared: read the numbers as an order of magnitude.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from bot.quality.benchmarks.stream import DOCS, LANGS, SEED, Doc, iter_stream, quoted_document

LOADED_ONLY = {
    "it": "La Corea del Nord ha inviato truppe nella regione di Kursk.",
    "ja": "北朝鮮がクルスク州に部隊を派遣した。",
    "zh": "朝鲜向库尔斯克州派遣了部队。",
}
"""Languages the stream does not hold, matched once so that the peak includes them."""


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass
class Timing:
    name: str
    latencies_ns: list[int]
    relevant_ns: int = 0
    relevant_docs: int = 0
    passed: int = 0
    cpu_ns: list[int] = field(default_factory=list)
    """This thread's CPU time per document (the full path): what a shared machine's other
    processes leave out of the wall-clock numbers, so that runs on a busy day compare."""

    @property
    def total_s(self) -> float:
        return sum(self.latencies_ns) / 1e9

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k] / 1e6

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "docs": len(self.latencies_ns),
            "seconds": round(self.total_s, 3),
            "docs_per_s": round(len(self.latencies_ns) / self.total_s, 1),
            "p50_ms": round(self.percentile_ms(50), 3),
            "p99_ms": round(self.percentile_ms(99), 3),
            "passed": self.passed,
        }
        if self.cpu_ns:
            out["cpu_docs_per_s"] = round(len(self.cpu_ns) / (sum(self.cpu_ns) / 1e9), 1)
        if self.relevant_docs:
            out["relevant_docs"] = self.relevant_docs
            out["relevant_docs_per_s"] = round(self.relevant_docs / (self.relevant_ns / 1e9), 1)
        return out


def _prefilter(watchlist: Any) -> Callable[[str, str, str], bool]:
    """The matcher's own prefilter: may this document match anything at all?

    Uses the matcher's internals (the same automaton ``match`` consults first), because
    the point is to time exactly that step.
    """
    from bot.nlp.matcher.plans import candidates, compiled_for
    from bot.nlp.text import fold

    compiled = compiled_for(watchlist)

    def passes(title: str, text: str, lang: str) -> bool:
        plan = compiled.plan(watchlist, lang)
        return bool(candidates(plan, watchlist, fold(f"{title}\n{text}")))

    return passes


def _batched(docs: int, seed: int, size: int = 500) -> Iterator[Doc]:
    """The stream's documents in order, made ``size`` at a time (~2 MB)."""
    stream = iter_stream(docs, seed)
    while batch := list(islice(stream, size)):
        yield from batch


def time_quotes(chars: int = 1_000_000) -> dict[str, Any]:
    """Seconds ``extract_quotes`` takes on ``quoted_document(chars)``, and how many quotes."""
    from bot.nlp import extract_quotes

    text = quoted_document(chars)
    t0 = time.perf_counter()
    found = extract_quotes(text, "en")
    return {"chars": len(text), "seconds": round(time.perf_counter() - t0, 3), "quotes": len(found)}


def run(docs: int = DOCS, seed: int = SEED) -> dict[str, Any]:
    """Build the stream, load every pipeline, time the three paths; numbers as a dict."""
    from bot.alerts.build import build_alert
    from bot.nlp import analyze, could_match, detect_language, get_pipeline, load_watchlist
    from bot.nlp.matcher import haystack_of
    from bot.nlp.pipelines import korean_analyzer, morph_analyzer

    rss_start = _rss_mb()
    watchlist = load_watchlist(Path(__file__).resolve().parents[3] / "config" / "watchlist.yaml")
    for lang in (*LANGS, *LOADED_ONLY):  # all ten, as in a bot reading every language
        get_pipeline(lang)
    for lang in ("ru", "uk"):
        morph_analyzer(lang)
    korean_analyzer()
    first: dict[str, Doc] = {}  # each language's first relevant document, else its first
    for d in iter_stream(docs, seed):
        if d.lang not in first or (d.relevant and not first[d.lang].relevant):
            first[d.lang] = d
    for d in first.values():  # compile the watchlist for each language before timing
        analyze(d.article.title, d.article.text, watchlist)
    for lang, text in LOADED_ONLY.items():
        analyze(text, text, watchlist, lang)
    rss_loaded = _rss_mb()

    # The stream is generated afresh for each pass (the same documents, in the same
    # order), outside the timed calls: held as a list it took ~40 MB of the peak. It is
    # made a batch at a time, so that the timed calls still run one after another.
    full = Timing("full path", [])
    near = Timing("  passed, no match", [])
    hit = Timing("  alerted", [])
    count = relevant = chars = relevant_missed = irrelevant_alerted = 0
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for d in _batched(docs, seed):
        c0 = cpu_clock()
        t0 = clock()
        analysis = analyze(d.article.title, d.article.text, watchlist, d.article.language)
        if analysis.alert:
            build_alert(d.article, analysis)
        spent = clock() - t0
        cpu = cpu_clock() - c0
        full.latencies_ns.append(spent)
        full.cpu_ns.append(cpu)
        count += 1
        relevant += d.relevant
        chars += len(d.article.text)
        relevant_missed += d.relevant and not analysis.alert
        irrelevant_alerted += analysis.alert and not d.relevant
        if analysis.alert:
            full.passed += 1
            full.relevant_docs += 1
            full.relevant_ns += spent
            hit.latencies_ns.append(spent)
            hit.cpu_ns.append(cpu)
            hit.passed += 1
        elif could_match(watchlist, haystack_of(d.article.title, d.article.text)):
            near.latencies_ns.append(spent)
            near.cpu_ns.append(cpu)
            near.passed += 1

    passes = _prefilter(watchlist)
    langs = [
        detect_language(f"{d.article.title}\n{d.article.text}") for d in iter_stream(docs, seed)
    ]
    detect = Timing("prefilter + detect", [])
    alone = Timing("prefilter alone", [])
    for d in _batched(docs, seed):
        # as ``analyze`` does: the language-free screen, then detection only on a pass
        t0 = clock()
        if could_match(watchlist, haystack_of(d.article.title, d.article.text)):
            lang = detect_language(f"{d.article.title}\n{d.article.text}")
            detect.passed += passes(d.article.title, d.article.text, lang)
        detect.latencies_ns.append(clock() - t0)
    for d, lang in zip(_batched(docs, seed), langs, strict=True):
        t0 = clock()
        alone.passed += passes(d.article.title, d.article.text, lang)
        alone.latencies_ns.append(clock() - t0)

    return {
        "docs": count,
        "relevant_generated": relevant,
        "mean_chars": round(chars / count),
        "alerted": full.passed,
        "relevant_not_alerted": relevant_missed,
        "irrelevant_alerted": irrelevant_alerted,
        "prefilter_pass_share": round(alone.passed / count, 3),
        "paths": {t.name: t.as_dict() for t in (full, near, hit, detect, alone) if t.latencies_ns},
        "rss_mb": {
            "start": round(rss_start, 1),
            "pipelines_loaded": round(rss_loaded, 1),
            "peak": round(_rss_mb(), 1),
        },
        "quotes_1mb": time_quotes(),
    }


def main(docs: int = DOCS, as_json: bool = False, seed: int = SEED) -> None:
    """Print the numbers (a table, or one JSON object with ``as_json``)."""
    from rich.console import Console
    from rich.table import Table

    result = run(docs, seed)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    out = Console()
    out.print(
        f"{result['docs']} documents ({result['relevant_generated']} relevant by construction, "
        f"mean {result['mean_chars']} characters, {len(LANGS)} languages); "
        f"{result['alerted']} alerted ({result['relevant_not_alerted']} relevant missed, "
        f"{result['irrelevant_alerted']} others alerted); "
        f"{result['prefilter_pass_share']:.0%} pass the prefilter",
        highlight=False,
    )
    table = Table(title="matching, one process", title_justify="left")
    for col in ("path", "docs/s", "CPU docs/s", "p50 ms", "p99 ms", "passed", "relevant docs/s"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for name, t in result["paths"].items():
        table.add_row(
            name,
            f"{t['docs_per_s']:,.0f}",
            f"{t['cpu_docs_per_s']:,.0f}" if "cpu_docs_per_s" in t else "",
            f"{t['p50_ms']:.3f}",
            f"{t['p99_ms']:.3f}",
            str(t["passed"]),
            f"{t['relevant_docs_per_s']:,.0f}" if "relevant_docs_per_s" in t else "",
        )
    out.print(table)
    rss = result["rss_mb"]
    out.print(
        f"peak RSS {rss['peak']:.0f} MB (start {rss['start']:.0f} MB, "
        f"{len(LANGS) + len(LOADED_ONLY)} pipelines and the analysers loaded {rss['pipelines_loaded']:.0f} MB)",
        highlight=False,
    )
    q = result["quotes_1mb"]
    out.print(
        f"quotes: 1 MB quoted document ({q['chars']:,} characters, {q['quotes']:,} quotes) "
        f"in {q['seconds']:.2f} s",
        highlight=False,
    )
