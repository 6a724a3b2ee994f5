"""Operator settings: ``config/newsbot.yaml`` for what to watch where, the environment for secrets.

Secrets never live in YAML: a config file gets copied, committed and pasted into tickets.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.models import Target
from bot.settings.languages import parse_language
from bot.yamlfile import load_model

DEFAULT_CONFIG = Path("config/newsbot.yaml")
DEFAULT_DATABASE_URL = "sqlite:///data/newsbot.db"

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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
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


class RouteConfig(_Strict):
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


class TranslateConfig(_Strict):
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
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("translate.url must start with http:// or https://")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _url_for_libre(self) -> TranslateConfig:
        if self.backend == "libretranslate" and not self.url:
            raise ValueError(
                "translate.backend libretranslate needs translate.url (the server, e.g. "
                "http://libretranslate:5000)"
            )
        return self


class SlackConfig(_Strict):
    """Slack options that are not secrets (tokens come from the environment)."""

    admin_channel: str | None = None
    """Channel id told about failed deliveries, feed outages and watchlist changes."""
    http_port: int = Field(default=3000, ge=0, le=65535)
    """HTTP mode only (``SLACK_SIGNING_SECRET`` without ``SLACK_APP_TOKEN``); 0 picks a
    free port (logged)."""
    http_path: str = "/slack/events"


class DiscordConfig(_Strict):
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


class WebSubConfig(_Strict):
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
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("callback_url must start with http:// or https://")
        return v.rstrip("/") if v else v


class BurstConfig(_Strict):
    """A big story (fifty outlets in a minute) becomes a digest, not fifty posts."""

    max_alerts: int = Field(default=5, ge=1)
    """Alerts posted one by one to a channel within ``window``; more are collected."""
    window: Duration = timedelta(minutes=2)
    """The collected alerts go out as one digest when the window that filled up ends."""


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class QuietHours(_Strict):
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


class OpsConfig(_Strict):
    """The operator's endpoints: ``/healthz`` (liveness) and ``/metrics`` (Prometheus).

    Local by default: they say how busy the bot is and which feeds it reads, which is
    nobody else's business. ``listen_port: 0`` picks a free port (logged); ``null`` or
    ``enabled: false`` turns the endpoints off.
    """

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int | None = Field(default=9464, ge=0, le=65535)


class ConsoleConfig(_Strict):
    """The web console of ``newsbot run`` (``bot/web``): try an article, feed health,
    subscriptions. Local by default, since it can change what the bot does: on any address
    but loopback it starts only when ``NEWSBOT_CONSOLE_PASSWORD`` is set (otherwise one
    log line says why, and the bot runs on without it). ``listen_port: 0`` picks a free
    port (logged)."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=8080, ge=0, le=65535)


class ClusterConfig(_Strict):
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


