"""A local Slack on 127.0.0.1 that slack_sdk and slack-bolt talk to as if it were slack.com.

It answers the Web API methods the bot uses, serves Socket Mode over a loopback websocket,
receives ``response_url`` answers and incoming-webhook posts, records everything with the
time it arrived (recorded once its answer is ready: see :attr:`FakeSlack.answer_delay`),
and can be told to fail the next calls of a method (429 with Retry-After,
``ratelimited``, ``channel_not_found``, HTTP 500). It runs its own event loop in a thread,
so the bot under test (in-process or a subprocess) cannot starve it and vice versa.

Posted messages are kept per channel, like a workspace would: ``conversations.history``
returns them newest first, with ``metadata`` only when ``include_all_metadata`` is set,
``oldest``/``latest`` exclusive unless ``inclusive``, and cursor pages. A ``chat.postMessage``
with ``thread_ts`` is a reply in that message's thread: not in the channel's history, read
with ``conversations.replies``. A message ``ts`` is
the wall clock in microseconds (unique, increasing), as Slack's are. For fault tests:
:meth:`FakeSlack.outage` answers the posting methods with an error for some seconds, and
:meth:`FakeSlack.on_post` runs a callback the moment a message is stored, before the
poster gets its answer (the window a crash-safe bot has to survive).

The protocol details it relies on are in ``shared/TESTING-CHAT.md``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web

from tests.fakes.base import ChatFaults, OutageWindow

BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
APP_TOKEN = "xapp-1-A111-2222-fakeapptoken"
TEAM_ID = "T0FAKE"
BOT_USER = "U0NEWSBOT"
CREATOR = "U0ALICE"


def signed(body: str, secret: str, when: float | None = None) -> dict[str, str]:
    """The headers Slack signs an HTTP request with (``v0:<ts>:<body>``, HMAC-SHA256)."""
    ts = str(int(time.time() if when is None else when))
    mac = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={mac}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


@dataclass
class Call:
    """One request the fake received."""

    method: str
    """Web API method (``chat.postMessage``), or ``response_url`` / ``webhook``."""
    body: dict[str, Any]
    headers: dict[str, str]
    at: float
    """``time.monotonic()`` on arrival; the call is recorded once its answer is ready."""
    status: int = 200
    ok: bool = True
    """Whether the fake answered with success (an injected error makes it False)."""


CALL = web.RequestKey("call", Call)
"""Where a handler leaves its :class:`Call` for the middleware to record once its answer is ready."""


@dataclass
class Envelope:
    """A Socket Mode envelope sent to the bot, and its ack."""

    envelope_id: str
    payload: dict[str, Any]
    sent_at: float
    acked_at: float | None = None
    ack: dict[str, Any] | None = None


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    channel: str | None = None
    """Only fail calls for this channel; None = any."""


@dataclass
class Outage(OutageWindow):
    """Posting methods answer ``status`` until ``until`` (``time.monotonic()``)."""

    status: int = 500
    methods: tuple[str, ...] = ("chat.postMessage", "chat.update")
    error: str | None = None
    retry_after: float | None = None

    def active(self, method: str, now: float) -> bool:
        return method in self.methods and now < self.until


def _ts_micros(ts: str) -> int:
    """A Slack ts ("1730000000.000100") as integer microseconds, for exact comparisons."""
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or 0) * 1_000_000 + int((fraction + "000000")[:6])


def _is_reply(message: dict[str, Any]) -> bool:
    """A reply in a thread (its ``thread_ts`` names another message), as Slack marks it."""
    return "thread_ts" in message and message["thread_ts"] != message["ts"]


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes")


@dataclass
class FakeSlack(ChatFaults[Outage]):
    calls: list[Call] = field(default_factory=list)
    envelopes: dict[str, Envelope] = field(default_factory=dict)
    connections_opened: int = 0
    """apps.connections.open calls answered."""
    sockets_accepted: int = 0
    """Socket Mode websockets accepted (the live ones are in ``_sockets``)."""
    port: int = 0
    creators: dict[str, str] = field(default_factory=dict)
    """``conversations.info``'s ``creator`` per channel id; any other channel was created
    by :data:`CREATOR`, the user slash commands come from unless a test says otherwise."""
    answer_delay: float = 0.0
    """Seconds every HTTP answer waits before it is sent (a slow Slack, a loaded
    machine): the window in which a bot that stops too early drops its reply."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[Failure]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}
        """Messages per channel id, oldest first (what ``conversations.history`` reads)."""
        self.history_max_limit = 999
        """Largest ``limit`` conversations.history honours (Slack: 999; 15 for apps
        distributed outside the Marketplace since 2025)."""
        self._init_faults()
        self._last_ts = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # -- life cycle --------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application(middlewares=[self._answer_then_record])
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/respond/{id}", self._respond)
        app.router.add_post("/hooks/{id}", self._webhook)
        self._runner = web.AppRunner(app, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        async def _stop() -> None:
            for ws in list(self._sockets):
                await ws.close()
            if self._runner is not None:
                await self._runner.cleanup()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    # -- addresses the bot is given ------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.base}/hooks/T0FAKE-B0FAKE-secret"

    def env(self, **extra: str) -> dict[str, str]:
        """Socket Mode credentials pointing at this fake."""
        return {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "NEWSBOT_SLACK_API_URL": self.api_url,
            **extra,
        }

    # -- test controls -------------------------------------------------------------------

    def fail(self, method: str, *, times: int = 1, **failure: Any) -> None:
        """Answer the next ``times`` calls of ``method`` with this failure."""
        with self._lock:
            self._failures.setdefault(method, []).extend(Failure(**failure) for _ in range(times))

    def outage(
        self,
        seconds: float,
        *,
        status: int = 500,
        methods: tuple[str, ...] = ("chat.postMessage", "chat.update"),
        error: str | None = None,
        retry_after: float | None = None,
    ) -> Outage:
        """Answer every call of ``methods`` with ``status`` for ``seconds`` from now
        (5xx: a plain-text body, as Slack's edge sends; otherwise ``{"ok": false, "error"}``)."""
        return self._add_outage(
            Outage(time.monotonic() + seconds, status, tuple(methods), error, retry_after)
        )

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """What the channel holds now, oldest first (edits applied), metadata included;
        replies in threads are not the channel's (see :meth:`replies`)."""
        with self._lock:
            return [dict(m) for m in self.history.get(channel, []) if not _is_reply(m)]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in the thread of the message ``thread_ts``, oldest first."""
        with self._lock:
            return [
                dict(m) for m in self.history.get(channel, [])
                if _is_reply(m) and m.get("thread_ts") == thread_ts
            ]

    def slash_payload(
        self,
        command: str,
        text: str = "",
        *,
        channel_id: str = "C0NEWS",
        channel_name: str = "news",
        user_id: str = "U0ALICE",
    ) -> dict[str, str]:
        """What Slack sends for a slash command, with a response_url on this fake."""
        return {
            "token": "legacy-verification-token",
            "command": command,
            "text": text,
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": "alice",
            "api_app_id": "A0FAKE",
            "response_url": f"{self.base}/respond/{uuid.uuid4().hex}",
            "trigger_id": f"{time.time():.0f}.fake",
        }

    def slash(self, command: str, text: str = "", **where: str) -> Envelope:
        """Deliver a slash command over the open Socket Mode connection."""
        payload = self.slash_payload(command, text, **where)
        envelope = Envelope(str(uuid.uuid4()), payload, time.monotonic())
        frame = {
            "envelope_id": envelope.envelope_id,
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }

        async def send() -> None:
            if not self._sockets:
                raise AssertionError("no Socket Mode connection to deliver the command on")
            envelope.sent_at = time.monotonic()
            with self._lock:
                self.envelopes[envelope.envelope_id] = envelope
            await self._sockets[-1].send_str(json.dumps(frame))

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)
        return envelope

    def push(self, frame: dict[str, Any] | str) -> Envelope | None:
        """Send one Socket Mode frame as given, well-formed or not (a str goes out as is).

        A dict frame with a string ``envelope_id`` is recorded like :meth:`slash`, so its
        ack can be awaited; anything else is fire and forget.
        """
        envelope = None
        if isinstance(frame, dict) and isinstance(frame.get("envelope_id"), str):
            payload = frame.get("payload")
            envelope = Envelope(
                frame["envelope_id"], payload if isinstance(payload, dict) else {}, time.monotonic()
            )
        text = frame if isinstance(frame, str) else json.dumps(frame)

        async def send() -> None:
            if not self._sockets:
                raise AssertionError("no Socket Mode connection to send on")
            if envelope is not None:
                envelope.sent_at = time.monotonic()
                with self._lock:
                    self.envelopes[envelope.envelope_id] = envelope
            await self._sockets[-1].send_str(text)

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)
        return envelope

    def action_payload(
        self,
        channel: str,
        message: dict[str, Any],
        action_id: str,
        *,
        user_id: str = CREATOR,
        channel_name: str = "news",
        ephemeral: bool = False,
    ) -> dict[str, Any]:
        """What Slack sends when ``user_id`` clicks the button ``action_id`` on ``message``
        (a stored message, or an ephemeral one: then ``message`` is not sent, as Slack
        does not share ephemeral messages back)."""
        buttons = [
            e for b in message.get("blocks", []) if b.get("type") == "actions"
            for e in b.get("elements", []) if e.get("action_id") == action_id
        ]
        button = buttons[0] if buttons else {"type": "button", "value": "", "text": {}}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": TEAM_ID},
            "api_app_id": "A0FAKE",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message.get("ts", ""),
                          "channel_id": channel, "is_ephemeral": ephemeral},
            "trigger_id": f"{time.time():.0f}.fake",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel_name},
            "state": {"values": {}},
            "response_url": f"{self.base}/respond/{uuid.uuid4().hex}",
            "actions": [{
                "action_id": action_id,
                "block_id": "newsbot_feedback",
                "text": button.get("text", {}),
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }],
        }
        if not ephemeral:
            payload["message"] = message
        return payload

    def interactive(self, payload: dict[str, Any]) -> Envelope:
        """Deliver a ``block_actions`` payload over Socket Mode (envelope ``interactive``)."""
        envelope = self.push({
            "envelope_id": str(uuid.uuid4()),
            "type": "interactive",
            "accepts_response_payload": False,
            "payload": payload,
        })
        assert envelope is not None
        return envelope

    def click(self, channel: str, message: dict[str, Any], action_id: str, **who: Any) -> Envelope:
        """A person clicks a button of a message over Socket Mode."""
        return self.interactive(self.action_payload(channel, message, action_id, **who))

    @staticmethod
    def post_signed(
        url: str, payload: dict[str, Any], secret: str, *, when: float | None = None
    ) -> int:
        """POST ``payload`` to a bot in HTTP mode as Slack does (form field ``payload``,
        signed with ``secret``); the HTTP status it answered."""
        body = urlencode({"payload": json.dumps(payload)})
        request = urllib.request.Request(
            url, data=body.encode(), headers=signed(body, secret, when), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    def answers(self, response_url: str) -> list[dict[str, Any]]:
        """What the bot POSTed to one ``response_url`` (a click's or a command's)."""
        return [c.body for c in self.received("response_url") if c.body.get("_url") == response_url]

    def disconnect(self) -> None:
        """Ask the connected client to reconnect, as Slack does every few hours."""

        async def send() -> None:
            for ws in list(self._sockets):
                await ws.send_str(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))

        asyncio.run_coroutine_threadsafe(send(), self._loop).result(5)

    # -- reading what arrived ------------------------------------------------------------

    def received(self, method: str | None = None, **body: Any) -> list[Call]:
        """Calls of ``method`` whose body has these values (e.g. ``channel="C1"``)."""
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method)
            and all(c.body.get(k) == v for k, v in body.items())
        ]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages successfully posted with chat.postMessage (to ``channel``)."""
        match = {"channel": channel} if channel else {}
        return [c.body for c in self.received("chat.postMessage", **match) if c.ok]

    def wait_for(
        self, check: Callable[[], Any], timeout: float = 90, what: str = "condition"
    ) -> Any:
        """Poll ``check`` until it returns something truthy; fail with what arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        methods = [(c.method, c.body.get("channel"), c.ok) for c in self.calls]
        raise AssertionError(f"timed out waiting for {what}; the fake received {methods}")

    def wait_connected(self, timeout: float = 30) -> None:
        self.wait_for(lambda: self._sockets, timeout, "a Socket Mode connection")

    # -- the server side -----------------------------------------------------------------

    @web.middleware
    async def _answer_then_record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Record the call once its answer is ready to go (after :attr:`answer_delay`):
        never before, so a test waiting for a call does not stop the bot while Slack is
        still working on it; never after, so a bot that has its answer finds it recorded."""
        response = await handler(request)
        call = request.get(CALL)
        if call is None:  # the Socket Mode websocket
            return response
        if self.answer_delay > 0:
            await asyncio.sleep(self.answer_delay)
        self._record(call)
        return response

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def _next_failure(self, method: str, channel: str | None) -> Failure | None:
        with self._lock:
            queue = self._failures.get(method, [])
            for i, failure in enumerate(queue):
                if failure.channel is None or failure.channel == channel:
                    return queue.pop(i)
        return None

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return data if isinstance(data, dict) else {"_": data}
        form = await request.post()
        body: dict[str, Any] = {k: str(v) for k, v in form.items()}
        body.update({k: v for k, v in request.query.items() if k not in body})
        return body

    @staticmethod
    def _failure_response(failure: Failure) -> web.Response:
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = f"{failure.retry_after:g}"
        if failure.status >= 500:
            return web.Response(status=failure.status, text="upstream error", headers=headers)
        return web.json_response(
            {"ok": False, "error": failure.error or "ratelimited"},
            status=failure.status,
            headers=headers,
        )

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        headers = dict(request.headers)
        auth = headers.get("Authorization", "")
        call = Call(method, body, headers, time.monotonic())
        failure = self._next_failure(method, body.get("channel"))
        if failure is None:
            failure = self._outage_failure(method, call.at)
        if failure is not None:
            call.status, call.ok = failure.status, False
            request[CALL] = call
            return self._failure_response(failure)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if auth != f"Bearer {expected}":
            call.ok = False
            request[CALL] = call
            return web.json_response({"ok": False, "error": "invalid_auth"})
        request[CALL] = call
        answer = self._answer(method, body)
        if method == "chat.postMessage" and answer.get("ok"):
            self._posted(str(answer["channel"]), answer["message"])
        return web.json_response(answer)

    def _outage_failure(self, method: str, now: float) -> Failure | None:
        outage = self._outage_for(lambda o: o.active(method, now))
        if outage is None:
            return None
        return Failure(outage.status, outage.error, outage.retry_after)

    def _new_ts(self) -> str:
        """Now, in microseconds, never twice the same: Slack's ts is unique per channel."""
        with self._lock:
            micros = max(time.time_ns() // 1000, self._last_ts + 1)
            self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _store(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        """A message as conversations.history returns it (posted by the bot user)."""
        message: dict[str, Any] = {
            "type": "message",
            "ts": self._new_ts(),
            "user": BOT_USER,
            "bot_id": "B0NEWSBOT",
            "app_id": "A0FAKE",
            "team": TEAM_ID,
            "text": body.get("text") or "",
            "blocks": self._json_field(body.get("blocks")) or [],
        }
        metadata = self._json_field(body.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        thread_ts = body.get("thread_ts")
        with self._lock:
            if thread_ts:
                parent = next(
                    (m for m in self.history.get(channel, []) if m["ts"] == str(thread_ts)), None
                )
                if parent is None:
                    return {"error": "thread_not_found"}
                message["thread_ts"] = parent["ts"]
                message["parent_user_id"] = parent["user"]
                parent["thread_ts"] = parent["ts"]
                parent["reply_count"] = parent.get("reply_count", 0) + 1
            self.history.setdefault(channel, []).append(message)
        return dict(message)

    def _edit(self, channel: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            for message in self.history.get(channel, []):
                if message["ts"] == body.get("ts"):
                    break
            else:
                return None
            if "text" in body:
                message["text"] = body.get("text") or ""
            if "blocks" in body:
                message["blocks"] = self._json_field(body.get("blocks")) or []
            metadata = self._json_field(body.get("metadata"))
            if metadata:
                message["metadata"] = metadata
            message["edited"] = {"user": BOT_USER, "ts": f"{time.time():.6f}"}
            return dict(message)

    @staticmethod
    def _json_field(value: Any) -> Any:
        """Blocks and metadata arrive as JSON objects, or as strings in a form post."""
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: newest first, ``oldest < ts < latest`` (``<=`` with
        ``inclusive``), at most ``limit`` (default 100), then a cursor to older ones."""
        channel = str(body.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        try:
            limit = int(body.get("limit") or 100)
        except ValueError:
            return {"ok": False, "error": "invalid_limit"}
        limit = max(1, min(limit, self.history_max_limit))
        inclusive = _truthy(body.get("inclusive"))
        oldest = _ts_micros(body["oldest"]) if body.get("oldest") else 0
        latest = _ts_micros(body["latest"]) if body.get("latest") else None
        cursor = str(body.get("cursor") or "")
        if cursor:
            try:
                decoded = base64.b64decode(cursor.encode(), validate=True).decode()
            except ValueError:
                return {"ok": False, "error": "invalid_cursor"}
            if not decoded.startswith("next_ts:"):
                return {"ok": False, "error": "invalid_cursor"}
            latest, inclusive_latest = _ts_micros(decoded[len("next_ts:"):]), True
        else:
            inclusive_latest = inclusive

        def wanted(ts: int) -> bool:
            if ts < oldest or (ts == oldest and not inclusive):
                return False
            return latest is None or ts < latest or (ts == latest and inclusive_latest)

        with self._lock:
            stored = [dict(m) for m in self.history.get(channel, []) if not _is_reply(m)]
        found = [m for m in reversed(stored) if wanted(_ts_micros(m["ts"]))]
        page, rest = found[:limit], found[limit:]
        if not _truthy(body.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        answer: dict[str, Any] = {
            "ok": True,
            "messages": page,
            "has_more": bool(rest),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        if rest:
            token = base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode()
            answer["response_metadata"] = {"next_cursor": token}
        return answer

    def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies: the thread of ``ts``, its parent first, then the replies
        oldest first, those after ``oldest`` (exclusive unless ``inclusive``); metadata
        only with ``include_all_metadata``. One page: a thread here is short."""
        channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
        with self._lock:
            stored = [dict(m) for m in self.history.get(channel, [])]
        parent = next((m for m in stored if m["ts"] == ts and not _is_reply(m)), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        oldest = _ts_micros(body["oldest"]) if body.get("oldest") else 0
        inclusive = _truthy(body.get("inclusive"))

        def wanted(m: dict[str, Any]) -> bool:
            at = _ts_micros(m["ts"])
            return at > oldest or (inclusive and at == oldest)

        thread = [parent] + [m for m in stored if _is_reply(m) and m.get("thread_ts") == ts]
        page = [m for m in thread if m is parent or wanted(m)]
        if not _truthy(body.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        return {"ok": True, "messages": page, "has_more": False}

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel", "")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "newsbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER,
                "bot_id": "B0NEWSBOT",
            }
        if method == "apps.connections.open":
            with self._lock:
                self.connections_opened += 1
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "chat.postMessage":
            message = self._store(channel, body)
            if "error" in message:
                return {"ok": False, **message}
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        if method == "chat.update":
            edited = self._edit(channel, body)
            if edited is None:
                # A message this fake did not store (a DM opened by user id, a test that
                # starts mid-story): accepted, as this fake always has.
                edited = {"type": "message", "text": body.get("text"), "ts": body.get("ts")}
            return {"ok": True, "channel": channel, "ts": edited["ts"], "message": edited}
        if method == "chat.postEphemeral":
            ts = self._new_ts()
            message = {"type": "message", "text": body.get("text"), "ts": ts}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.history":
            return self._history(body)
        if method == "conversations.replies":
            return self._replies(body)
        if method == "conversations.info":
            creator = self.creators.get(channel, CREATOR)
            return {
                "ok": True,
                "channel": {"id": channel, "name": "news", "is_member": True, "creator": creator},
            }
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D0" + str(body.get("users", ""))[2:]}}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        call = Call("response_url", await self._body(request), dict(request.headers), time.monotonic())
        call.body["_url"] = str(request.url)
        request[CALL] = call
        return web.Response(text="ok")

    async def _webhook(self, request: web.Request) -> web.Response:
        call = Call("webhook", await self._body(request), dict(request.headers), time.monotonic())
        failure = self._next_failure("webhook", None)
        if failure is not None:
            call.status, call.ok = failure.status, False
            request[CALL] = call
            headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after else {}
            return web.Response(status=failure.status, text=failure.error or "", headers=headers)
        request[CALL] = call
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        self.sockets_accepted += 1
        try:
            await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                envelope = self.envelopes.get(str(data.get("envelope_id")))
                if envelope is not None and envelope.acked_at is None:
                    envelope.acked_at = time.monotonic()
                    envelope.ack = data
        finally:
            self._sockets.remove(ws)
        return ws


@contextmanager
def running() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()
