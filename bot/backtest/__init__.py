"""What an edit of the watchlist would have done to the articles already seen: which of
them would now alert that did not (gained) and which would no longer (lost), each with
the matches that say why.

Re-running the matcher over a week of articles with both watchlists would take minutes, so
only what the edit touched is read again. ``watchlist_diff`` names the items added, removed
or changed; an article needs the matcher only if it was recorded as matching one of the
touched items, or if the prefilter of the edited items (``could_alert``, the screen the bot
runs first on every article) finds their keys in it. For those, ``analyze`` runs on a
watchlist of the touched items alone; every other item keeps its recorded result. An item's
result does not depend on the other items of its watchlist, so this equals running the
whole matcher twice (``tests/backtest`` holds it to that).

Pure: no I/O but the worker processes it may start (``workers``) to read candidates on
every core.
"""

from __future__ import annotations

import heapq
import multiprocessing
import multiprocessing.context
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from bot.models import Article, Match
from bot.nlp import Watchlist, analyze, could_alert
from bot.settings.diff import ItemChange, WatchlistDiff, watchlist_diff


class Decided(Protocol):
    """An article with the watch items it was recorded as matching (what the bot did)."""

    @property
    def article(self) -> Article: ...

    @property
    def item_ids(self) -> Sequence[str]: ...


R = TypeVar("R", bound=Decided)

Progress = Callable[[int, int | None], None]
"""(articles done, articles in all or None when not known)."""


@dataclass(frozen=True)
class Change(Generic[R]):
    """One article whose alert the edit would make or unmake."""

    record: R
    before: tuple[Match, ...]
    """What the touched items of the current watchlist match (the why of a lost alert)."""
    after: tuple[Match, ...]
    """What the touched items of the edited watchlist match (the why of a gained alert)."""


@dataclass
class Backtest(Generic[R]):
    """The outcome: ``gained`` and ``lost`` in the order the articles came (the first
    ``keep`` of each when the backtest was given one), and how many there were in all."""

    diff: WatchlistDiff
    gained: list[Change[R]] = field(default_factory=list)
    lost: list[Change[R]] = field(default_factory=list)
    gained_count: int = 0
    lost_count: int = 0
    articles: int = 0
    """Articles read."""
    rematched: int = 0
    """Of them, how many the matcher read again (the rest kept their recorded result)."""


CHUNK = 128
"""Articles sent to a worker at a time (most are only screened, a few read again)."""

POOL_AFTER = 1_000
"""Articles handled in this process before worker processes are started: their start-up
(spaCy imported afresh) costs more than a small backtest."""

PROGRESS_EVERY = 500

Candidate = tuple[int, str, str, str | None, bool]
"""(number, title, text, declared language, whether it was recorded as alerting). One that
alerted did so by touched items alone, and is read again; one that did not is first
screened with the edited items."""

Outcome = tuple[int, tuple[Match, ...], tuple[Match, ...]]
"""(number, matches before, matches after) of a candidate whose alert changes."""


def _renamed_only(change: ItemChange) -> bool:
    """A new display name alone changes no alert (the alerts say it, nothing matches it)."""
    return not change.aliases_added and not change.aliases_removed and change.other == ("name",)


def _sub(watchlist: Watchlist, ids: set[str]) -> Watchlist:
    return Watchlist(items=[i for i in watchlist.items if i.id in ids])


@dataclass(frozen=True)
class _Reader:
    """Reads candidates again: the edited touched items on each, and for an alert that
    would be lost, the current touched items (its why)."""

    old: Watchlist
    """The touched items as they are now."""
    new: Watchlist
    """The touched items as edited (those the edit removes are absent)."""

    def read(self, chunk: Sequence[Candidate]) -> tuple[list[Outcome], int]:
        """The outcomes that change, and how many candidates the matcher read again."""
        out: list[Outcome] = []
        read = 0
        for n, title, text, language, alerted in chunk:
            if not alerted and not could_alert(title, text, self.new):
                continue
            read += 1
            after: tuple[Match, ...] = ()
            if self.new.items:
                after = analyze(title, text, self.new, language, quotes=False).matches
            if alerted and not after:
                before = analyze(title, text, self.old, language, quotes=False).matches
                out.append((n, before, ()))
            elif not alerted and after:
                out.append((n, (), after))
        return out, read


_worker: _Reader | None = None


def _start_worker(reader: _Reader, models: Mapping[str, str]) -> None:
    global _worker
    if models:
        from bot.nlp.pipelines import configure

        configure(models)
    _worker = reader


