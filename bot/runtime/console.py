"""The web console of a running bot (``bot/web``): its pages, each handed the parts of the
bot it reads, and the server that serves them.

Apart from the bot so that a page is added here, next to the others, and so that the
console reads only what its pages need: the live settings and watchlist, the store, the
poller's page fetch and the chat adapters (for links to posted messages).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from functools import partial

from bot.chat.base import ChatAdapter
from bot.models import Target
from bot.nlp.warmup import warm_up
from bot.runtime.live import LiveConfig
from bot.runtime.logs import announce
from bot.settings.model import Settings
from bot.store.repositories import Repositories
from bot.web.app import Offload, Page, Threads
from bot.web.pages import alerts as alerts_page
from bot.web.pages import feeds as feeds_page
from bot.web.pages import subscriptions as subscriptions_page
from bot.web.pages import tryout as try_page
from bot.web.pages import watchlist as watchlist_page
from bot.web.pages.tryout import FetchText
from bot.web.server import ConsoleServer


class WebConsole:
    """Builds the web console of one bot; its pages read the running settings per request."""

    def __init__(
        self,
        live: LiveConfig,
        store: Repositories,
        fetch_page: FetchText,
        adapters: Mapping[str, ChatAdapter],
    ) -> None:
        self.live = live
        self.store = store
        self.fetch_page = fetch_page
        self.adapters = adapters
        """The bot's own mapping: a platform attached later is linked to as well."""

    def pages(self, threads: Threads) -> list[Page]:
        """The web console's pages, in the order of its navigation, each handed the parts
        it reads (``bot/web/pages/__init__.py`` says how to add one). Pages run their
        blocking work on ``threads``; a backtest on its long-job threads."""
        run: Offload = threads
        live = self.live

        def settings() -> Settings:  # the running settings, read per request
            return live.settings

        return [
            try_page.routes(
                lambda: live.watchlist, settings, self.store.subscriptions,
                self.fetch_page, run,
            ),
            watchlist_page.routes(
                live, self.store.history.retained, None,
                lambda: live.settings.spacy_models, run, long=threads.long,
            ),
            alerts_page.routes(self.store.search, settings, self.message_link, run),
            feeds_page.routes(self.store.feeds, settings, run),
            subscriptions_page.routes(
                self.store.subscriptions, lambda: live.watchlist, settings, run
            ),
        ]

    def message_link(self, target: Target, external_id: str | None) -> str | None:
        """A link to a posted message, from the adapter of its platform (which knows its
        Slack workspace, its Discord servers), or None without one."""
        adapter = self.adapters.get(target.platform)
        return adapter.message_link(target, external_id) if adapter is not None else None

    def server(self, env: Mapping[str, str] | None = None, *, warm: bool = True) -> ConsoleServer:
        """The web console's server; its password and key come from ``env``. ``warm``:
        once it listens, load the matcher for the running watchlist in the background
        (``bot.nlp.warmup``), so the first Try is as quick as the next."""
        threads = Threads()
        return ConsoleServer(
            self.live.settings.console, self.pages(threads),
            os.environ if env is None else env, threads,
            announce=partial(announce, logger="bot.web.server"),
            warm=self._warm_matcher if warm else None,
        )

    def _warm_matcher(self, stop: threading.Event) -> list[str]:
        return warm_up(self.live.watchlist, stop)
