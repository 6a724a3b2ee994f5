"""Logging for every command: readable lines on a terminal, one JSON object per line when
``NEWSBOT_LOG_FORMAT=json``, and never a secret in either.

Redaction happens on the finished line (message, arguments, exception text, traceback),
in the formatter of the one root handler, so it covers what slack_sdk, aiohttp, discord.py
and httpx log as well as our own code: the values of the secret environment variables,
and anything shaped like a chat token, a webhook URL's token or a password in a URL.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.text import strip_controls

SECRET_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_WEBHOOK_URL",
    "DISCORD_BOT_TOKEN",
    "DISCORD_WEBHOOK_URL",
    "NEWSBOT_TRANSLATE_API_KEY",
)
"""Environment variables whose whole value is a secret."""
DATABASE_ENV = "NEWSBOT_DATABASE_URL"
"""Secret only in part: its password."""
REDACTED = "[redacted]"
MIN_SECRET = 4
"""Shorter values are not replaced wherever they occur (that would garble every line);
the patterns below still catch them inside URLs."""

_TOKEN = r"[A-Za-z0-9_-]"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack tokens: bot, user, app-level, configuration, refresh.
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), REDACTED),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), REDACTED),
    # Discord bot tokens: base64 of the bot's id . timestamp . HMAC.
    (re.compile(rf"\b[MNO]{_TOKEN}{{20,30}}\.{_TOKEN}{{6}}\.{_TOKEN}{{25,45}}\b"), REDACTED),
    # Slack webhook and response URLs: everything after /services/ (etc.) is the credential.
    (re.compile(
        r"(hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers|commands|actions)/)"
        r"[^\s'\"<>)]+"
    ), rf"\g<1>{REDACTED}"),
    # Discord webhooks and interaction callbacks: /webhooks/<id>/<token>.
    (re.compile(r"(/(?:webhooks|interactions)/\d+/)[^\s/'\"<>?)]+"), rf"\g<1>{REDACTED}"),
    # A password in any URL: scheme://user:password@host.
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@'\"]*:)[^\s@/'\"]+(@)"),
     rf"\g<1>{REDACTED}\g<2>"),
    # "token": "..." in a JSON or dict dump (Discord interaction tokens, Slack's
    # verification token in a slash-command payload).
    (re.compile(r"""(["']\w*token["']\s*:\s*["'])[^"']+"""), rf"\g<1>{REDACTED}"),
    # Authorization header values, however a library prints its headers.
    (re.compile(r"(\bBearer\s+)[^\s'\",]+", re.IGNORECASE), rf"\g<1>{REDACTED}"),
)


@functools.lru_cache(maxsize=8)
def _secrets_of(values: tuple[str | None, ...], database_url: str | None) -> tuple[str, ...]:
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        found.add(value)
        if "://" in value:  # a webhook URL: its last segment is the token on its own
            last = urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1]
            found.add(last)
    if database_url:
        try:
            password = urlsplit(database_url).password
        except ValueError:
            password = None
        if password:
            found |= {password, unquote(password)}
    # Longest first, so a URL is replaced whole before its token is looked for.
    return tuple(sorted((s for s in found if len(s) >= MIN_SECRET), key=len, reverse=True))


def _secrets() -> tuple[str, ...]:
    env = os.environ
    return _secrets_of(tuple(env.get(k) for k in SECRET_ENV), env.get(DATABASE_ENV))


def redact(text: str) -> str:
    """``text`` without secret values or token-shaped strings."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _clean(text: str) -> str:
    """Strangers' text (feed titles, URLs) must not drive a terminal; secrets never show."""
    return redact(strip_controls(text, keep_newlines=True))


class TextFormatter(logging.Formatter):
    """One readable line per record, escape sequences dropped, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return _clean(super().format(record))


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, ``exception`` and ``stack`` when there are any, then any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in entry:
                entry[key] = value
        return json.dumps(_clean_values(entry), ensure_ascii=False, default=repr)


def _clean_values(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _clean_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_values(v) for v in value]
    return _clean(repr(value))


def announce(line: str, logger: str = "newsbot") -> None:
    """A line for the person who started the bot, written to stderr as it is, never
    redacted and never through a log handler (the web console's one-time login link): a
    plain line, or with ``NEWSBOT_LOG_FORMAT=json`` one JSON object shaped like the log
    lines, so that a collector still parses every line."""
    if log_format() == "json":
        line = json.dumps({
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO", "logger": logger, "message": strip_controls(line),
        }, ensure_ascii=False)
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "spacy", "alembic")


def log_format(env: dict[str, str] | None = None) -> str:
    """``json`` or ``text``, from ``NEWSBOT_LOG_FORMAT`` (anything else is text)."""
    value = (env if env is not None else os.environ).get("NEWSBOT_LOG_FORMAT", "")
    return "json" if value.strip().lower() == "json" else "text"


def setup_logging(verbose: bool = False) -> None:
    """Rich, aligned logs on a terminal; one plain line per record when piped or collected;
    JSON lines when ``NEWSBOT_LOG_FORMAT=json``. Uncaught exceptions go through the same
    redacting handler instead of straight to stderr."""
    from rich.console import Console
    from rich.logging import RichHandler

    level = logging.DEBUG if verbose else logging.INFO
    handler: logging.Handler
    err = Console(stderr=True)
    if log_format() == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
    elif err.is_terminal:
        handler = RichHandler(console=err, show_path=False, markup=False, rich_tracebacks=False)
        handler.setFormatter(TextFormatter("%(message)s", datefmt="[%X]"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_uncaught


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("newsbot").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or isinstance(args.exc_value, SystemExit):
        return
    logging.getLogger("newsbot").critical(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
