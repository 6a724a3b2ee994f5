"""Watchlist: the items and their aliases, the YAML edited in the browser with validation as
you type, a backtest of the edit over the last week's articles, and Save.

Every step is the bot's own: validation is ``parse_watchlist`` (the loader of the file,
errors as ``path:line: message``), the backtest is ``bot.backtest`` over the retained
articles, and Save is ``watchedit.replace`` (atomic, refused when the file changed since it
was loaded), then the live reload that ``/watch`` triggers, which tells the admin channels.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web

from bot.backtest import backtest
from bot.backtest.report import Retained, outcome
from bot.errors import ConfigError
from bot.nlp.watchlist import ANY_LANGUAGE, Watchlist, parse_watchlist
from bot.settings.diff import describe_watchlist_diff, watchlist_diff
from bot.settings.watchedit import replace, text_digest
from bot.settings.watchrequest import WatchEditError
from bot.web.app import Offload, Page, flash, redirect, render, session_of

log = logging.getLogger(__name__)

MAX_YAML = 256 * 1024
"""Largest watchlist text the editor sends (the default one is some 40 KB)."""
DAYS = 7
SHOWN = 200
"""Articles listed per side; the counts are always the whole."""
_EDIT = "watchlist.yaml"
_PROBLEM = re.compile(r"^(?:.*?):(\d+): (.*)$", re.DOTALL)


class WatchlistFile(Protocol):
    """The running watchlist and its file (``LiveConfig`` is one)."""

    @property
    def watchlist(self) -> Watchlist: ...

    @property
    def watchlist_path(self) -> Path: ...

    def writing_watchlist(
        self, text: str, by: str, via: str = "/watch"
    ) -> AbstractContextManager[None]: ...

    async def watchlist_edited(self) -> None: ...


RetainedSince = Callable[[datetime], Iterable[Retained]]
CountSince = Callable[[datetime], int]


def problems(exc: ConfigError) -> list[dict[str, Any]]:
    """Each problem as ``{"line": n, "message": m}`` (line 0 when it has none)."""
    out: list[dict[str, Any]] = []
    for problem in exc.problems:
        found = _PROBLEM.match(problem)
        if found:
            out.append({"line": int(found.group(1)), "message": found.group(2)})
        else:
            out.append({"line": 0, "message": problem})
    return out


def check(text: str) -> tuple[Watchlist | None, list[dict[str, Any]]]:
    """The watchlist this text makes, or its problems by line."""
    if len(text.encode("utf-8")) > MAX_YAML:
        return None, [{"line": 0, "message": f"the watchlist is over {MAX_YAML // 1024} KB"}]
    try:
        return parse_watchlist(text, _EDIT), []
    except ConfigError as exc:
        return None, problems(exc)


@dataclass(frozen=True)
class ItemRow:
    id: str
    name: str
    kind: str
    min_score: float
    aliases: list[tuple[str, str]]
    """(language, its aliases joined), ``any`` first."""


def item_rows(watchlist: Watchlist) -> list[ItemRow]:
    rows = []
    for item in watchlist.items:
        langs = sorted(item.aliases, key=lambda lang: (lang != ANY_LANGUAGE, lang))
        rows.append(ItemRow(
            item.id, item.name, item.kind, item.min_score,
            [(lang, ", ".join(item.aliases[lang])) for lang in langs if item.aliases[lang]],
        ))
    return rows


@dataclass
class Job:
    """One backtest running on the console's long-job threads; the page polls it."""

    id: str
    owner: str
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    total: int | None = None
    state: str = "running"
    result: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0

    def view(self) -> dict[str, Any]:
        return {
            "state": self.state, "done": self.done, "total": self.total,
            "result": self.result, "error": self.error, "seconds": round(self.seconds, 1),
        }


