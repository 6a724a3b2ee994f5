"""Who may use the console: a one-time start-up token or the operator's password, turned
into a signed session cookie; a CSRF token per session; login attempts rate-limited.

Nothing here is stored: the password is kept only as its scrypt hash, sessions live in the
cookie (signed with HMAC-SHA256 under a key random per process unless
``NEWSBOT_CONSOLE_SECRET`` gives one), so a restart logs everyone out unless that is set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

SESSION_TTL = 12 * 3600.0
"""Seconds a login lasts; an anonymous session (the login form's CSRF) lasts as long."""
LOGIN_ATTEMPTS = 5
"""Login attempts allowed per client address within ``LOGIN_WINDOW``; more answer 429."""
LOGIN_WINDOW = 60.0
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
"""scrypt's interactive-login cost: about 50 ms and 16 MB per check."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Session:
    """What a verified cookie says: its id (the CSRF token is derived from it), whether it
    belongs to a logged-in admin, and when it ends (Unix time)."""

    sid: str
    admin: bool
    expires: float


class PasswordHash:
    """An scrypt hash of the operator's password with a random salt; the password itself
    is not kept."""

    def __init__(self, password: str) -> None:
        self._salt = secrets.token_bytes(16)
        self._hash = self._derive(password)

    def _derive(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode("utf-8"), salt=self._salt, **_SCRYPT)

    def matches(self, given: str) -> bool:
        return hmac.compare_digest(self._derive(given[:1024]), self._hash)


class RateLimit:
    """At most ``limit`` attempts per key within ``window`` seconds (a sliding window),
    remembering at most ``capacity`` keys, at O(1) amortised cost per attempt.

    Keys are kept in the order of their latest counted attempt, so those whose window has
    passed are dropped from the front. When ``capacity`` keys are all still within their
    window, the limiter does not evict one to make room: evicting the least recently seen
    would let anyone with ``capacity`` addresses lift a throttled address's limit. Instead
    every key not yet remembered shares one overflow bucket with the same limit until room
    frees up. That fails closed: during such a flood a new address may be told to wait
    (the operator already logged in is not affected), but no address gets more attempts.
    """

    OVERFLOW = "\0overflow"
    """The shared key of the addresses that find the table full (no address has a NUL)."""

    def __init__(
        self,
        limit: int = LOGIN_ATTEMPTS,
        window: float = LOGIN_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        capacity: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.capacity = capacity
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many keys are remembered (at most ``capacity`` + the overflow bucket)."""
        return len(self._seen)

    def allow(self, key: str) -> float | None:
        """Count an attempt; None if allowed, else the seconds until the next one is."""
        now = self.clock()
        horizon = now - self.window
        while self._seen:  # forget the keys with nothing recent, oldest first
            oldest, attempts = next(iter(self._seen.items()))
            if attempts[-1] > horizon:
                break
            del self._seen[oldest]
        if key not in self._seen and len(self._seen) - (self.OVERFLOW in self._seen) >= self.capacity:
            key = self.OVERFLOW
        seen = self._seen.get(key)
        if seen is None:
            seen = self._seen[key] = deque()
        while seen and seen[0] <= horizon:
            seen.popleft()
        if len(seen) >= self.limit:
            return max(1.0, seen[0] + self.window - now)
        seen.append(now)
        self._seen.move_to_end(key)
        return None


class Auth:
    """The console's keys: the start-up token (one use), the password hash, the session
    signing key. ``clock`` is Unix time (tests move it)."""

    def __init__(
        self,
        password: str | None = None,
        secret: str | None = None,
        *,
        ttl: float = SESSION_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.password = PasswordHash(password) if password else None
        self._key = (
            hashlib.sha256(b"newsbot-console\0" + secret.encode("utf-8")).digest()
            if secret
            else secrets.token_bytes(32)
        )
        self.token: str | None = secrets.token_urlsafe(24)
        """The start-up token until it is used; printed with the address at start."""
        self.ttl = ttl
        self.clock = clock
        self.limiter = RateLimit()
        self._revoked: dict[str, float] = {}
        """Sessions logged out before they expired (their id, until when)."""

    def use_token(self, given: str) -> bool:
        """True once for the start-up token; afterwards it is spent."""
        token = self.token
        if token is None or not hmac.compare_digest(given.encode("utf-8", "replace"), token.encode()):
            return False
        self.token = None
        return True

    def check_password(self, given: str) -> bool:
        return self.password is not None and self.password.matches(given)

    # -- sessions --------------------------------------------------------------------------

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def new_session(self, admin: bool) -> tuple[Session, str]:
        """A fresh session (a new id: a login never keeps the id it had before) and its
        cookie value."""
        session = Session(secrets.token_urlsafe(18), admin, self.clock() + self.ttl)
        payload = f"{session.sid}.{int(session.admin)}.{int(session.expires)}"
        return session, f"{payload}.{self._sign(payload)}"

    def session(self, cookie: str | None) -> Session | None:
        """The session a cookie carries, or None if it is forged, damaged or expired."""
        if not cookie or len(cookie) > 256 or not cookie.isascii():  # ours are ASCII
            return None
        payload, _, signature = cookie.rpartition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            sid, admin, expires = payload.split(".")
            session = Session(sid, admin == "1", float(int(expires)))
        except ValueError:
            return None
        if session.expires <= self.clock() or session.sid in self._revoked:
            return None
        return session

    def revoke(self, session: Session) -> None:
        """Log a session out: its cookie is refused from now on, even if kept."""
        now = self.clock()
        self._revoked = {sid: t for sid, t in self._revoked.items() if t > now}
        self._revoked[session.sid] = session.expires

    def csrf_token(self, session: Session) -> str:
        """The token every form and state-changing request of this session must carry."""
        return _b64(hmac.new(self._key, f"csrf:{session.sid}".encode(), hashlib.sha256).digest())

    def csrf_ok(self, session: Session | None, given: str | None) -> bool:
        if session is None or not given:
            return False
        return hmac.compare_digest(given.encode("ascii", "replace"), self.csrf_token(session).encode())
