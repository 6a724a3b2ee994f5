"""The ``newsbot`` command line: run the bot, scan once, match files, brief, check config."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.models import Analysis, Article
from bot.settings.errors import ConfigError
from bot.text import plural

app = typer.Typer(
    help="Self-hosted news alerts for Slack and Discord, in every language the news is in.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
watchlist_app = typer.Typer(help="Inspect and validate the watchlist.", no_args_is_help=True)
app.add_typer(watchlist_app, name="watchlist")
bench_app = typer.Typer(
    help="Benchmarks: print throughput, latency and memory (never run as timed tests)."
)
app.add_typer(bench_app, name="bench")
db_app = typer.Typer(
    help="The database schema: migrate it before a rollout, or see where it stands.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Bot configuration file.", show_default=True)
]
DEFAULT_CONFIG = Path("config/newsbot.yaml")

err = Console(stderr=True)


def _setup_logging(verbose: bool = False) -> None:
    """Logging for a command (``bot/runtime/logs.py``: text or JSON lines, secrets redacted)."""
    from bot.runtime.logs import setup_logging

    setup_logging(verbose)


def _fail(exc: Exception, code: int = 2) -> typer.Exit:
    """Print an error as-is (``file:line: message`` must stay one greppable line)."""
    sys.stderr.write(f"{exc}\n")
    return typer.Exit(code)


def _settings(config: Path) -> Any:
    from bot.settings.model import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        raise _fail(exc) from exc


def analysis_json(source: str, article: Article, analysis: Analysis) -> dict[str, Any]:
    """The stable one-line-per-document JSON that other tools read (see DESIGN.md)."""
    return {
        "source": source,
        "title": article.title,
        "language": analysis.language,
        "alert": analysis.alert,
        "matches": [
            {
                "id": m.id,
                "name": m.name,
                "kind": m.kind,
                "count": m.count,
                "score": round(m.score, 3),
                "evidence": list(m.evidence),
            }
            for m in analysis.matches
        ],
        "quotes": [{"text": q.text, "speaker": q.speaker} for q in analysis.quotes],
    }


def _print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _make_bot(config: Path, console: bool = True) -> Any:
    """The bot with every chat platform the environment has credentials for."""
    import os

    from sqlalchemy.exc import OperationalError

    from bot.chat import build_adapters
    from bot.runtime.bot import NewsBot
    from bot.store.migrate import MigrationError

    settings = _settings(config)
    try:
        bot = NewsBot(settings, {}, config_path=config)
        for adapter in build_adapters(settings, os.environ, bot.commands, console=console).values():
            bot.add_adapter(adapter)
    except (ConfigError, ValueError, MigrationError) as exc:
        raise _fail(exc) from exc
    except OperationalError as exc:  # the database is down or refuses us: say so, exit
        raise _fail(ValueError(f"cannot reach the database: {exc.orig}")) from exc
    return bot


@app.command()
def run(
    config: ConfigOpt = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the bot: poll feeds and seed folders, post alerts, until stopped."""
    _setup_logging(verbose)
    bot = _make_bot(config)
    from bot.chat.base import ChatStartError
    from bot.runtime.cluster import LostLock

    try:
        import asyncio

        asyncio.run(bot.run_forever())
    except (ValueError, ChatStartError, LostLock) as exc:  # a platform refused us at connect time
        raise _fail(exc) from exc


