"""``newsbot feeds``: each configured feed's health as the store last recorded it."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, load_settings


def feeds(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Feed health: last success, last error, failures in a row, items seen, next poll;
    a feed paused in the web console says so."""
    from rich.table import Table

    from bot.store.db import utcnow
    from bot.store.repositories import open_store
    from bot.text import clean_line, window_text

    settings = load_settings(config)
    store = open_store(settings.database_url)
    try:
        states = {st.url: st for st in store.feeds.feed_states()}
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
            paused = st is not None and st.paused_at is not None
            table.add_row(name, "paused" if paused else "new", "never", "0", "0",
                          "paused" if paused else "at start", "")
            continue
        status = "DOWN" if st.consecutive_failures else "ok"
        nxt = st.next_poll_at
        due = f"in {window_text(now - (nxt - now), now)}" if nxt and nxt > now else "due"
        if st.paused_at is not None:  # paused in the web console
            status, due = f"paused ({status})", "paused"
        table.add_row(
            name, status, ago(st.last_success_at), str(st.consecutive_failures),
            str(st.items_seen), due, clean_line(st.last_error, 80),
        )
    Console().print(table)
