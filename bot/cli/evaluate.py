"""``newsbot eval``: the matcher scored on a labelled set, as tables or one JSON report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    WatchlistOpt,
    fail,
    load_settings,
    print_json,
)
from bot.settings.errors import ConfigError
from bot.text import plural


def predict_set(
    directory: Path, watchlist: Any, max_bytes: int
) -> tuple[list[Any], list[Any], list[str]]:
    """Labels of a labelled set and what the bot says about each article, read like seed
    files (``read_document``, language detected) and analysed with quotes.

    Returns ``(labelled, predicted, problems)``; an unreadable article counts as matching
    nothing and is named in ``problems``.
    """
    from bot.nlp import analyze
    from bot.quality.labels import LabelledQuote, Predicted, load_labels
    from bot.sources.files import DocumentError, read_document

    labelled = load_labels(directory)
    predicted: list[Predicted] = []
    problems: list[str] = []
    for gold in labelled:
        path = Path(directory) / gold.file
        try:
            article = read_document(path, max_bytes)
            analysis = analyze(article.title, article.text, watchlist, article.language, quotes=True)
        except (DocumentError, OSError) as exc:
            problems.append(str(exc))
            predicted.append(Predicted(frozenset()))
            continue
        predicted.append(
            Predicted(
                ids=frozenset(m.id for m in analysis.matches),
                quotes=tuple(LabelledQuote(q.text, q.speaker) for q in analysis.quotes),
                language=analysis.language,
            )
        )
    return labelled, predicted, problems


def _pct(value: float) -> str:
    return f"{value:.3f}"


def _eval_tables(main: Any, other: Any, labelled: list[Any], other_name: str) -> list[Any]:
    """The per-id and per-language tables, with the other ambiguity setting's F1 beside."""
    from rich.table import Table

    def table(title: str, first: str, rows: dict[str, Any], others: dict[str, Any]) -> Table:
        t = Table(title=title, title_justify="left")
        t.add_column(first)
        if first == "lang":
            t.add_column("docs", justify="right")
        for col in ("TP", "FP", "FN", "precision", "recall", "F1", f"F1 {other_name}"):
            t.add_column(col, justify="right")
        docs = {lang: sum(1 for g in labelled if g.lang == lang) for lang in rows}
        docs["all"] = len(labelled)
        for key, c in rows.items():
            cells = [key] + ([str(docs[key])] if first == "lang" else [])
            cells += [str(c.tp), str(c.fp), str(c.fn), _pct(c.precision), _pct(c.recall)]
            cells += [f"[bold]{_pct(c.f1)}[/bold]", _pct(others[key].f1)]
            t.add_row(*cells)
        return t

    by_id = table("per watch id", "id", main.per_id, other.per_id)
    by_lang = table(
        "per language (micro over the ids)",
        "lang",
        {**main.per_language, "all": main.overall},
        {**other.per_language, "all": other.overall},
    )
    return [by_id, by_lang]


def eval_command(
    directory: Annotated[
        Path, typer.Argument(help="A labelled set: labels.jsonl + articles/.")
    ] = Path("tests/data/eval"),
    watchlist: WatchlistOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    errors: Annotated[
        bool, typer.Option("--errors", help="List every wrong decision and missed quote.")
    ] = False,
    without_ambiguous: Annotated[
        bool,
        typer.Option(
            "--without-ambiguous",
            help="Headline numbers (and --check) leave out pairs flagged ambiguous.",
        ),
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when below the targets (issue 16).")
    ] = False,
    min_f1_id: Annotated[
        float | None,
        typer.Option("--min-f1-id", help="F1 floor per id for --check (default: the target)."),
    ] = None,
    min_f1_language: Annotated[
        float | None,
        typer.Option(
            "--min-f1-language", help="F1 floor per language for --check (default: the target)."
        ),
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Score the matcher on a labelled set: precision/recall/F1 per id and language, quotes."""
    from rich.table import Table

    from bot.nlp.watchlist import load_watchlist
    from bot.quality.evaluation import TARGET_F1_ID, TARGET_F1_LANGUAGE, missed_targets, score
    from bot.quality.labels import EvalSetError

    settings = load_settings(config)
    try:
        wl = load_watchlist(watchlist or settings.resolve(settings.watchlist))
        labelled, predicted, problems = predict_set(directory, wl, settings.max_file_bytes)
    except (ConfigError, EvalSetError) as exc:
        raise fail(exc) from exc
    for problem in problems:
        sys.stderr.write(f"{problem}\n")
    pairs = list(zip(labelled, predicted, strict=True))
    with_all = score(pairs)
    without = score(pairs, skip_ambiguous=True)
    main, other = (without, with_all) if without_ambiguous else (with_all, without)
    missed = missed_targets(
        main,
        f1_id=TARGET_F1_ID if min_f1_id is None else min_f1_id,
        f1_language=TARGET_F1_LANGUAGE if min_f1_language is None else min_f1_language,
    )
    if as_json:
        print_json(
            {
                "directory": str(directory),
                "headline": "without_ambiguous" if without_ambiguous else "all",
                "all": with_all.as_dict(),
                "without_ambiguous": without.as_dict(),
                "missed_targets": missed,
            }
        )
    else:
        out = Console()
        scope = "without ambiguous pairs" if without_ambiguous else "all pairs"
        out.print(
            f"{directory}: {plural(main.articles, 'article')}, {scope} "
            f"({plural(without.skipped_pairs, 'ambiguous pair')} flagged)",
            markup=False,
            highlight=False,
        )
        other_name = "all" if without_ambiguous else "w/o amb."
        for t in _eval_tables(main, other, labelled, other_name):
            out.print(t)
        quotes = Table(title="quotes", title_justify="left")
        for col in (
            "labelled",
            "found",
            "recall",
            "with speaker",
            "speaker right",
            "accuracy",
            "shown",
            "shown right",
            "precision",
        ):
            quotes.add_column(col, justify="right")
        quotes.add_row(
            str(main.quotes_labelled),
            str(main.quotes_found),
            f"[bold]{_pct(main.quote_recall)}[/bold]",
            str(main.speakers_labelled),
            str(main.speakers_right),
            f"[bold]{_pct(main.speaker_accuracy)}[/bold]",
            str(main.speakers_shown),
            str(main.speakers_shown_right),
            f"[bold]{_pct(main.speaker_precision)}[/bold]",
        )
        out.print(quotes)
        if errors:
            for e in main.errors:
                flag = " (ambiguous)" if e.ambiguous else ""
                out.print(
                    f"{e.kind} {e.id:<15} {e.file}{flag}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            for q in main.quote_errors:
                what = (
                    "quote missed"
                    if not q.found
                    else f"speaker {q.predicted_speaker!r} != {q.speaker!r}"
                )
                out.print(
                    f"{what}: {q.file}: {q.text[:70]!r}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
        if check:
            for reason in missed:
                out.print(f"below target: {reason}", markup=False, highlight=False)
    if check and missed:
        raise typer.Exit(1)
