"""The translation of alerts as the config names it (``translate:``), wired for the sender.

Its backend and address are read once, at start: changing them needs a restart; ``to``
and the routes' ``lang`` are read from the running settings, so they apply live.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.delivery.translating import AlertTranslating
from bot.settings.model import Settings
from bot.store.repositories import Repositories
from bot.translate.build import make_translator
from bot.translate.service import Notify, TranslationService


def make_translating(
    settings: Settings,
    env: Mapping[str, str],
    store: Repositories,
    running: Callable[[], Settings],
    *,
    kick: Callable[[], None],
    notify: Notify,
) -> AlertTranslating | None:
    """The translator ``settings`` name (None: no ``translate:`` section), its key read
    from ``env``, its cache in ``store``; ``running`` gives the settings when an alert
    goes out, ``kick`` wakes the delivery when a late translation is in, ``notify``
    tells the admins of the translator's outages."""
    config = settings.translate
    if config is None:
        return None
    service = TranslationService(
        make_translator(config, env), store.translations,
        deadline=config.deadline.total_seconds(), retry=config.retry.total_seconds(),
        notify=notify,
    )
    return AlertTranslating(service, store.translations, store.subscriptions, running, kick=kick)