def _user_id(value: Any) -> Any:
    """A Discord id written without quotes is a YAML integer; it is still an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class Settings(_Strict):
    watchlist: Path = Path("config/watchlist.yaml")
    seeds: list[Path] = Field(default_factory=lambda: [Path("seeds")])
    scan_interval: Duration = timedelta(seconds=60)
    """How often the seed folders are rescanned."""
    feeds: list[FeedConfig] = Field(default_factory=list)
    routes: list[RouteConfig] = Field(default_factory=lambda: [RouteConfig()])
    followups: FollowupMode = "edit"
    """Follow-ups for channels whose route does not say (``/subscribe``d ones among them):
    ``edit`` (the alert is edited in place), ``thread`` or ``both``."""
    admins: list[Annotated[str, BeforeValidator(_user_id)]] = Field(default_factory=list)
    """User ids allowed to run ``/watch``: ``U0123ABCD`` (any platform), or explicit
    ``slack:U0123ABCD`` / ``discord:123456789012345678``."""
    max_feed_bytes: int = 10 * 1024 * 1024
    max_file_bytes: int = 5 * 1024 * 1024
    fetch_timeout: Duration = timedelta(seconds=20)
    max_fetches: int = Field(default=32, ge=1, le=1000)
    """Feed and article requests in flight at once, over all hosts."""
    max_fetches_per_host: int = Field(default=4, ge=1, le=100)
    """Requests in flight at once to one host, so a big outlet is never hammered."""
    feed_backoff_max: Duration = timedelta(hours=2)
    """Longest wait between polls of a failing feed (backoff doubles up to this)."""
    feed_failures_notice: int = Field(default=3, ge=1)
    """Consecutive failed polls after which the admin channel is told (and told again on
    recovery)."""
    story_window: Duration = timedelta(hours=48)
    """A near-copy of an alerted story within this window joins its alert as a source."""
    retention: Duration = timedelta(days=7)
    """How long each seen article's text is kept (for backtests of a watchlist edit and
    for search); older text is pruned, the rest of the row stays. 0 keeps none."""
    websub: WebSubConfig = Field(default_factory=WebSubConfig)
    bursts: BurstConfig = Field(default_factory=BurstConfig)
    quiet_hours: list[QuietHours] = Field(default_factory=list)
    """Per channel: alerts that arrive during these hours are posted as one digest after."""
    user_agent: str = "newsbot/0.1 (+self-hosted news alerts)"
    slack: SlackConfig = Field(default_factory=SlackConfig)
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    ops: OpsConfig = Field(default_factory=OpsConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    translate: TranslateConfig | None = None
    """Alerts translated into the team's language; None (absent): none is."""
    spacy_models: dict[str, str] = Field(default_factory=dict)
    """Trained spaCy pipelines to prefer per language (``fr: fr_core_news_sm``) where a
    deployment has them installed; blank pipelines with lookup lemmas are the default."""

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("retention cannot be negative; 0 keeps no article text")
        if timedelta(0) < value < timedelta(hours=1):
            raise ValueError("retention under 1h keeps text too briefly to try an edit on; "
                             "use 0 to keep none")
        return value

    @field_validator("feeds")
    @classmethod
    def _distinct_feeds(cls, feeds: list[FeedConfig]) -> list[FeedConfig]:
        first: dict[str, int] = {}
        for i, feed in enumerate(feeds):
            if feed.url in first:
                raise ValueError(f"feeds[{i}] lists {feed.url} twice (also feeds[{first[feed.url]}])")
            first[feed.url] = i
        return feeds

    # Filled from the environment, never from YAML (see ``load_settings``).
    database_url: str = DEFAULT_DATABASE_URL
    base_dir: Path = Path(".")

    def admin_targets(self) -> list[Target]:
        """Where operational notices go: each platform's configured admin channel."""
        out = []
        if self.slack.admin_channel:
            out.append(Target("slack", self.slack.admin_channel))
        if self.discord.admin_channel:
            out.append(Target("discord", self.discord.admin_channel))
        return out

    def resolve(self, p: Path) -> Path:
        """Paths in the config are relative to the directory that holds ``config/``."""
        return p if p.is_absolute() else self.base_dir / p


_ENV_ONLY = ("database_url", "base_dir")


def load_settings(path: Path | str | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the config file (if present) and apply the environment.

    A missing file means built-in defaults; an invalid one raises ConfigError with its line.
    """
    env = dict(os.environ) if env is None else env
    path = Path(path) if path is not None else DEFAULT_CONFIG
    base = path.resolve().parent.parent if path.parent.name == "config" else path.resolve().parent
    if path.exists():
        settings = load_model(Settings, path)
        for key in _ENV_ONLY:
            if key in settings.model_fields_set:
                from bot.yamlfile import ConfigError

                raise ConfigError([f"{path}:1: '{key}' is set by the environment, not the file"])
    else:
        settings = Settings()
    return settings.model_copy(
        update={
            "database_url": env.get("NEWSBOT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "base_dir": base,
        }
    )
