"""The commands bound to a running bot, and the dispatcher for commands typed as text.

Adapters hold one :class:`Commands`: Discord calls its methods one per slash command,
Slack passes the raw text to :meth:`Commands.run_text`. Each method is a thin call of the
platform-neutral function in :mod:`bot.commands.queries`, :mod:`bot.commands.subscriptions`
or :mod:`bot.commands.watch`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from bot.commands import queries
from bot.commands import search as finding
from bot.commands import subscriptions as subs
from bot.commands.core import Caller, CommandError, Reply
from bot.commands.feedback import Click, ClickAnswer, FeedbackCommands, parse_mute_args
from bot.commands.search import AlertSearch, LinkFor, SearchQuery
from bot.commands.watch import WatchCommand, WatchHost
from bot.models import Digest
from bot.nlp.watchlist import Watchlist
from bot.settings.sections import FeedConfig
from bot.settings.watchrequest import AddRequest
from bot.store.feedback import FeedbackRepository
from bot.store.feeds import FeedRepository
from bot.store.history import HistoryRepository
from bot.store.subscriptions import SubscriptionRepository
from bot.store.translations import TranslationRepository


class Commands:
    """The commands bound to a running bot's store and its current watchlist.

    Adapters hold one of these; the watchlist is read through a callable, so an edit the
    bot reloads is what the next command sees. Store calls block, so they run in a thread.
    """

    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        alerts: HistoryRepository,
        feed_states: FeedRepository,
        watchlist: Callable[[], Watchlist],
        feeds: Callable[[], Sequence[FeedConfig]] = tuple,
        host: WatchHost | None = None,
        translations: TranslationRepository | None = None,
        brief_language: Callable[[], tuple[str, str] | None] = lambda: None,
        feedback: FeedbackRepository | None = None,
        search: AlertSearch | None = None,
    ) -> None:
        self.subs = subscriptions
        self.translations = translations
        self._brief_language = brief_language
        """(target language, backend name) of /brief's headlines; None: untranslated."""
        self.finder = search
        """What ``/search`` reads (the store's search repository); None: not offered."""
        self.alerts = alerts
        self.feed_states = feed_states
        self._watchlist = watchlist
        self._feeds = feeds
        self.watching = WatchCommand(subscriptions, host)
        self.feedback = (
            FeedbackCommands(feedback, watchlist, lambda: self.admins)
            if feedback is not None else None
        )
        """Buttons under alerts, ``/mute``, ``/unmute``; None without a feedback table."""

    @property
    def watchlist(self) -> Watchlist:
        return self._watchlist()

    @property
    def host(self) -> WatchHost | None:
        """The running bot, for ``/watch`` (its admins, its watchlist file, its reload)."""
        return self.watching.host

    @property
    def admins(self) -> Sequence[str]:
        """The bot's admins as the running config says them (none without a bot)."""
        return self.watching.admins

    async def brief(self, item: str | None = None, since: str | None = None) -> Digest:
        language = self._brief_language()
        translated = None
        if language is not None and self.translations is not None:
            translated = (self.translations.cached, *language)
        return await asyncio.to_thread(
            queries.brief, self.alerts, self.watchlist, item, since, 10, translated
        )

    async def subscribe(
        self, caller: Caller, item: str, dm: bool = False, lang: str | None = None
    ) -> Reply:
        return await asyncio.to_thread(
            subs.subscribe, self.subs, self.watchlist, caller, item, dm, self.admins, lang
        )

    async def unsubscribe(
        self, caller: Caller, item: str | None = None, dm: bool = False
    ) -> Reply:
        return await asyncio.to_thread(
            subs.unsubscribe, self.subs, self.watchlist, caller, item, dm, self.admins
        )

    async def subscriptions(self, caller: Caller) -> Reply:
        return await asyncio.to_thread(
            subs.subscriptions, self.subs, self.watchlist, caller
        )

    async def watchlist_overview(self) -> Reply:
        return queries.watchlist_overview(self.watchlist)

    async def feeds(self) -> Reply:
        return await asyncio.to_thread(queries.feeds_overview, self.feed_states, None, self._feeds())

    async def watch_add(self, caller: Caller, request: AddRequest) -> Reply:
        """``/watch add`` (admins only): see :meth:`WatchCommand.add`."""
        return await self.watching.add(caller, request)

    async def watch_remove(self, caller: Caller, item_id: str) -> Reply:
        """``/watch remove`` (admins only): see :meth:`WatchCommand.remove`."""
        return await self.watching.remove(caller, item_id)

    async def watch(self, caller: Caller, text: str) -> Reply:
        """``/watch ...`` as typed."""
        return await self.watching.run(caller, text)

    def _feedback(self) -> FeedbackCommands:
        if self.feedback is None:
            raise CommandError("Feedback and mutes are not available in this bot.")
        return self.feedback

    async def click(self, click: Click) -> ClickAnswer | None:
        """A button under an alert: see :meth:`FeedbackCommands.click`."""
        if self.feedback is None:
            return ClickAnswer("Feedback is not available in this bot.", ok=False)
        return await self.feedback.click(click)

    async def mute(self, caller: Caller, item: str, span: str | None = None) -> Reply:
        """``/mute <item> [for 24h]``."""
        return await self._feedback().mute(caller, item, span)

    async def unmute(self, caller: Caller, item: str) -> Reply:
        """``/unmute <item>``."""
        return await self._feedback().unmute(caller, item)


    async def search(self, caller: Caller, query: SearchQuery, link: LinkFor | None = None) -> Reply:
        """``/search``: see :func:`bot.commands.search.search`; ``link`` is the adapter's."""
        if self.finder is None:
            raise CommandError("Search is not available on this bot yet.")
        return await asyncio.to_thread(
            finding.search, self.finder, self.watchlist, caller, query, link
        )

    async def run_text(
        self, name: str, text: str, caller: Caller, link: LinkFor | None = None
    ) -> Reply | Digest:
        """A command as typed (``/subscribe kursk dm``), for platforms that pass raw text.

        ``link``: the platform's message links, for ``/search``. Errors meant for the
        user come back as a Reply with ``ok=False``.
        """
        command = name.lstrip("/").casefold()
        try:
            if command == "brief":
                return await self.brief(*queries.parse_brief_args(text))
            if command == "subscribe":
                item, dm, lang = subs.parse_subscribe_options(text)
                return await self.subscribe(caller, item, dm, lang)
            if command == "unsubscribe":
                item, dm = subs.parse_subscribe_args(text)
                return await self.unsubscribe(caller, item or None, dm)
            if command == "subscriptions":
                return await self.subscriptions(caller)
            if command == "watchlist":
                return await self.watchlist_overview()
            if command == "feeds":
                return await self.feeds()
            if command == "watch":
                return await self.watch(caller, text)
            if command == "mute":
                return await self.mute(caller, *parse_mute_args(text))
            if command == "unmute":
                return await self.unmute(caller, text.strip())
            if command == "search":
                return await self.search(caller, finding.parse_search_args(text, self.watchlist), link)
        except CommandError as exc:
            return Reply(str(exc), ok=False)
        return Reply(f"Unknown command /{command}.", ok=False)
