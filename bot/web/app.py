"""The console's aiohttp application: pages, login, and the guard every request passes.

The guard, in order: the ``Host`` a browser asked for must be a loopback name while the
console listens on loopback (a DNS-rebinding page cannot reach it under its own name);
``?token=`` logs in and drops the token from the address; every path but ``/login`` and
``/static/`` needs an admin session (a page redirects to the login, anything else is
403); every POST needs the session's CSRF token (form field ``csrf`` or header
``X-CSRF-Token``), else 403. Every answer carries the security headers below.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from yarl import URL

from bot.web.auth import Auth, Session

log = logging.getLogger(__name__)

T = TypeVar("T")

COOKIE = "newsbot_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
MAX_REQUEST_BYTES = 1024 * 1024
"""Largest request body (a pasted article is bounded further by its page)."""
CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PUBLIC = ("/login", "/static/")


@dataclass(frozen=True)
class Page:
    """One page of the console: its title in the navigation, its path, and its routes
    (which may include more paths than ``path``, e.g. a POST that changes something).

    A page module has a function returning its ``Page`` from the narrow things it reads
    (a repository, a settings getter): see ``bot/web/pages/__init__.py``.
    """

    title: str
    path: str
    routes: web.RouteTableDef


class Threads:
    """Blocking work of the console on threads of its own, so that nothing waits behind the
    bot's deliveries or holds up the loop: page handlers (store queries, a Try's matching)
    on two threads, long jobs (the start-up warm-up, a backtest) on two others via
    :meth:`long`, so a page load never queues behind them."""

    def __init__(self, workers: int = 2, long_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="newsbot-web")
        self._long = ThreadPoolExecutor(max_workers=long_workers, thread_name_prefix="newsbot-web-long")

    async def __call__(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(fn, *args, **kw))

    async def long(self, fn: Callable[..., T], /, *args: Any, **kw: Any) -> T:
        """Work that may take minutes (one warm-up, one backtest at a time)."""
        return await asyncio.get_running_loop().run_in_executor(self._long, partial(fn, *args, **kw))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._long.shutdown(wait=False, cancel_futures=True)


Offload = Callable[..., Awaitable[Any]]
"""``await run(fn, *args)``: a :class:`Threads` as the pages receive it."""

AUTH = web.AppKey("auth", Auth)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
NAV = web.AppKey("nav", list)
LOOPBACK = web.AppKey("loopback", bool)
FLASH = web.AppKey("flash", dict)
SESSION = web.RequestKey("session", Session)


def templates() -> jinja2.Environment:
    """Templates from the package, every value escaped unless a template says otherwise."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def static_dir() -> Path:
    return Path(str(resources.files("bot.web") / "static"))


def session_of(request: web.Request) -> Session | None:
    """The verified session of this request (set by the guard), if any."""
    return request.get(SESSION)


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """A page from ``templates/<template>``, with what the layout needs: the navigation,
    the CSRF token for its forms, whether someone is logged in."""
    session = session_of(request)
    auth = request.app[AUTH]
    html = request.app[TEMPLATES].get_template(template).render(
        nav=request.app[NAV],
        here=request.path,
        csrf=auth.csrf_token(session) if session else "",
        logged_in=bool(session and session.admin),
        notice=take_flash(request),
        **context,
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)


def flash(request: web.Request, text: str) -> None:
    """A one-line result (``Feed paused``) for the next page this session loads: kept in
    memory, not in the URL, so nobody can link an admin to a made-up message."""
    session = session_of(request)
    if session is not None:
        notes = request.app[FLASH]
        if len(notes) > 1000:
            notes.clear()
        notes[session.sid] = text


def take_flash(request: web.Request) -> str | None:
    session = session_of(request)
    return request.app[FLASH].pop(session.sid, None) if session is not None else None


def _set_cookie(response: web.StreamResponse, request: web.Request, value: str, ttl: float) -> None:
    response.set_cookie(
        COOKIE, value, max_age=int(ttl), path="/", httponly=True, samesite="Strict",
        secure=request.secure,
    )


def _local_target(target: str | None) -> str:
    """Where to go after logging in: a path on this console, nothing else.

    Judged as it goes out: a redirect's ``Location`` passes through yarl, and a browser
    reads it, both dropping tabs and newlines (``/<tab>/evil.example`` becomes
    ``//evil.example``, another site), so a control character anywhere is refused too."""
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    try:
        url = URL(target)
    except ValueError:
        return "/"
    shown = str(url)
    if url.is_absolute() or not shown.startswith("/") or shown.startswith("//"):
        return "/"
    return target


def _client(request: web.Request) -> str:
    return request.remote or "unknown"


