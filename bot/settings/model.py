"""Operator settings: ``config/newsbot.yaml`` for what to watch where, the environment for secrets.

Secrets never live in YAML: a config file gets copied, committed and pasted into tickets.
The file's sections are ``sections.py``; here, the whole file and its loading.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from bot.models import Target
from bot.settings.sections import (
    BurstConfig,
    ClusterConfig,
    ConsoleConfig,
    DiscordConfig,
    Duration,
    FeedConfig,
    FollowupMode,
    OpsConfig,
    QuietHours,
    RouteConfig,
    SlackConfig,
    Strict,
    TranslateConfig,
    WebSubConfig,
)
from bot.yamlfile import load_model

DEFAULT_CONFIG = Path("config/newsbot.yaml")
DEFAULT_DATABASE_URL = "sqlite:///data/newsbot.db"


def _user_id(value: Any) -> Any:
    """A Discord id written without quotes is a YAML integer; it is still an id."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class Settings(Strict):
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
