"""The sections of ``config/newsbot.yaml`` (a feed, a route, ``translate:``, ``slack:`` ...)
and the value types they share (durations, language codes), each checked where written.

``model.py`` puts them together into the whole file's ``Settings`` and loads it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.models import Target
from bot.settings.languages import parse_language

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """``90`` (seconds), ``30s``, ``5m``, ``48h``, ``7d`` -> timedelta.

    Anything else is a ValueError, a span too long for a timedelta (``99999999999d``,
    typed into ``/brief``) included: callers catch ValueError, not OverflowError.
    """
    if isinstance(value, timedelta):
        return value
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            unit = (m.group(2) or "s").lower()
            seconds = float(m.group(1)) * _UNIT_SECONDS[unit]
    if seconds is None:
        raise ValueError(f"expected a duration such as 30s, 5m, 24h or 7d, got {value!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"the duration {str(value)[:40]!r} is too long") from None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """A section of the config: unknown keys are errors (a typo is not ignored), and
    the running settings are never changed in place (an edit replaces them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(Strict):
    """One RSS/Atom feed. Its URL is trusted because an admin wrote it here."""

    url: str
    name: str | None = None
    interval: Duration = timedelta(minutes=5)
    backfill: Duration = timedelta(hours=24)
    """On the first poll, alert only items published this recently; the rest are marked seen."""
    language: str | None = None
    """Hint for feeds that do not declare their language."""
    full_text: bool = False
    """Fetch the article page when an item carries only a short summary (off by default:
    one more request per item to the publisher)."""

    allow_private: bool = False
    """Let this feed's exact origin (scheme, host, port) resolve to a private address: a
    feed on the operator's own network under a host name. A literal private address in
    ``url`` needs no flag; redirects, article links and hubs elsewhere are always vetted."""

    @property
    def label(self) -> str:
        """What logs, metrics, /feeds and notices call this feed: never the URL's secrets."""
        from bot.text import display_url

        return self.name or display_url(self.url)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("feed url must start with http:// or https://")
        return v

    @field_validator("interval")
    @classmethod
    def _min_interval(cls, v: timedelta) -> timedelta:
        if v < timedelta(seconds=30):
            raise ValueError("interval must be at least 30s, to stay polite to the publisher")
        return v


def _language(value: Any) -> Any:
    return None if value is None else parse_language(value)


Language = Annotated[str, BeforeValidator(_language)]
"""A language code (``en``, ``pt-br``), checked where it is written."""


FollowupMode = Literal["edit", "thread", "both"]


class RouteConfig(Strict):
    """Default delivery: everything matching ``items`` goes to this channel."""

    platform: Literal["console", "slack", "discord"] = "console"
    channel: str = "terminal"
    items: list[str] = Field(default_factory=lambda: ["all"])
    lang: Language | None = None
    """The language this channel gets alerts translated into (a French desk: ``fr``);
    unset: ``translate.to``. Only with a ``translate:`` section."""
    followups: FollowupMode | None = None
    """What this channel gets when a posted alert's story moves on (another outlet carries
    it, its translation arrives late): ``edit`` the alert in place, a reply in the alert's
    ``thread``, or ``both``. Unset: the config's top-level ``followups``."""


def _base_url(v: str | None, name: str) -> str | None:
    """An optional http(s) address others are appended to: without its trailing slash."""
    if v is not None and not re.match(r"^https?://[^\s/]+", v):
        raise ValueError(f"{name} must start with http:// or https://")
    return v.rstrip("/") if v else v


class TranslateConfig(Strict):
    """Machine translation of alerts (headline, lead, quotes) beside the originals.

    Absent: nothing is translated. The key (DeepL's, or a LibreTranslate server's) comes
    from ``NEWSBOT_TRANSLATE_API_KEY``, never from this file.
    """

    backend: Literal["libretranslate", "deepl"]
    url: str | None = None
    """LibreTranslate: the server (``http://libretranslate:5000``). DeepL: optional, the
    API's address; by default the key picks it (``:fx`` keys: the Free API)."""
    to: Language = "en"
    """The language channels get unless their route or subscription says another."""
    deadline: Duration = timedelta(seconds=3)
    """How long an alert waits for its translation before it goes out in the original,
    to be edited in place when the translation arrives."""
    retry: Duration = timedelta(seconds=30)
    """While the translator is down, how often it is asked again."""
    timeout: Duration = timedelta(seconds=20)
    """Longest wait for one answer of the translator (a late one still edits the alert)."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        return _base_url(v, "translate.url")

    @model_validator(mode="after")
    def _url_for_libre(self) -> TranslateConfig:
        if self.backend == "libretranslate" and not self.url:
            raise ValueError(
                "translate.backend libretranslate needs translate.url (the server, e.g. "
                "http://libretranslate:5000)"
            )
        return self


class SlackConfig(Strict):
    """Slack options that are not secrets (tokens come from the environment)."""

    admin_channel: str | None = None
    """Channel id told about failed deliveries, feed outages and watchlist changes."""
    http_port: int = Field(default=3000, ge=0, le=65535)
    """HTTP mode only (``SLACK_SIGNING_SECRET`` without ``SLACK_APP_TOKEN``); 0 picks a
    free port (logged)."""
    http_path: str = "/slack/events"


class DiscordConfig(Strict):
    """Discord options that are not secrets (the token comes from the environment)."""

    admin_channel: str | None = None
    """Channel id told about failed deliveries, feed outages and watchlist changes."""
    guild_ids: list[int] = Field(default_factory=list)
    """The servers the bot serves: commands are registered there (instant) and answered
    only there (elsewhere, and in DMs, a private refusal). Empty = every server the bot
    is in, commands registered globally: set it for a public bot, which anyone can add."""
    leave_other_guilds: bool = False
    """Leave a server that is not in ``guild_ids`` as soon as the bot is added to it."""

    @model_validator(mode="after")
    def _leave_needs_allowlist(self) -> DiscordConfig:
        if self.leave_other_guilds and not self.guild_ids:
            raise ValueError(
                "discord.leave_other_guilds needs discord.guild_ids (the servers to stay in); "
                "without them the bot would leave every server"
            )
        return self


class WebSubConfig(Strict):
    """Push (WebSub) for feeds that advertise a hub; off until ``callback_url`` is set."""

    callback_url: str | None = None
    """The public URL the hubs can reach (a reverse proxy in front of ``listen_port``)."""
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8090, ge=0, le=65535)
    lease: Duration = timedelta(days=7)
    """Lease asked of the hub; the subscription is renewed before it runs out."""
    poll_interval: Duration = timedelta(hours=1)
    """A pushed feed is still polled this often, as a safety net for lost pushes."""

    @field_validator("callback_url")
    @classmethod
    def _http_callback(cls, v: str | None) -> str | None:
        return _base_url(v, "callback_url")


class BurstConfig(Strict):
    """A big story (fifty outlets in a minute) becomes a digest, not fifty posts."""

    max_alerts: int = Field(default=5, ge=1)
    """Alerts posted one by one to a channel within ``window``; more are collected."""
    window: Duration = timedelta(minutes=2)
    """The collected alerts go out as one digest when the window that filled up ends."""


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class QuietHours(Strict):
    """A channel that should not be pinged at night: its alerts wait for a digest."""

    platform: Literal["console", "slack", "discord"]
    channel: str
    start: str
    """Local time the quiet hours begin, ``HH:MM`` (24-hour clock)."""
    end: str
    """Local time they end; earlier than ``start`` means the next day (22:00-07:00)."""
    timezone: str = "UTC"
    """An IANA zone name such as ``Europe/Paris``; daylight saving is followed."""

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v: str) -> str:
        if not _CLOCK.match(v.strip()):
            raise ValueError(f"expected a time such as 22:00 or 07:30, got {v!r}")
        return v.strip()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as Europe/Paris") from None
        return v

    def target(self) -> Target:
        return Target(self.platform, self.channel)


class OpsConfig(Strict):
    """The operator's endpoints: ``/healthz`` (liveness) and ``/metrics`` (Prometheus).

    Local by default: they say how busy the bot is and which feeds it reads, which is
    nobody else's business. ``listen_port: 0`` picks a free port (logged); ``null`` or
    ``enabled: false`` turns the endpoints off.
    """

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int | None = Field(default=9464, ge=0, le=65535)


class ConsoleConfig(Strict):
    """The web console of ``newsbot run`` (``bot/web``): try an article, feed health,
    subscriptions. Local by default, since it can change what the bot does: on any address
    but loopback it starts only when ``NEWSBOT_CONSOLE_PASSWORD`` is set (otherwise one
    log line says why, and the bot runs on without it). ``listen_port: 0`` picks a free
    port (logged)."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=0, le=65535)


class ClusterConfig(Strict):
    """Several instances on one PostgreSQL database (ignored on SQLite: one instance).

    ``lease``: how long a feed poll or a named job stays an instance's without renewal;
    a live instance renews every third of it, so this is how long a dead one's work waits
    before another takes it. ``lock_retry``: how often a standby asks for a chat platform's
    connection (the one who holds it dies: PostgreSQL frees the lock at once).
    """

    lease: Duration = timedelta(seconds=60)
    lock_retry: Duration = timedelta(seconds=5)

    @field_validator("lease")
    @classmethod
    def _lease_floor(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=3):
            raise ValueError("a lease shorter than 3s is renewed more often than it is used")
        return value