def _read_in_worker(chunk: Sequence[Candidate]) -> tuple[list[Outcome], int]:
    assert _worker is not None, "worker started without its watchlists"
    return _worker.read(chunk)


PRELOAD = ["bot.nlp", "bot.nlp.matcher", "bot.nlp.pipelines", "bot.nlp.quotes", "spacy"]
"""What the fork server imports once, so that each worker starts with it loaded."""


def _context() -> multiprocessing.context.BaseContext:
    """How worker processes start. A process with one thread (the CLI, ``newsbot bench``)
    forks: the workers inherit its loaded pipelines and compiled watchlists, and start at
    once. A process with threads (``newsbot run``: the console, the delivery worker) must
    not fork, a lock held by another thread would stay held in the child: its workers come
    from a fork server started once, with spaCy and the matcher imported."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def backtest(
    current: Watchlist,
    edited: Watchlist,
    decided: Iterable[R],
    *,
    total: int | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    spacy_models: Mapping[str, str] | None = None,
    keep: int | None = None,
) -> Backtest[R]:
    """Which of ``decided`` (articles with what was recorded for them under ``current``)
    would alert under ``edited`` and did not, and which would no longer.

    ``decided`` is read once, as a stream. ``workers`` > 1 screens and reads articles in
    that many processes once more than ``POOL_AFTER`` need it (``spacy_models`` is the
    bot's ``configure``, repeated there). ``progress(done, total)`` is called every
    ``PROGRESS_EVERY`` articles and at the end.
    """
    diff = watchlist_diff(current, edited)
    result: Backtest[R] = Backtest(diff)
    touched = {c.id for c in diff.changed if not _renamed_only(c)} | {i.id for i in diff.removed}
    known = set(current.ids())
    reader = _Reader(_sub(current, touched), _sub(edited, touched | {i.id for i in diff.added}))
    screen = bool(reader.new.items)

    waiting: dict[int, R] = {}
    """Articles sent to be screened or read, by number, until their outcome is known."""
    kept: dict[bool, list[tuple[int, Change[R]]]] = {True: [], False: []}
    """Per side (gained?), the changes of the lowest article numbers, as a max-heap on
    the number (negated): workers answer out of order."""
    chunk: list[Candidate] = []
    pending: deque[tuple[Future[tuple[list[Outcome], int]], list[int]]] = deque()
    pool: ProcessPoolExecutor | None = None
    sent = 0
    done = 0

    def report() -> None:
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)

    def settle(outcomes: list[Outcome], read: int, numbers: list[int]) -> None:
        nonlocal done
        result.rematched += read
        for n, before, after in outcomes:
            side = bool(after)
            if side:
                result.gained_count += 1
            else:
                result.lost_count += 1
            heap = kept[side]
            if keep is None or len(heap) < keep:
                heapq.heappush(heap, (-n, Change(waiting[n], before, after)))
            elif heap and -heap[0][0] > n:
                heapq.heapreplace(heap, (-n, Change(waiting[n], before, after)))
        for n in numbers:
            del waiting[n]
            done += 1
            report()

    def flush() -> None:
        nonlocal pool
        if not chunk:
            return
        batch = list(chunk)
        numbers = [c[0] for c in batch]
        chunk.clear()
        if pool is None and workers > 1 and sent > POOL_AFTER:
            pool = ProcessPoolExecutor(
                workers,
                mp_context=_context(),
                initializer=_start_worker,
                initargs=(reader, dict(spacy_models or {})),
            )
        if pool is None:
            settle(*reader.read(batch), numbers)
            return
        pending.append((pool.submit(_read_in_worker, batch), numbers))
        while len(pending) > workers * 4 or (pending and pending[0][0].done()):
            future, ns = pending.popleft()
            settle(*future.result(), ns)

    try:
        for n, record in enumerate(decided):
            result.articles += 1
            ids = [i for i in record.item_ids if i in known]
            # An alert that an untouched item made stays an alert, whatever the edit; one
            # made by touched items alone may be lost; an article without one may be
            # gained only if the edited items' screen finds their keys in it.
            if (ids and all(i in touched for i in ids)) or (not ids and screen):
                article = record.article
                waiting[n] = record
                sent += 1
                chunk.append((n, article.title, article.text, article.language, bool(ids)))
                if len(chunk) >= CHUNK:
                    flush()
            else:
                done += 1
                report()
        flush()
        while pending:
            future, ns = pending.popleft()
            settle(*future.result(), ns)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    result.gained = [c for _, c in sorted(kept[True], key=lambda e: -e[0])]
    result.lost = [c for _, c in sorted(kept[False], key=lambda e: -e[0])]
    if progress is not None:
        progress(done, total)
    return result