@app.command()
def scan(
    once: Annotated[bool, typer.Option("--once", help="One pass over every source, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print each new document as JSON.")] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Scan all sources once, record what is new, and post what is queued.

    With --json each new document is printed in the format of `newsbot match --json`
    and its alerts stay queued, for the next `newsbot run` or `newsbot scan --once`.
    """
    if not once:
        err.print("newsbot scan runs a single pass: use --once (or `newsbot run` to keep polling).")
        raise typer.Exit(2)
    _setup_logging(verbose)
    bot = _make_bot(config, console=not as_json)
    if as_json:
        bot.worker.adapters.clear()

    async def go() -> Any:
        try:
            await bot.start(standby=False)
            return await bot.scan_once()
        finally:
            await bot.close()

    import asyncio

    summary = asyncio.run(go())
    if as_json:
        for report in summary.reports:
            for article, analysis in report.results:
                _print_json(analysis_json(article.location or article.guid, article, analysis))
    sys.stderr.write(
        f"scan: {plural(summary.new, 'new document')}, {plural(summary.alerted, 'alert')}, "
        f"{plural(summary.feed_errors, 'feed')} unreachable\n"
    )


@app.command()
def match(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of documents.")],
    watchlist: Annotated[
        Path | None, typer.Option("--watchlist", "-w", help="Watchlist file to match against.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Match documents against the watchlist without storing or posting anything."""
    from bot.alerts.build import build_alert
    from bot.chat.console import render_alert
    from bot.nlp import analyze
    from bot.nlp.watchlist import load_watchlist
    from bot.sources.files import DocumentError, iter_documents, read_document

    _setup_logging()
    settings = _settings(config)
    try:
        wl = load_watchlist(watchlist or settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise _fail(exc) from exc
    out = Console()
    documents = list(iter_documents(paths))
    failures = 0
    for path in documents:
        notes: list[str] = []
        try:
            article = read_document(path, settings.max_file_bytes, problems=notes)
            for note in notes:
                sys.stderr.write(f"{note}\n")
        except (DocumentError, OSError) as exc:
            failures += 1
            reason = str(exc) if isinstance(exc, DocumentError) else f"{path}: {exc}"
            sys.stderr.write(f"{reason}\n")
            continue
        try:
            analysis = analyze(article.title, article.text, wl, article.language, quotes=True)
        except Exception as exc:  # one odd document must not end the run for the others
            failures += 1
            logging.getLogger(__name__).debug("%s: matching failed", path, exc_info=True)
            sys.stderr.write(f"{path}: matching failed ({exc!r})\n")
            continue
        if as_json:
            _print_json(analysis_json(str(path), article, analysis))
        elif analysis.alert:
            out.rule(style="dim")
            out.print(render_alert(build_alert(article, analysis)))
        else:
            out.print(f"{path}: no match ({analysis.language})", markup=False, highlight=False)
    if failures and failures == len(documents):
        raise typer.Exit(1)


def _read_and_analyze(path: Path, settings: Any, watchlist: Path | None) -> Any:
    """The alert one document would produce, or exit with why it would not."""
    from bot.alerts.build import build_alert
    from bot.nlp import analyze
    from bot.nlp.watchlist import load_watchlist
    from bot.sources.files import DocumentError, read_document

    try:
        wl = load_watchlist(watchlist or settings.resolve(settings.watchlist))
        article = read_document(path, settings.max_file_bytes)
    except (ConfigError, DocumentError) as exc:
        raise _fail(exc) from exc
    except OSError as exc:
        raise _fail(ValueError(f"{path}: {exc}")) from exc
    analysis = analyze(article.title, article.text, wl, article.language, quotes=True)
    if not analysis.alert:
        raise _fail(ValueError(f"{path}: no match ({analysis.language}), nothing would be posted"), 1)
    return build_alert(article, analysis)


@app.command()
def preview(
    path: Annotated[Path, typer.Argument(help="A document, as in seeds/.")],
    slack: Annotated[bool, typer.Option("--slack", help="Slack Block Kit payload.")] = False,
    discord: Annotated[bool, typer.Option("--discord", help="Discord message payload.")] = False,
    watchlist: Annotated[
        Path | None, typer.Option("--watchlist", "-w", help="Watchlist file to match against.")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Print exactly what the bot would post for one document, without posting it."""
    if slack == discord:
        err.print("Choose one platform: --slack or --discord.")
        raise typer.Exit(2)
    alert = _read_and_analyze(path, _settings(config), watchlist)
    import importlib

    # One name for either platform's renderer (two imports of one name upset mypy).
    renderer = importlib.import_module("bot.chat.slack.adapter" if slack else "bot.chat.discord.adapter")
    payload = renderer.alert_payload(alert)
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


@app.command()
def brief(
    item: Annotated[str | None, typer.Argument(help="Watch item id or name; all if omitted.")] = None,
    since: Annotated[str, typer.Option("--since", help="How far back: 6h, 48h, 7d.")] = "24h",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """The digest of recent alerts, the same one /brief gives in chat."""
    from bot.chat.console import render_digest
    from bot.commands.core import CommandError
    from bot.commands.queries import brief as make_brief
    from bot.nlp.watchlist import load_watchlist
    from bot.store.store import Store

    settings = _settings(config)
    try:
        wl = load_watchlist(settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise _fail(exc) from exc
    store = Store(settings.database_url)
    try:
        digest = make_brief(store, wl, item, since)
    except CommandError as exc:
        raise _fail(exc, 1) from exc
    finally:
        store.close()
    Console().print(render_digest(digest))


@app.command()
def feeds(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Feed health: last success, last error, failures in a row, items seen, next poll."""
    from rich.table import Table

    from bot.store.store import Store, utcnow
    from bot.text import clean_line, window_text

    settings = _settings(config)
    store = Store(settings.database_url)
    try:
        states = {st.url: st for st in store.feed_states()}
    finally:
        store.close()
    now = utcnow()

    def ago(when: Any) -> str:
        return f"{window_text(when, now)} ago" if when else "never"

    table = Table("feed", "status", "last success", "failures", "items", "next poll", "last error")
    for feed in settings.feeds:
        st = states.get(feed.url)
        name = clean_line(feed.name or (st.name if st else None) or feed.label, 60)
        if st is None or st.last_polled_at is None:
            table.add_row(name, "new", "never", "0", "0", "at start", "")
            continue
        status = "DOWN" if st.consecutive_failures else "ok"
        nxt = st.next_poll_at
        due = f"in {window_text(now - (nxt - now), now)}" if nxt and nxt > now else "due"
        table.add_row(
            name, status, ago(st.last_success_at), str(st.consecutive_failures),
            str(st.items_seen), due, clean_line(st.last_error, 80),
        )
    Console().print(table)


@watchlist_app.command("check")
def watchlist_check(
    file: Annotated[Path | None, typer.Argument(help="Watchlist file (default: from config).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Validate a watchlist; errors are printed as file:line: message."""
    from bot.nlp.watchlist import load_watchlist

    if file is None:
        settings = _settings(config)
        file = settings.resolve(settings.watchlist)
    path = file
    try:
        wl = load_watchlist(path)
    except ConfigError as exc:
        raise _fail(exc, 1) from exc
    entities = sum(1 for i in wl.items if i.kind == "entity")
    topics = len(wl.items) - entities
    langs = sorted({lang for i in wl.items for lang in i.aliases} - {"any"})
    typer.echo(
        f"{path}: OK, {plural(entities, 'entity')} and {plural(topics, 'topic')}, "
        f"aliases in {plural(len(langs), 'language')} ({', '.join(langs)})"
    )


@watchlist_app.command("show")
def watchlist_show(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List what can be watched."""
    from bot.nlp.watchlist import load_watchlist

    settings = _settings(config)
    try:
        wl = load_watchlist(settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise _fail(exc, 1) from exc
    for item in wl.items:
        typer.echo(f"{item.id:<16} {item.kind:<7} {item.name}")


def predict_set(
    directory: Path, watchlist: Any, max_bytes: int
) -> tuple[list[Any], list[Any], list[str]]:
    """Labels of a labelled set and what the bot says about each article, read like seed
    files (``read_document``, language detected) and analysed with quotes.

    Returns ``(labelled, predicted, problems)``; an unreadable article counts as matching
    nothing and is named in ``problems``.
    """
    from bot.nlp import analyze
    from bot.quality.evaluation import LabelledQuote, Predicted, load_labels
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


@app.command("eval")
def eval_command(
    directory: Annotated[
        Path, typer.Argument(help="A labelled set: labels.jsonl + articles/.")
    ] = Path("tests/data/eval"),
    watchlist: Annotated[
        Path | None, typer.Option("--watchlist", "-w", help="Watchlist file to match against.")
    ] = None,
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
    from bot.quality.evaluation import (
        TARGET_F1_ID,
        TARGET_F1_LANGUAGE,
        EvalSetError,
        missed_targets,
        score,
    )

    settings = _settings(config)
    try:
        wl = load_watchlist(watchlist or settings.resolve(settings.watchlist))
        labelled, predicted, problems = predict_set(directory, wl, settings.max_file_bytes)
    except (ConfigError, EvalSetError) as exc:
        raise _fail(exc) from exc
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
        _print_json(
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


def _run_benchmark(name: str) -> None:
    """Benchmarks live in ``bot.quality.benchmarks.<name>`` and expose ``main()``."""
    import importlib

    try:
        module = importlib.import_module(f"bot.quality.benchmarks.{name}")
    except ModuleNotFoundError as exc:
        raise _fail(ValueError(f"benchmark '{name}' is not available: {exc}")) from exc
    module.main()


@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context,
    docs: Annotated[int, typer.Option("--docs", min=10, help="Documents in the stream.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object of numbers.")] = False,
) -> None:
    """The matching benchmark: a 10,000-document stream, about 5% relevant."""
    if ctx.invoked_subcommand is None:
        from bot.quality.benchmarks.matching import main as matching

        matching(docs=docs, as_json=as_json)


@bench_app.command("feeds")
def bench_feeds() -> None:
    """Poll 1,000 local feeds twice and report cycle times, bytes and memory."""
    _run_benchmark("feeds")


@bench_app.command("fulltext")
def bench_fulltext() -> None:
    """Full-text extraction: a 0.4 MB page of 40,000 tags, and the largest page let through."""
    _run_benchmark("fulltext")


@bench_app.command("instances")
def bench_instances() -> None:
    """The 1,000-feed benchmark polled by one, then two instances on PostgreSQL."""
    _run_benchmark("instances")


@app.command()
def backup(
    dest: Annotated[Path, typer.Argument(help="The copy to write (must not exist yet).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Copy the SQLite database consistently, even while `newsbot run` writes to it."""
    from bot.runtime.backup import BackupError, backup_sqlite

    settings = _settings(config)
    try:
        size = backup_sqlite(settings.database_url, dest)
    except BackupError as exc:
        raise _fail(exc) from exc
    sys.stderr.write(f"backup: {dest} ({size / 1e6:.1f} MB)\n")


def _database(config: Path) -> Any:
    """The configured database's engine, or a clean exit if it cannot be reached."""
    from sqlalchemy.exc import OperationalError

    from bot.store.store import make_engine

    engine = make_engine(_settings(config).database_url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        raise _fail(ValueError(f"cannot reach the database: {exc.orig}")) from exc
    return engine


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Bring the database (NEWSBOT_DATABASE_URL) to this version's schema.

    `newsbot run` does the same at start; run this first to migrate before a rollout.
    """
    from bot.store.migrate import MigrationError, upgrade

    engine = _database(config)
    try:
        before = upgrade(engine)
    except MigrationError as exc:
        raise _fail(exc) from exc
    finally:
        engine.dispose()
    if before.up_to_date:
        message = f"already at {before.head} (head)"
    elif before.legacy:
        message = f"made before migrations: adopted as {before.head}, every row kept"
    elif before.revision is None:
        message = f"schema created ({before.head})"
    else:
        message = f"migrated from {before.revision} to {before.head}"
    sys.stdout.write(f"database: {message}\n")


@db_app.command("current")
def db_current(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Print the database's migration; exit 1 unless it is this version's head."""
    from bot.store.migrate import current, head

    url = _settings(config).database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            sys.stdout.write(f"none: no database at {path} yet (head {head()})\n")
            raise typer.Exit(1)
    engine = _database(config)
    try:
        state = current(engine)
    finally:
        engine.dispose()
    sys.stdout.write(state.describe() + "\n")
    if not state.up_to_date:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
