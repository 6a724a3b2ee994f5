"""What every ``newsbot`` command shares: the --config option, error exits, settings, JSON out.

Kept free of heavy imports: ``newsbot --help`` imports this and every command module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.models import Analysis, Article
from bot.settings.errors import ConfigError

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Bot configuration file.", show_default=True)
]
DEFAULT_CONFIG = Path("config/newsbot.yaml")
WatchlistOpt = Annotated[
    Path | None, typer.Option("--watchlist", "-w", help="Watchlist file to match against.")
]

err = Console(stderr=True)


def setup_logging(verbose: bool = False) -> None:
    """Logging for a command (``bot/runtime/logs.py``: text or JSON lines, secrets redacted)."""
    from bot.runtime.logs import setup_logging as setup

    setup(verbose)


def fail(exc: Exception, code: int = 2) -> typer.Exit:
    """Print an error as-is (``file:line: message`` must stay one greppable line)."""
    sys.stderr.write(f"{exc}\n")
    return typer.Exit(code)


def load_settings(config: Path) -> Any:
    """The settings of ``config``, or a clean exit naming the line at fault."""
    from bot.settings.model import load_settings as load

    try:
        return load(config)
    except ConfigError as exc:
        raise fail(exc) from exc


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


def print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()