def _host_ok(request: web.Request) -> bool:
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    return host.lower() in LOOPBACK_NAMES


@web.middleware
async def guard(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await _guarded(request, handler)
    except web.HTTPException as exc:
        _headers(request, exc)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


async def _guarded(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    app = request.app
    auth = app[AUTH]
    if app[LOOPBACK] and not _host_ok(request):
        raise web.HTTPMisdirectedRequest(text="This console answers only on its loopback address.")
    session = auth.session(request.cookies.get(COOKIE))
    if session is not None:
        request[SESSION] = session
    token = request.query.get("token")
    if token is not None and request.method == "GET":
        if session is not None and session.admin:  # the link opened again: already in
            raise redirect(_local_target(_without_token(request)))
        return await _token_login(request, token)
    if not request.path.startswith(_PUBLIC) and not (session and session.admin):
        if request.method in _SAFE_METHODS:
            raise redirect("/login?" + urlencode({"next": request.path_qs}))
        raise web.HTTPForbidden(text="Log in first.")
    if request.method not in _SAFE_METHODS and not request.path.startswith("/static/"):
        given = request.headers.get(CSRF_HEADER)
        if given is None and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"
        ):
            given = (await request.post()).get(CSRF_FIELD)  # type: ignore[assignment]
        if not auth.csrf_ok(session, given if isinstance(given, str) else None):
            raise web.HTTPForbidden(text="Missing or wrong CSRF token: reload the page and retry.")
    return await handler(request)


async def _token_login(request: web.Request, token: str) -> web.StreamResponse:
    auth = request.app[AUTH]
    wait = auth.limiter.allow(_client(request))
    if wait is not None:
        raise web.HTTPTooManyRequests(
            text="Too many login attempts; wait a minute.", headers={"Retry-After": f"{wait:.0f}"}
        )
    if not auth.use_token(token):
        log.warning("console: a login with a wrong or spent token from %s", _client(request))
        return _login_page(
            request, "/", status=403,
            error="That login link is not valid (each link works once): log in below.",
        )
    raise _logged_in(request, _without_token(request))


def _without_token(request: web.Request) -> str:
    """This request's path and query without the token, for the address bar."""
    query = {k: v for k, v in request.query.items() if k != "token"}
    return request.path + ("?" + urlencode(query) if query else "")


def _logged_in(request: web.Request, target: str) -> web.HTTPException:
    auth = request.app[AUTH]
    _, cookie = auth.new_session(admin=True)
    log.info("console: admin logged in from %s", _client(request))
    response = redirect(_local_target(target))
    _set_cookie(response, request, cookie, auth.ttl)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    return _login_page(request, _local_target(request.query.get("next")))


def _login_page(
    request: web.Request, target: str, *, status: int = 200, error: str | None = None
) -> web.Response:
    """The login form; a visitor without a session gets an anonymous one, so that the
    form carries a CSRF token like every other."""
    auth = request.app[AUTH]
    cookie = None
    if session_of(request) is None:
        session, cookie = auth.new_session(admin=False)
        request[SESSION] = session
    response = render(
        request, "login.html", status=status, next=target,
        password=auth.password is not None, error=error,
    )
    if cookie is not None:
        _set_cookie(response, request, cookie, auth.ttl)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app[AUTH]
    wait = auth.limiter.allow(_client(request))
    if wait is not None:
        raise web.HTTPTooManyRequests(
            text="Too many login attempts; wait a minute.", headers={"Retry-After": f"{wait:.0f}"}
        )
    form = await request.post()
    token, password = str(form.get("token") or ""), str(form.get("password") or "")
    target = _local_target(str(form.get("next") or "/"))
    if (token and auth.use_token(token.strip())) or (
        password and await asyncio.to_thread(auth.check_password, password)
    ):
        raise _logged_in(request, target)
    log.warning("console: a failed login from %s", _client(request))
    return _login_page(request, target, status=403, error="Wrong token or password.")


async def logout(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    if session is not None:
        request.app[AUTH].revoke(session)
    response = redirect("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def make_app(pages: Sequence[Page], auth: Auth, *, loopback: bool = True) -> web.Application:
    """The console with ``pages`` in the navigation, in that order; ``/`` is the first."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_REQUEST_BYTES)
    app[AUTH] = auth
    app[TEMPLATES] = templates()
    app[NAV] = [(p.title, p.path) for p in pages]
    app[LOOPBACK] = loopback
    app[FLASH] = {}
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_static("/static/", static_dir())
    for page in pages:
        app.router.add_routes(page.routes)
    if pages:
        first = pages[0].path

        async def home(request: web.Request) -> web.StreamResponse:
            raise redirect(first)

        app.router.add_get("/", home)
    return app
