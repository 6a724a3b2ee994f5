"""The one interface every chat platform implements.

An adapter turns platform-neutral values (``Alert``, ``Digest``) into one platform's
messages and nothing else: routing, retries and the outbox live outside ``bot/chat/``.
Like an errbot backend or an opsdroid connector, it is small on purpose, so adding a
platform means writing one class.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from bot.models import Alert, Digest, FollowUp, Target


@dataclass(frozen=True)
class ThreadReply:
    """A follow-up posted in an alert's thread."""

    message_id: str | None
    """The reply's id (Slack ``ts``, Discord message id)."""
    thread_id: str | None = None
    """The thread it went to, where the platform has one of its own (Discord); the
    sender keeps it so that the next reply goes there without starting another."""


class DeliveryError(Exception):
    """A message could not be delivered; says whether and when trying again makes sense.

    ``permanent``: retrying cannot help (channel not found, bot removed, invalid token), so
    the delivery is marked failed at once. ``retry_after``: the platform asked to wait this
    many seconds (rate limit); None lets the worker choose its own backoff.
    ``channel_gone``: the channel itself refuses the bot (gone, archived, the bot removed or
    without access, DMs closed): every post there will fail alike until a person acts, so
    its subscriptions are paused. Not for a refused token or message: those are not the
    channel's doing. Implies ``permanent``.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        channel_gone: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent or channel_gone
        self.retry_after = retry_after
        self.channel_gone = channel_gone

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self)!r}, permanent={self.permanent}, "
            f"retry_after={self.retry_after})"
        )


class ChatStartError(RuntimeError):
    """A platform refused the connection at start (bad token, unreachable gateway).

    The message says what to fix; ``newsbot run`` prints it as one line and exits.
    """


class ChatAdapter(abc.ABC):
    """Posts alerts and digests to one chat platform.

    ``platform`` is the name targets use (``Target.platform``). ``start`` connects (and
    begins receiving commands, where the platform has them) and ``stop`` disconnects; both
    default to nothing for adapters without a connection. ``send_*`` return the platform's
    id for the posted message, or None, and raise :class:`DeliveryError` on failure.
    """

    platform: str
    digest_limit: int = 20
    """Most alerts one digest message shows in full; a bigger burst becomes several."""

    async def start(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Connect to the platform; nothing to do by default."""

    async def stop(self) -> None:  # noqa: B027 - optional hook, deliberately empty
        """Disconnect and release resources; nothing to do by default."""

    @property
    def connected(self) -> bool:
        """Whether the platform connection is up, for ``/healthz``; adapters without a
        connection of their own are always connected."""
        return True

    @abc.abstractmethod
    async def send_alert(self, target: Target, alert: Alert) -> str | None:
        """Post one alert to ``target``; return the platform message id, if any."""

    @abc.abstractmethod
    async def send_digest(
        self, target: Target, digest: Digest, key: str | None = None
    ) -> str | None:
        """Post a digest (a ``/brief`` answer or a collapsed burst) to ``target``.

        ``key`` names a collapsed burst; the adapter marks the message with it so that
        :meth:`find_posted` can recognise it after a crash.
        """

    async def find_posted(
        self, target: Target, key: str, since: datetime, alerts: Sequence[Alert] = ()
    ) -> str | None:
        """The id of a message this bot posted to ``target`` since ``since`` for ``key``
        (an alert id, or a digest's key; ``alerts`` are what it carries), or None.

        Asked before re-posting a delivery that may have arrived although the bot never
        heard back (it was killed mid-post). The default cannot look, and says None: that
        platform gets the alert again rather than not at all.
        """
        return None

    async def send_notice(self, target: Target, text: str) -> str | None:
        """Post an operational notice (plain text, written by the bot) to an admin channel.

        Adapters that cannot post notices leave this default, which refuses permanently.
        """
        raise DeliveryError(f"{self.platform} cannot post notices", permanent=True)

    async def update_alert(self, target: Target, message_id: str, alert: Alert) -> str | None:
        """Edit a posted alert in place (a story that gained sources); return the message id.

        The default posts the updated alert as a new message, for platforms that cannot edit.
        """
        return await self.send_alert(target, alert)

    async def send_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        alert: Alert | None = None,
    ) -> ThreadReply | None:
        """Reply ``followup`` in the thread of the alert posted as ``message_id``
        (``thread_id``: the thread a reply went to before, if the platform gave one;
        ``alert``: the alert as it reads now, to name a thread after).

        The default has no threads and posts nothing (None): the sender logs it and
        counts the follow-up as told, as it does an edit where no message can be edited.
        """
        return None

    async def find_followup(
        self,
        target: Target,
        message_id: str,
        thread_id: str | None,
        followup: FollowUp,
        since: datetime,
    ) -> ThreadReply | None:
        """The reply for ``followup`` if the bot posted it in that thread since ``since``
        (asked before posting a reply that may have arrived before a crash), or None."""
        return None

    def message_link(self, target: Target, external_id: str | None) -> str | None:
        """A link that opens the message ``external_id`` posted to ``target``, for people
        (``/search``), or None where the platform has none or this adapter cannot tell."""
        return None

    async def __aenter__(self) -> ChatAdapter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
