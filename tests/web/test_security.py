"""Who may use the console and what every answer carries: token and password logins,
the session cookie, CSRF, the login rate limit, the security headers, the loopback rule."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.web.app import CSP
from tests.web.conftest import HOSTILE_TITLE, Client, Console, csrf_of

pytestmark = pytest.mark.network


def test_a_page_without_login_redirects_to_the_login(console: Console) -> None:
    async def go() -> None:
        async with Client(console) as c:
            for path in ("/feeds", "/subscriptions", "/"):
                async with c.session.get(path, allow_redirects=False) as resp:
                    assert resp.status == 303
                    assert resp.headers["Location"].startswith("/login")
            status, html = await c.page("/feeds")
            assert status == 200 and "Log in to the console" in html
            assert "Wire Example" not in html

    asyncio.run(go())


def test_the_start_up_token_logs_in_once_into_a_strict_httponly_cookie(console: Console) -> None:
    assert console.token and console.announced == [
        f"Web console: {console.url}/?token={console.token}  (the link logs in once)"
    ]

    async def go() -> None:
        async with Client(console) as c:
            async with c.session.get(f"/feeds?token={console.token}", allow_redirects=False) as resp:
                assert resp.status == 303
                assert resp.headers["Location"] == "/feeds"  # the token leaves the address
                cookie = resp.headers["Set-Cookie"]
            for flag in ("HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"):
                assert flag in cookie
            status, html = await c.page("/feeds")
            assert status == 200 and "Wire Example" in html
        async with Client(console) as other:  # the link works once
            status, html = await other.page(f"/feeds?token={console.token}")
            assert status == 403 and "not valid" in html

    asyncio.run(go())


def test_a_forged_or_logged_out_cookie_is_refused(console: Console) -> None:
    async def go() -> None:
        async with Client(console) as c:
            await c.login()
            cookie = next(m for m in c.session.cookie_jar if m.key == "newsbot_console")
            value = cookie.value
        sid, admin, expires, signature = value.split(".")
        for forged in (
            f"{sid}.{admin}.{expires}.{signature[:-2]}xx",  # a damaged signature
            f"{sid}.{admin}.{int(expires) + 9999}.{signature}",  # a longer life, same signature
            f"{sid}.0.{expires}.{signature}",  # the anonymous flag flipped
        ):
            async with Client(console) as c:
                c.session.cookie_jar.update_cookies({"newsbot_console": forged})
                async with c.session.get("/feeds", allow_redirects=False) as resp:
                    assert resp.status == 303
        async with Client(console) as c:
            c.session.cookie_jar.update_cookies({"newsbot_console": value})
            status, html = await c.page("/feeds")
            assert status == 200
            resp = await c.post("/logout", {}, csrf_from="/feeds")
            assert resp.status == 303
        async with Client(console) as c:  # the old cookie, kept by someone, is dead
            c.session.cookie_jar.update_cookies({"newsbot_console": value})
            async with c.session.get("/feeds", allow_redirects=False) as resp:
                assert resp.status == 303

    asyncio.run(go())


def test_a_post_without_its_csrf_token_is_forbidden(console: Console) -> None:
    async def go() -> None:
        async with Client(console) as c:
            await c.login()
            url = "127.0.0.1:9/wire.xml"
            for data in ({"url": url}, {"url": url, "csrf": "not-the-token"}):
                resp = await c.post("/feeds/0/pause", data)
                assert resp.status == 403
            _, html = await c.page("/feeds")
            assert "paused" not in html.split("<tbody>")[1].split("</tr>")[0]
            resp = await c.post("/feeds/0/pause", {"url": "http://127.0.0.1:9/wire.xml"}, csrf_from="/feeds")
            assert resp.status == 303

    asyncio.run(go())
    state = console.bot.store.feeds.feed_state("http://127.0.0.1:9/wire.xml")
    assert state is not None and state.paused_at is not None


def test_every_answer_carries_the_security_headers(console: Console) -> None:
    async def go() -> None:
        async with Client(console) as c:
            answers = []
            for path in ("/login", "/feeds", "/static/console.css", "/nowhere"):
                async with c.session.get(path, allow_redirects=False) as resp:
                    answers.append((path, resp.status, resp.headers))
            await c.login()
            for path in ("/feeds", "/subscriptions", "/nowhere"):
                async with c.session.get(path, allow_redirects=False) as resp:
                    answers.append((path, resp.status, resp.headers))
        for path, _status, headers in answers:
            assert headers["Content-Security-Policy"] == CSP, path
            assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "no-referrer", path
            assert headers["X-Frame-Options"] == "DENY", path
            if not path.startswith("/static/"):
                assert headers["Cache-Control"] == "no-store", path
        assert {(p, s) for p, s, _ in answers} >= {("/nowhere", 404), ("/feeds", 200)}

    asyncio.run(go())


def test_login_attempts_are_rate_limited_per_address(console: Console) -> None:
    async def go() -> None:
        async with Client(console) as c:
            _, html = await c.page("/login")
            csrf = csrf_of(html)
            codes = []
            for _ in range(6):
                resp = await c.post("/login", {"csrf": csrf, "token": "guess"})
                codes.append(resp.status)
            assert codes == [403] * 5 + [429]
            assert int(resp.headers["Retry-After"]) >= 1
            # Even the right token waits out the window now.
            resp = await c.post("/login", {"csrf": csrf, "token": console.token or ""})
            assert resp.status == 429
            async with c.session.get(f"/?token={console.token}", allow_redirects=False) as r:
                assert r.status == 429

    asyncio.run(go())
    assert console.server.auth.token is not None  # not spent by a refused attempt


def test_the_password_logs_in_and_is_kept_only_hashed(start_console: Callable[..., Console]) -> None:
    console = start_console(env={"NEWSBOT_CONSOLE_PASSWORD": "correct horse battery"})
    auth = console.server.auth
    assert auth.password is not None
    assert "correct horse battery" not in repr(vars(auth.password)) + repr(vars(auth))

    async def go() -> None:
        async with Client(console) as c:
            _, html = await c.page("/login")
            assert 'name="password"' in html
            resp = await c.post("/login", {"csrf": csrf_of(html), "password": "wrong"})
            assert resp.status == 403
            resp = await c.post("/login", {"csrf": csrf_of(html), "password": "correct horse battery",
                                           "next": "/subscriptions"})
            assert resp.status == 303 and resp.headers["Location"] == "/subscriptions"
            status, html = await c.page("/subscriptions")
            assert status == 200 and "Routes in the config" in html
            # A login form posted without its token is refused like any other.
            resp = await c.post("/login", {"password": "correct horse battery"})
            assert resp.status == 403

    asyncio.run(go())


def test_an_address_of_another_name_is_refused_on_loopback(console: Console) -> None:
    """A page that rebinds its own name to 127.0.0.1 still sends its name as Host."""
    async def go() -> None:
        async with Client(console) as c, c.session.get(
            "/login", headers={"Host": "evil.example"}
        ) as resp:
            assert resp.status == 421

    asyncio.run(go())


def test_no_loopback_no_console_without_a_password(
    start_console: Callable[..., Console], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.web.server"):
        console = start_console(console={"listen_host": "0.0.0.0", "listen_port": 0})
    assert console.port is None and console.announced == []
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.server"]
    assert len(lines) == 1
    assert "0.0.0.0" in lines[0] and "NEWSBOT_CONSOLE_PASSWORD" in lines[0]
    assert "runs on without it" in lines[0]
    with_password = start_console(
        env={"NEWSBOT_CONSOLE_PASSWORD": "s3cret-enough"},
        console={"listen_host": "0.0.0.0", "listen_port": 0},
    )
    assert with_password.port


def test_feed_text_is_escaped_and_no_secret_is_shown(start_console: Callable[..., Console]) -> None:
    console = start_console(feeds=[
        {"url": "https://127.0.0.1:9/feed.xml?apikey=SECRETKEY123", "name": HOSTILE_TITLE},
    ])

    async def go() -> str:
        async with Client(console) as c:
            await c.login()
            _, html = await c.page("/feeds")
            return html

    html = asyncio.run(go())
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "SECRETKEY123" not in html


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example/x", "/\n/evil.example/x", "/\r\n/evil.example", "//evil.example/x",
     "/\\evil.example", "https://evil.example/", " //evil.example", "/\x00/evil.example"],
)
def test_a_login_goes_nowhere_but_this_console(start_console: Callable[..., Console], target: str) -> None:
    """A browser drops tabs and newlines from a Location (``/<tab>/evil.example`` is
    ``//evil.example``, another site), and so does aiohttp's redirect: the login's ``next``
    is judged as it would go out."""
    console = start_console(env={"NEWSBOT_CONSOLE_PASSWORD": "correct horse battery"})

    async def go() -> str:
        async with Client(console) as c:
            _, html = await c.page("/login")
            resp = await c.post("/login", {"csrf": csrf_of(html), "password": "correct horse battery",
                                           "next": target})
            assert resp.status == 303
            return str(resp.headers["Location"])

    assert asyncio.run(go()) == "/"


def test_a_spent_token_link_on_a_double_slash_path_stays_on_this_console(console: Console) -> None:
    """An admin already logged in who opens ``//evil.example/?token=…`` on the console is
    sent to the console's own pages, not to evil.example."""
    async def go() -> str:
        async with Client(console) as c:
            await c.login()
            url = f"{console.url}//evil.example/?token=spent"
            async with c.session.get(url, allow_redirects=False) as resp:
                assert resp.status == 303
                return str(resp.headers["Location"])

    location = asyncio.run(go())
    assert not location.startswith("//") and location.startswith("/")


@pytest.mark.parametrize("cookie", ["é.1.2.x", "a.1.2.é", "a.1.9999999999.\u00ff\u00ff"])
def test_a_cookie_that_is_not_ascii_is_no_session_not_an_error(console: Console, cookie: str) -> None:
    """Cookies are shared by every port of a host: another local app's, or a damaged
    one, is not a session (the login page), never a server error."""
    async def go() -> tuple[int, str]:
        async with Client(console) as c:
            headers = {"Cookie": f"newsbot_console={cookie}"}
            async with c.session.get("/feeds", headers=headers, allow_redirects=False) as resp:
                return resp.status, resp.headers.get("Location", "")

    assert asyncio.run(go()) == (303, "/login?next=/feeds")



def test_a_feed_number_too_long_for_an_int_is_no_such_feed(console: Console) -> None:
    """``/feeds/<5,000 digits>/pause`` was a 500 (Python refuses to read an int that long)."""
    async def go() -> int:
        async with Client(console) as c:
            await c.login()
            resp = await c.post(f"/feeds/{'9' * 5000}/pause", {"url": "x"}, csrf_from="/feeds")
            return int(resp.status)

    assert asyncio.run(go()) == 404
