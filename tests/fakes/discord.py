"""A local Discord for tests: REST and gateway on 127.0.0.1, talked to by real discord.py.

It runs its own event loop in a thread, so the bot under test may run in the test's loop
or as a ``newsbot run`` subprocess alike. Everything it receives is recorded
(:attr:`FakeDiscord.requests`); faults (429 with or without ``Via``, 403, 404, 500) are
injected per route with :meth:`FakeDiscord.fail`. A channel id it does not know answers
404 Unknown Channel, as Discord does.

A request is recorded once its answer is ready to go (:attr:`FakeDiscord.arrivals` has
them on arrival), so a test that waits for one (an interaction's callback) does not stop
the bot while the fake still works on it; :attr:`FakeDiscord.answer_delay` holds every
answer back, to show that a bot stopping then does not drop the reply it was sending.

Protocol facts it relies on are in ``/work/shared/TESTING-CHAT.md``; the one that bites:
JSON answers carry ``Content-Type: application/json`` exactly, or discord.py stalls.

Threads: ``POST /channels/{id}/messages/{message}/threads`` starts one on a message (its id
is the message's; a second is refused with code 160004); posting to the thread's id adds
to it (:attr:`FakeDiscord.threads`, :meth:`FakeDiscord.messages` of the thread id).

Channels keep their messages: ``GET /channels/{id}/messages`` (``limit``, ``before``,
``after``, ``around``; newest first) reads them, and a create that carries a ``nonce`` with
``enforce_nonce`` is answered with the message the same author already created with that
nonce within :attr:`FakeDiscord.nonce_window` seconds, as Discord does. Ids are snowflakes
of the wall clock, so a bot may turn a time into an ``after`` id. For fault tests,
:meth:`FakeDiscord.outage` answers posts with a server error for some seconds, and
:meth:`FakeDiscord.on_post` runs a callback the moment a message is created, before the
poster gets its answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.base import ChatFaults, OutageWindow

API_PREFIX = "/api/v10"
GATEWAY_PATH = "/gateway"

APP_ID = "1100000000000000001"
BOT_ID = "1100000000000000002"
GUILD_ID = "1100000000000000003"
USER_ID = "1100000000000000004"
ALERTS = "1200000000000000001"
DESK = "1200000000000000002"
ADMIN = "1200000000000000003"
CHANNELS = {ALERTS: "alerts", DESK: "kursk-desk", ADMIN: "newsbot-admin"}

EPHEMERAL = 64
DISCORD_EPOCH_MS = 1420070400000
"""2015-01-01 in Unix milliseconds: a snowflake is ``(ms since then) << 22 | counter``."""
POST_PATHS = r"/channels/\d+/messages(/\d+)?"
"""Creating and editing channel messages: what an outage takes down by default."""

def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Received:
    """One HTTP request the fake received, and what it answered."""

    method: str
    path: str
    """Without the ``/api/v10`` prefix, e.g. ``/channels/123/messages``."""
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float
    """``time.monotonic()`` on arrival; the request is recorded once its answer is ready."""
    status: int = 0


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    times: int


@dataclass
class Outage(OutageWindow):
    """Requests matching ``methods`` and ``path`` answer ``status`` until ``until``
    (``time.monotonic()``)."""

    status: int
    methods: tuple[str, ...]
    path: re.Pattern[str]

    def active(self, method: str, path: str, now: float) -> bool:
        return now < self.until and method in self.methods and bool(self.path.fullmatch(path))


@dataclass
class FakeDiscord(ChatFaults[Outage]):
    channels: dict[str, str] = field(default_factory=lambda: dict(CHANNELS))
    requests: list[Received] = field(default_factory=list)
    gateway_frames: list[dict[str, Any]] = field(default_factory=list)
    """Frames the client sent on the gateway (IDENTIFY, heartbeats)."""
    commands: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Registered application commands by name, as the last sync sent them."""
    port: int = 0
    answer_delay: float = 0.0
    """Seconds every REST answer waits before it is sent (a slow Discord, a loaded
    machine): the window in which a bot that stops too early drops its reply."""
    nonce_window: float = 300.0
    """Seconds during which a repeated ``nonce`` (with ``enforce_nonce``) returns the first
    message instead of creating another; Discord says "the past few minutes"."""

    def __post_init__(self) -> None:
        self._faults: list[Fault] = []
        self._last_id = 0
        self._id_lock = threading.Lock()
        self._nonces: dict[tuple[str, str], tuple[str, float]] = {}
        self.nonce_replays: list[dict[str, Any]] = []
        """Creates answered with an existing message because of their nonce."""
        self._lock = threading.Lock()
        self._init_faults()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._seq = itertools.count(1)
        self.messages_by_id: dict[str, dict[str, Any]] = {}
        self.threads: dict[str, dict[str, Any]] = {}
        """Threads started on a message, by id (a thread started on a message has that
        message's id); their messages are read with :meth:`messages`, like a channel's."""
        self.left_guilds: list[str] = []
        """Servers the bot left (``DELETE /users/@me/guilds/{id}``)."""
        self.clicked: dict[str, str] = {}
        """Interaction id -> the id of the message whose button was clicked (what a type 7
        callback, UPDATE_MESSAGE, edits)."""
        self.arrivals: list[Received] = []
        """Every request as it arrives, answered or not (:attr:`requests` holds the
        answered ones)."""

    # -- what tests use --------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{GATEWAY_PATH}"

    def env(self, token: str = "fake-bot-token") -> dict[str, str]:
        return {
            "DISCORD_BOT_TOKEN": token,
            "NEWSBOT_DISCORD_API_URL": self.api_url,
            "NEWSBOT_DISCORD_GATEWAY_URL": self.gateway_url,
        }

    def snowflake(self) -> str:
        """A new id from the wall clock, as Discord makes them: later means larger."""
        with self._id_lock:
            now = (time.time_ns() // 1_000_000 - DISCORD_EPOCH_MS) << 22
            self._last_id = max(now, self._last_id + 1)
            return str(self._last_id)

    def outage(
        self,
        seconds: float,
        *,
        status: int = 500,
        methods: tuple[str, ...] = ("POST", "PATCH"),
        path: str = POST_PATHS,
    ) -> Outage:
        """Answer matching requests with ``status`` for ``seconds`` from now, as Discord's
        edge does: a JSON error body and a ``Via`` header. (discord.py retries a 500, 502,
        504 itself, five tries over about 25 seconds, before it raises.)"""
        return self._add_outage(
            Outage(time.monotonic() + seconds, status, tuple(methods), re.compile(path))
        )

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages a channel holds now, oldest first (edits applied)."""
        with self._lock:
            found = [dict(m) for m in self.messages_by_id.values() if m["channel_id"] == channel]
        return sorted(found, key=lambda m: int(m["id"]))

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        code: int = 0,
        message: str = "",
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path`` (a regex on the
        path without the API prefix) with ``status`` and a Discord error body."""
        body: dict[str, Any] = {"message": message or f"error {status}", "code": code, **extra}
        with self._lock:
            self._faults.append(
                Fault(method, re.compile(path), status, body, dict(headers or {}), times)
            )

    def rate_limit(self, path: str, retry_after: float, *, via: bool = True) -> None:
        """A 429 on the next request to ``path``; with ``Via`` discord.py waits and retries."""
        headers = {"Retry-After": str(retry_after), "X-RateLimit-Scope": "user"}
        if via:
            headers["Via"] = "1.1 google"
        self.fail(
            "POST",
            path,
            429,
            0,
            "You are being rate limited.",
            headers=headers,
            retry_after=retry_after,
            **{"global": False},
        )

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        """Requests so far, optionally filtered by method and a regex on the path."""
        with self._lock:
            items = list(self.requests)
        return [
            r
            for r in items
            if (method is None or r.method == method)
            and (path is None or re.fullmatch(path, r.path))
        ]

    def posts(self, channel: str) -> list[Received]:
        """Messages posted to one channel that the fake accepted."""
        return [
            r
            for r in self.received("POST", rf"/channels/{channel}/messages")
            if r.status == 200
        ]

    def wait_for(self, check: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Poll ``check`` from a thread that is not the bot's loop (a subprocess test)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s; fake received {self.summary()}")

    async def until(self, check: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Poll ``check`` without blocking the loop the bot runs in (in-process tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s; fake received {self.summary()}")

    def summary(self) -> list[str]:
        return [f"{r.method} {r.path} -> {r.status}" for r in self.received()]

    def interact(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str = ALERTS,
        user: str = USER_ID,
        autocomplete: str | None = None,
        subcommand: str | None = None,
    ) -> tuple[str, str]:
        """A user runs ``/name`` in ``channel``: dispatches INTERACTION_CREATE on every
        connected gateway. ``autocomplete`` names the focused option instead (type 4);
        ``subcommand`` (``/watch add``) nests the options under it, as Discord does.
        Returns the interaction's id and token."""
        interaction_id, token = self.snowflake(), f"itoken-{self.snowflake()}"
        opts = []
        for key, value in (options or {}).items():
            kind = 5 if isinstance(value, bool) else 3
            opt: dict[str, Any] = {"name": key, "type": kind, "value": value}
            if key == autocomplete:
                opt["focused"] = True
            opts.append(opt)
        if subcommand is not None:
            opts = [{"name": subcommand, "type": 1, "options": opts}]
        command = self.commands.get(name, {})
        user_obj = {"id": user, "username": "analyst", "discriminator": "0", "avatar": None,
                    "global_name": "Analyst"}
        data = {
            "id": interaction_id,
            "application_id": APP_ID,
            "type": 4 if autocomplete else 2,
            "token": token,
            "version": 1,
            "attachment_size_limit": 8388608,
            "guild_id": GUILD_ID,
            "channel_id": channel,
            "channel": self._channel(channel),
            "member": {
                "user": user_obj,
                "roles": [],
                "joined_at": _now(),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": "2147483647",
            },
            "app_permissions": "2147483647",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
            "data": {
                "id": command.get("id", self.snowflake()),
                "name": name,
                "type": 1,
                "options": opts,
                "guild_id": GUILD_ID,
            },
        }
        self._dispatch_all("INTERACTION_CREATE", data)
        return interaction_id, token

    def interaction_data(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        channel: str = ALERTS,
        user: str = USER_ID,
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE body of ``/name`` with these raw ``options``, not sent:
        a test may break it in any way before :meth:`dispatch` sends it."""
        command = self.commands.get(name, {})
        user_obj = {"id": user, "username": "analyst", "discriminator": "0", "avatar": None,
                    "global_name": "Analyst"}
        return {
            "id": self.snowflake(),
            "application_id": APP_ID,
            "type": 2,
            "token": f"itoken-{self.snowflake()}",
            "version": 1,
            "attachment_size_limit": 8388608,
            "guild_id": GUILD_ID,
            "channel_id": channel,
            "channel": self._channel(channel),
            "member": {"user": user_obj, "roles": [], "joined_at": _now(), "deaf": False,
                       "mute": False, "flags": 0, "permissions": "2147483647"},
            "app_permissions": "2147483647",
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": GUILD_ID},
            "context": 0,
            "data": {"id": command.get("id", self.snowflake()), "name": name, "type": 1,
                     "options": list(options or []), "guild_id": GUILD_ID},
        }

    def component_data(
        self,
        message: dict[str, Any],
        custom_id: Any,
        *,
        channel: str = ALERTS,
        user: str = USER_ID,
        permissions: str = "2147483647",
    ) -> dict[str, Any]:
        """The INTERACTION_CREATE body of a click on a button of ``message`` (type 3,
        MESSAGE_COMPONENT), not sent: a test may break it before :meth:`dispatch`."""
        data = self.interaction_data("", channel=channel, user=user)
        data["member"]["permissions"] = permissions
        data.update(type=3, message={**message, "channel_id": channel},
                    data={"custom_id": custom_id, "component_type": 2})
        return data

    def click(self, message: dict[str, Any], custom_id: str, **where: Any) -> tuple[str, str]:
        """A person clicks a button of ``message``; returns the interaction's id and token."""
        data = self.component_data(message, custom_id, **where)
        with self._lock:
            self.clicked[data["id"]] = str(message["id"])
        self._dispatch_all("INTERACTION_CREATE", data)
        return data["id"], data["token"]

    def dispatch(self, event: str, data: Any) -> None:
        """Send one dispatch (op 0) with any ``d``, well-formed or not, on every gateway."""
        self._dispatch_all(event, data)

    def send_raw(self, text: str) -> None:
        """Send one text frame exactly as given (not even JSON, perhaps) on every gateway."""

        async def send() -> None:
            if not self._sockets:
                raise AssertionError("no gateway connection to send on")
            for ws in list(self._sockets):
                await ws.send_str(text)

        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(send(), self._loop).result(10)

    def rename_guild(self, name: str) -> None:
        """Dispatch GUILD_UPDATE with a new server name. A client reads its gateway in
        order: once its cache shows the name, it has read every frame sent before."""
        self._dispatch_all("GUILD_UPDATE", {**self._guild(), "name": name})

    def join_guild(self, guild_id: str, name: str = "Strangers") -> None:
        """The bot is added to another server: GUILD_CREATE for it, with no channels and
        no ``unavailable`` key (Discord leaves it out for a join; False means "back up")."""
        guild = {**self._guild(), "id": guild_id, "name": name, "channels": []}
        del guild["unavailable"]
        self._dispatch_all("GUILD_CREATE", guild)

    def callbacks(self, interaction_id: str) -> list[Received]:
        return self.received("POST", rf"/interactions/{interaction_id}/[^/]+/callback")

    def followups(self, token: str) -> list[Received]:
        return self.received(None, rf"/webhooks/{APP_ID}/{re.escape(token)}(/messages/.*)?")

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> FakeDiscord:
        started = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # pragma: no cover - reported to start()
                errors.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-discord", daemon=True)
        self._thread.start()
        if not started.wait(10) or errors:
            raise RuntimeError(f"fake Discord did not start: {errors}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get(GATEWAY_PATH, self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- REST --------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly application/json: with "; charset=utf-8" discord.py does not parse it.
        out = {"Content-Type": "application/json", **(headers or {})}
        return web.Response(body=json.dumps(data).encode(), status=status, headers=out)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        """Record the request once its answer is ready to go (after :attr:`answer_delay`):
        never before, so a test waiting for a request does not stop the bot while Discord
        is still working on it; never after, so a bot that has its answer finds it recorded."""
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        rec = Received(request.method, path, dict(request.query), dict(request.headers), body,
                       time.monotonic())
        with self._lock:
            self.arrivals.append(rec)
        response = self._answer(request.method, path, body, dict(request.query), rec)
        if self.answer_delay > 0:
            await asyncio.sleep(self.answer_delay)
        with self._lock:
            self.requests.append(rec)
        return response

    def _answer(
        self, method: str, path: str, body: Any, query: dict[str, str], rec: Received
    ) -> web.Response:
        with self._lock:
            fault = next(
                (f for f in self._faults
                 if f.times > 0 and f.method == method and f.path.fullmatch(path)),
                None,
            )
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            rec.status = fault.status
            return self._json(fault.body, fault.status, fault.headers)
        outage = self._outage(method, path, rec.at)
        if outage is not None:
            rec.status = outage.status
            error = {"message": f"{outage.status}: Internal Server Error", "code": 0}
            return self._json(error, outage.status, {"Via": "1.1 google"})
        status, data = self._route(method, path, body, query)
        rec.status = status
        if status == 204:
            return web.Response(status=204)
        return self._json(data, status)

    def _outage(self, method: str, path: str, now: float) -> Outage | None:
        return self._outage_for(lambda o: o.active(method, path, now))

    def _route(
        self, method: str, path: str, body: Any, query: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return 200, self._bot_user()
        if method == "GET" and path == "/oauth2/applications/@me":
            return 200, {
                "id": APP_ID, "name": "newsbot", "description": "", "icon": None,
                "bot_public": False, "bot_require_code_grant": False, "verify_key": "0" * 64,
                "owner": {"id": USER_ID, "username": "owner", "discriminator": "0",
                          "avatar": None},
                "flags": 0,
            }
        if method == "PUT" and parts[0] == "applications":
            return 200, self._sync(body or [], parts)
        if method == "POST" and parts[0] == "interactions":
            return self._callback(parts[1], body or {})
        if parts[0] == "webhooks":
            return self._webhook(method, parts, body or {})
        if method == "POST" and path == "/users/@me/channels":
            user = str((body or {}).get("recipient_id"))
            dm = f"9{user[1:]}"  # a stable DM channel id per user
            self.channels.setdefault(dm, f"dm-{user}")
            return 200, {"id": dm, "type": 1, "last_message_id": None,
                         "recipients": [{"id": user, "username": "analyst",
                                         "discriminator": "0", "avatar": None}]}
        if method == "DELETE" and parts[:3] == ["users", "@me", "guilds"] and len(parts) == 4:
            with self._lock:
                self.left_guilds.append(parts[3])
            return 204, None
        if (method == "POST" and parts[0] == "channels" and len(parts) == 5
                and parts[2] == "messages" and parts[4] == "threads"):
            return self._start_thread(parts[1], parts[3], body or {})
        if parts[0] == "channels" and len(parts) >= 3 and parts[2] == "messages":
            channel = parts[1]
            if channel not in self.channels and channel not in self.threads:
                return 404, {"message": "Unknown Channel", "code": 10003}
            if method == "POST" and len(parts) == 3:
                return 200, self._create(channel, body or {})
            if method == "GET" and len(parts) == 3:
                return self._history(channel, query or {})
            if method == "PATCH" and len(parts) == 4:
                old = self.messages_by_id.get(parts[3])
                if old is None:
                    return 404, {"message": "Unknown Message", "code": 10008}
                return 200, self._message(channel, body or {}, message_id=parts[3])
        return 404, {"message": "404: Not Found", "code": 0}

    def _start_thread(self, channel: str, message_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Start Thread from Message: a public thread (type 11) whose id is the message's;
        a second one on the same message is refused (160004), as Discord does."""
        if channel not in self.channels:
            return 404, {"message": "Unknown Channel", "code": 10003}
        message = self.messages_by_id.get(message_id)
        if message is None or message["channel_id"] != channel:
            return 404, {"message": "Unknown Message", "code": 10008}
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        with self._lock:
            if message_id in self.threads:
                return 400, {"message": "A thread has already been created for this message",
                             "code": 160004}
            thread = {
                "id": message_id, "type": 11, "guild_id": GUILD_ID, "parent_id": channel,
                "name": name, "owner_id": BOT_ID, "last_message_id": None,
                "message_count": 0, "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
                "thread_metadata": {"archived": False, "locked": False,
                                    "auto_archive_duration": body.get("auto_archive_duration") or 1440,
                                    "archive_timestamp": _now()},
            }
            self.threads[message_id] = thread
            message["thread"] = dict(thread)
        return 201, thread

    def _create(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new channel message, or the one this nonce already made (``enforce_nonce``)."""
        nonce = body.get("nonce")
        key = (BOT_ID, str(nonce))
        enforce = bool(body.get("enforce_nonce")) and nonce not in (None, "")
        now = time.monotonic()
        with self._lock:
            known = self._nonces.get(key) if enforce else None
            if known is not None and now - known[1] <= self.nonce_window:
                existing = self.messages_by_id.get(known[0])
                if existing is not None:
                    self.nonce_replays.append(dict(existing))
                    return dict(existing)
        message = self._message(channel, body)
        with self._lock:
            if enforce:
                self._nonces[key] = (message["id"], now)
        self._posted(channel, message)  # not when a nonce returned an existing message
        return message

    def _history(self, channel: str, query: dict[str, str]) -> tuple[int, Any]:
        """Get Channel Messages: at most ``limit`` (1-100, default 50), newest first, before
        or after or around a message id (or the latest)."""
        try:
            limit = int(query.get("limit", 50))
            anchors = {k: int(query[k]) for k in ("before", "after", "around") if k in query}
        except ValueError:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        if not 1 <= limit <= 100 or len(anchors) > 1:
            return 400, {"message": "Invalid Form Body", "code": 50035}
        ordered = self.messages(channel)  # oldest first
        ids = [int(m["id"]) for m in ordered]
        if "before" in anchors:
            page = [m for m, i in zip(ordered, ids, strict=True) if i < anchors["before"]][-limit:]
        elif "after" in anchors:
            page = [m for m, i in zip(ordered, ids, strict=True) if i > anchors["after"]][:limit]
        elif "around" in anchors:
            pivot = anchors["around"]
            older = [m for m, i in zip(ordered, ids, strict=True) if i < pivot]
            newer = [m for m, i in zip(ordered, ids, strict=True) if i >= pivot]
            take_older = min(len(older), limit // 2)
            page = (older[len(older) - take_older:] if take_older else []) + newer
            page = page[:limit]
        else:
            page = ordered[-limit:]
        return 200, list(reversed(page))

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "username": "newsbot", "discriminator": "0", "avatar": None,
                "bot": True, "global_name": None, "flags": 0, "verified": True,
                "mfa_enabled": False}

    def _sync(self, body: list[dict[str, Any]], parts: list[str]) -> list[dict[str, Any]]:
        guild = parts[3] if len(parts) > 3 and parts[2] == "guilds" else None
        out = []
        for cmd in body:
            known = self.commands.get(cmd["name"])
            echoed = {**cmd, "id": known["id"] if known else self.snowflake(),
                      "application_id": APP_ID, "version": self.snowflake()}
            if guild:
                echoed["guild_id"] = guild
            self.commands[cmd["name"]] = echoed
            out.append(echoed)
        return out

    def _message(
        self, channel: str, body: dict[str, Any], message_id: str | None = None, flags: int = 0
    ) -> dict[str, Any]:
        message = {
            "id": message_id or self.snowflake(),
            "channel_id": channel,
            "author": self._bot_user(),
            "content": body.get("content") or "",
            "timestamp": _now(),
            "edited_timestamp": _now() if message_id else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", flags) or 0,
        }
        if "nonce" in body:
            message["nonce"] = body["nonce"]
        self.messages_by_id[message["id"]] = message
        return message

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        kind = body.get("type")
        data = body.get("data") or {}
        interaction: dict[str, Any] = {"id": interaction_id, "type": 2}
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            message = self._message("0", data, flags=data.get("flags", 0))
            interaction["response_message_id"] = message["id"]
            interaction["response_message_ephemeral"] = bool(data.get("flags", 0) & EPHEMERAL)
            resource["message"] = message
        elif kind == 5:
            interaction["response_message_loading"] = True
            interaction["response_message_ephemeral"] = bool(data.get("flags", 0) & EPHEMERAL)
        elif kind == 7:  # UPDATE_MESSAGE: the clicked message, edited
            with self._lock:
                clicked = self.messages_by_id.get(self.clicked.get(interaction_id, ""))
            if clicked is not None:
                edited = {**clicked, **{k: v for k, v in data.items()
                                        if k in ("content", "embeds", "components")}}
                with self._lock:
                    self.messages_by_id[clicked["id"]] = {**edited, "edited_timestamp": _now()}
                resource["message"] = dict(edited)
        return 200, {"interaction": interaction, "resource": resource}

    def _webhook(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, Any]:
        # /webhooks/{id}/{token}[/messages/{message id | @original}]
        if method == "POST" and len(parts) == 3:
            return 200, self._message("0", body)
        if method == "PATCH" and len(parts) == 5:
            return 200, self._message("0", body, message_id=parts[4])
        return 404, {"message": "Unknown Webhook", "code": 10015}

    # -- gateway ----------------------------------------------------------------------------

    def _channel(self, channel: str) -> dict[str, Any]:
        return {"id": channel, "type": 0, "name": self.channels.get(channel, "gone"),
                "guild_id": GUILD_ID, "position": 0, "permission_overwrites": [],
                "nsfw": False, "parent_id": None, "topic": None, "last_message_id": None,
                "rate_limit_per_user": 0, "flags": 0}

    def _guild(self) -> dict[str, Any]:
        return {
            "id": GUILD_ID, "name": "Newsroom", "icon": None, "owner_id": USER_ID,
            "unavailable": False, "large": False, "member_count": 2, "features": [],
            "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "2147483647",
                       "position": 0, "color": 0, "hoist": False, "managed": False,
                       "mentionable": False, "flags": 0}],
            "emojis": [], "stickers": [], "members": [], "presences": [], "voice_states": [],
            "threads": [], "stage_instances": [], "guild_scheduled_events": [],
            "channels": [self._channel(c) for c in self.channels if not c.startswith("9")],
            "joined_at": _now(), "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0,
            "system_channel_flags": 0, "preferred_locale": "en-US", "nsfw_level": 0,
        }

    def _dispatch_all(self, event: str, data: Any) -> None:
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._dispatch(event, data), self._loop)
        future.result(10)

    async def _dispatch(self, event: str, data: Any) -> None:
        if not self._sockets:
            raise AssertionError("no gateway connection to dispatch on")
        for ws in list(self._sockets):
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": data}))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                with self._lock:
                    self.gateway_frames.append(frame)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": {
                        "v": 10, "user": self._bot_user(),
                        "guilds": [{"id": GUILD_ID, "unavailable": True}],
                        "session_id": "fake-session", "resume_gateway_url": self.gateway_url,
                        "application": {"id": APP_ID, "flags": 0},
                        "private_channels": [], "relationships": [],
                    }}))
                    await ws.send_str(json.dumps(
                        {"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self._guild()}
                    ))
        finally:
            self._sockets.discard(ws)
        return ws

    @property
    def connected(self) -> int:
        """Open gateway connections (0 once the bot has closed its client)."""
        return len(self._sockets)


def serve() -> Iterator[FakeDiscord]:
    """A started fake, stopped afterwards (use as a pytest fixture body)."""
    fake = FakeDiscord().start()
    try:
        yield fake
    finally:
        fake.stop()
