"""``newsbot search``: the alerts sent about some words, best matches first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from bot.cli.common import DEFAULT_CONFIG, ConfigOpt, fail, load_settings


def search(
    words: Annotated[list[str], typer.Argument(help="Words to find (all of them), any language.")],
    item: Annotated[str | None, typer.Option("--item", help="Only alerts naming this watch item id.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="How far back: 48h, 7d.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per alert, per line.")] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Search the alerts (title, lead, quotes, sources, kept text), with where each was posted
    (a link to a Discord message when the config names a single server in ``guild_ids``)."""
    from bot.chat.links import message_link
    from bot.settings.sections import parse_duration
    from bot.store.db import utcnow
    from bot.store.repositories import open_store
    from bot.store.search import DeliveryState, SearchError
    from bot.text import clean_line

    settings = load_settings(config)
    try:
        after: datetime | None = utcnow() - parse_duration(since) if since else None
    except (ValueError, OverflowError) as exc:
        raise fail(ValueError(f"--since: {exc}")) from exc
    store = open_store(settings.database_url)
    try:
        hits = store.search.alerts(words, item=item, since=after, limit=limit)
    except SearchError as exc:
        raise fail(exc, 1) from exc
    finally:
        store.close()
    # The only server a Discord channel can be in; Slack's workspace URL is not in the
    # config (the running adapter asks Slack for it), so a Slack post shows its message id.
    guilds = settings.discord.guild_ids
    guild = guilds[0] if len(guilds) == 1 else None

    def link(d: DeliveryState) -> str | None:
        return message_link(d.target.platform, d.target.channel, d.external_id, guild_id=guild)

    if as_json:
        for h in hits:
            typer.echo(json.dumps({
                "id": h.alert.id, "title": h.alert.title, "language": h.alert.language,
                "items": list(h.alert.item_ids), "url": h.alert.url,
                "created_at": h.alert.created_at.isoformat() if h.alert.created_at else None,
                "snippet": h.snippet,
                "sources": [{"name": s.source_name, "url": s.url} for s in h.sources],
                "deliveries": [{
                    "platform": d.target.platform, "channel": d.target.channel,
                    "status": d.status, "message_id": d.external_id, "link": link(d),
                    "error": d.last_error,
                } for d in h.deliveries],
            }, ensure_ascii=False))
        return
    if not hits:
        typer.echo("no alert matches " + clean_line(" ".join(words), 80))
        return
    for h in hits:
        when = h.alert.created_at.strftime("%Y-%m-%d %H:%M") if h.alert.created_at else "?"
        typer.echo(f"{when}  {clean_line(h.alert.title, 120)}  [{', '.join(h.alert.item_ids)}]")
        typer.echo(f"    {clean_line(h.snippet, 200)}")
        names = ", ".join(clean_line(s.source_name, 40) for s in h.sources)
        typer.echo(f"    sources: {names or clean_line(h.alert.source_name, 40)}")
        for d in h.deliveries:
            where = f"{d.target.platform} {clean_line(d.target.channel, 60)}"
            url = link(d)
            state = d.status + (f" {url}" if url else f" (message {d.external_id})" if d.external_id else "")
            if d.status == "failed" and d.last_error:
                state += f": {clean_line(d.last_error, 120)}"
            typer.echo(f"    {where}: {state}")