class Jobs:
    """The backtests of this console: one at a time (it uses every core), the last few kept."""

    KEEP = 8

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, owner: str) -> Job | None:
        with self._lock:
            if any(j.state == "running" for j in self._jobs.values()):
                return None
            while len(self._jobs) >= self.KEEP:
                del self._jobs[next(iter(self._jobs))]
            job = Job(secrets.token_urlsafe(12), owner)
            self._jobs[job.id] = job
            return job

    def get(self, job_id: str, owner: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None


def run_backtest(
    job: Job,
    current: Watchlist,
    edited: Watchlist,
    retained: RetainedSince,
    count: CountSince | None,
    spacy_models: Mapping[str, str],
    workers: int,
    days: int = DAYS,
) -> None:
    """The job's work, on a console thread: the week's articles streamed through the engine."""
    since = datetime.now(UTC) - timedelta(days=days)
    try:
        job.total = count(since) if count is not None else None

        def progress(done: int, total: int | None) -> None:
            job.done = done

        result = backtest(
            current, edited, retained(since), total=job.total, progress=progress,
            workers=workers, spacy_models=spacy_models, keep=SHOWN,
        )
        job.result = outcome(result, current, edited, shown=SHOWN)
        job.total = result.articles
        job.state = "done"
    except Exception as exc:  # the page says it failed; the bot keeps running
        log.exception("console: the backtest failed")
        job.error = f"The backtest failed: {exc.__class__.__name__}"
        job.state = "failed"
    finally:
        job.seconds = time.monotonic() - job.started


def routes(
    host: WatchlistFile,
    retained: RetainedSince,
    count: CountSince | None,
    spacy_models: Callable[[], Mapping[str, str]],
    run: Offload,
    *,
    workers: int = 2,
    long: Offload | None = None,
) -> Page:
    """The Watchlist page over the running watchlist (``host``) and the retained articles.
    ``long`` runs the backtest (``Threads.long``: not on the threads that serve pages);
    ``run`` by default."""
    table = web.RouteTableDef()
    jobs = Jobs()
    tasks: set[asyncio.Future[Any]] = set()
    """Running backtests, held so that they are not collected mid-way."""

    def _read() -> str:
        return host.watchlist_path.read_text(encoding="utf-8")

    async def page(
        request: web.Request,
        *,
        text: str | None = None,
        loaded: str | None = None,
        errors: Sequence[dict[str, Any]] = (),
        error: str | None = None,
        status: int = 200,
    ) -> web.Response:
        if text is None:
            try:
                text = await run(_read)
            except OSError as exc:
                text, error = "", f"Cannot read the watchlist file: {exc.strerror or exc}"
            loaded = text_digest(text)
        return render(
            request, "watchlist.html", status=status, items=item_rows(host.watchlist),
            text=text, loaded=loaded or "", errors=errors, error=error,
            path=str(host.watchlist_path), days=DAYS, max_yaml=MAX_YAML,
        )

    @table.get("/watchlist")
    async def show(request: web.Request) -> web.StreamResponse:
        return await page(request)

    async def _text_of(request: web.Request) -> str:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError) as exc:
            raise web.HTTPBadRequest(text="Send JSON: {\"text\": ...}") from exc
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            raise web.HTTPBadRequest(text="Send JSON: {\"text\": ...}")
        return text

    @table.post("/watchlist/check")
    async def validate(request: web.Request) -> web.StreamResponse:
        """Validation as you type: the loader the bot uses, errors by line."""
        watchlist, errors = await run(check, await _text_of(request))
        summary = None
        if watchlist is not None:
            summary = f"{len(watchlist.items)} items, valid"
        return web.json_response({"ok": watchlist is not None, "errors": errors, "summary": summary})

    @table.post("/watchlist/backtest")
    async def start_backtest(request: web.Request) -> web.StreamResponse:
        edited, errors = await run(check, await _text_of(request))
        if edited is None:
            return web.json_response({"errors": errors}, status=400)
        session = session_of(request)
        assert session is not None  # the guard let only an admin in
        job = jobs.start(session.sid)
        if job is None:
            return web.json_response(
                {"error": "A backtest is already running; wait for it to finish."}, status=409
            )
        current = host.watchlist
        work = (long or run)(run_backtest, job, current, edited, retained, count, dict(spacy_models()), workers)
        tasks.add(task := asyncio.ensure_future(work))
        task.add_done_callback(tasks.discard)
        return web.json_response({"job": job.id}, status=202)

    @table.get("/watchlist/backtest/{job}")
    async def poll(request: web.Request) -> web.StreamResponse:
        session = session_of(request)
        job = jobs.get(request.match_info["job"], session.sid if session else "")
        if job is None:
            raise web.HTTPNotFound(text="No such backtest.")
        return web.json_response(job.view(), dumps=lambda v: json.dumps(v, ensure_ascii=False))

    @table.post("/watchlist")
    async def save(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        text = str(form.get("text") or "").replace("\r\n", "\n")
        loaded = str(form.get("loaded") or "")
        edited, errors = await run(check, text)
        if edited is None:
            return await page(
                request, text=text, loaded=loaded, errors=errors, status=400,
                error="Not saved: the watchlist has errors (see their lines).",
            )
        current = host.watchlist
        try:
            with host.writing_watchlist(text, "an admin", via="web console"):
                await run(replace, host.watchlist_path, loaded, text)
        except WatchEditError as exc:
            return await page(request, text=text, loaded=loaded, error=str(exc), status=409)
        except ConfigError as exc:  # the same check, should the loader disagree with itself
            return await page(request, text=text, loaded=loaded, errors=problems(exc), status=400,
                              error="Not saved: the watchlist has errors.")
        except OSError as exc:
            log.error("console: could not write the watchlist: %s", exc)
            return await page(request, text=text, loaded=loaded, status=500,
                              error=f"Not saved: cannot write the file ({exc.strerror or exc}).")
        await host.watchlist_edited()
        lines = describe_watchlist_diff(watchlist_diff(current, edited))
        flash(request, "Saved; the bot reloaded it" + (": " + "; ".join(lines) if lines else " (no change to the items)"))
        raise redirect("/watchlist")

    return Page("Watchlist", "/watchlist", table)
