"""Commands that read documents or alerts without posting: ``match``, ``preview``, ``brief``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    WatchlistOpt,
    analysis_json,
    err,
    fail,
    load_settings,
    print_json,
    setup_logging,
)
from bot.errors import ConfigError


def match(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of documents.")],
    watchlist: WatchlistOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Match documents against the watchlist without storing or posting anything."""
    from bot.alerts.build import build_alert
    from bot.chat.console import render_alert
    from bot.nlp import analyze
    from bot.nlp.watchlist import load_watchlist
    from bot.sources.files import DocumentError, iter_documents, read_document

    setup_logging()
    settings = load_settings(config)
    try:
        wl = load_watchlist(watchlist or settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise fail(exc) from exc
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
            print_json(analysis_json(str(path), article, analysis))
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
        raise fail(exc) from exc
    except OSError as exc:
        raise fail(ValueError(f"{path}: {exc}")) from exc
    analysis = analyze(article.title, article.text, wl, article.language, quotes=True)
    if not analysis.alert:
        raise fail(ValueError(f"{path}: no match ({analysis.language}), nothing would be posted"), 1)
    return build_alert(article, analysis)


def preview(
    path: Annotated[Path, typer.Argument(help="A document, as in seeds/.")],
    slack: Annotated[bool, typer.Option("--slack", help="Slack Block Kit payload.")] = False,
    discord: Annotated[bool, typer.Option("--discord", help="Discord message payload.")] = False,
    no_buttons: Annotated[
        bool,
        typer.Option("--no-buttons", help="As a webhook (or a bot that gets no clicks) posts it: no feedback buttons."),
    ] = False,
    watchlist: WatchlistOpt = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    translate_to: Annotated[
        str | None,
        typer.Option("--translate-to", help="Translate it (en, fr ...) with the configured translator."),
    ] = None,
) -> None:
    """Print exactly what the bot would post for one document, without posting it: the
    message with its feedback buttons, as the adapter builds it."""
    if slack == discord:
        err.print("Choose one platform: --slack or --discord.")
        raise typer.Exit(2)
    settings = load_settings(config)
    alert = _read_and_analyze(path, settings, watchlist)
    if translate_to is not None:
        alert = _translated(alert, settings, translate_to)
    import importlib

    # One name for either platform's message (two imports of one name upset mypy); the
    # adapters send what these build.
    renderer = importlib.import_module("bot.chat.slack.feedback" if slack else "bot.chat.discord.feedback")
    payload = renderer.alert_message(alert, with_buttons=not no_buttons)
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _translated(alert: Any, settings: Any, lang: str) -> Any:
    """The alert with its translation into ``lang``, asked of the configured translator
    (``translate:`` in the config, the key from the environment), as a channel gets it."""
    import asyncio
    import dataclasses
    import os

    from bot.settings.languages import parse_language
    from bot.translate.base import TranslateError
    from bot.translate.build import make_translator
    from bot.translate.texts import alert_texts, same_language, text_key, translation_of

    try:
        target = parse_language(lang)
    except ValueError as exc:
        raise fail(ValueError(f"--translate-to: {exc}"), 2) from exc
    if settings.translate is None:
        raise fail(ValueError(
            "--translate-to needs a translator: add a translate: section to the config "
            "(see config/newsbot.yaml and the README, Translation)"
        ), 2)
    if same_language(alert.language, target):
        err.print(f"The document is in {alert.language} already: nothing to translate.")
        return alert
    try:
        translator = make_translator(settings.translate, os.environ)
    except ValueError as exc:
        raise fail(exc, 2) from exc
    texts = alert_texts(alert)

    async def ask() -> list[str]:
        try:
            return await translator.translate(texts, alert.language, target)
        finally:
            await translator.close()

    try:
        answers = asyncio.run(ask())
    except TranslateError as exc:
        raise fail(ValueError(f"the translator failed ({exc.kind}): {exc}"), 1) from exc
    found = {text_key(t): a for t, a in zip(texts, answers, strict=True)}
    return dataclasses.replace(alert, translation=translation_of(alert, target, found, translator.name))


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
    from bot.store.repositories import open_store

    settings = load_settings(config)
    try:
        wl = load_watchlist(settings.resolve(settings.watchlist))
    except ConfigError as exc:
        raise fail(exc) from exc
    store = open_store(settings.database_url)
    translated = None
    if settings.translate is not None:  # headlines as stored: nothing is asked for a brief
        from bot.translate.texts import BACKEND_NAMES

        backend = BACKEND_NAMES[settings.translate.backend]
        translated = (store.translations.cached, settings.translate.to, backend)
    try:
        digest = make_brief(store.history, wl, item, since, translated=translated)
    except CommandError as exc:
        raise fail(exc, 1) from exc
    finally:
        store.close()
    Console().print(render_digest(digest))
