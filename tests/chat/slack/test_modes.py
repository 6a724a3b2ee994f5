"""The other two ways to connect Slack: HTTP mode (signed requests) and an incoming webhook."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.chat.conftest import SEED_TITLE, Home
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.fakes.slack import signed as sign

pytestmark = [pytest.mark.network, pytest.mark.timeout(120)]

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: str, secret: str = SECRET, when: float | None = None) -> dict[str, str]:
    return sign(body, secret, when)


def test_http_mode_serves_signed_commands_and_refuses_forged_or_stale_ones(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("NEWSBOT_SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("NEWSBOT_SLACK_HTTP_HOST", "127.0.0.1")
    routes = [{"platform": "slack", "channel": "C0ROUTED", "items": ["all"]}]
    config = home.write_config(routes, slack={"http_port": 0, "http_path": "/slack/events"})
    bot = start_bot(config)
    fake_slack.wait_for(lambda: fake_slack.posts("C0ROUTED"), what="the seed's alert")
    port = bot.bot.adapters["slack"].http_bound_port
    assert not fake_slack.received("apps.connections.open"), "HTTP mode opened a socket"
    url = f"http://127.0.0.1:{port}/slack/events"

    def command(text: str, **headers: str) -> tuple[httpx.Response, str]:
        payload = fake_slack.slash_payload("/subscribe", text)
        body = urlencode(payload)
        return httpx.post(url, content=body, headers=headers or signed(body), timeout=10), payload[
            "response_url"
        ]

    good, response_url = command("kursk")
    assert good.status_code == 200
    reply = fake_slack.wait_for(
        lambda: [c for c in fake_slack.received("response_url") if c.body["_url"] == response_url],
        what="the answer",
    )
    assert reply[0].body["text"].startswith("Subscribed #news to Kursk (kursk)")

    forged_body = urlencode(fake_slack.slash_payload("/subscribe", "all"))
    forged = httpx.post(url, content=forged_body, headers=signed(forged_body, "wrong"), timeout=10)
    assert forged.status_code == 401
    stale_body = urlencode(fake_slack.slash_payload("/subscribe", "all"))
    stale = httpx.post(
        url, content=stale_body, headers=signed(stale_body, when=time.time() - 600), timeout=10
    )
    assert stale.status_code == 401
    # A fence: a signed command after the refused ones; once it is answered, a refused
    # one that had slipped through to the command handler would have been answered too.
    fence, fence_url = command("")
    assert fence.status_code == 200
    fake_slack.wait_for(
        lambda: [c for c in fake_slack.received("response_url") if c.body["_url"] == fence_url],
        what="the fence's answer",
    )
    assert len(fake_slack.received("response_url")) == 2, "a refused request was answered"


def test_webhook_mode_posts_the_alert(
    home: Home, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, start_bot: Any
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", fake_slack.webhook_url)
    fake_slack.fail("webhook", status=429, retry_after=1)
    routes = [{"platform": "slack", "channel": "webhook", "items": ["all"]}]
    start_bot(home.write_config(routes))
    calls = fake_slack.wait_for(
        lambda: [c for c in fake_slack.received("webhook") if c.ok], what="the webhook post"
    )
    first = fake_slack.received("webhook")[0]
    assert first.status == 429 and calls[0].at - first.at >= 1.0
    body = calls[0].body
    assert SEED_TITLE in body["blocks"][0]["text"]["text"]
    assert "Choe Son Hui" in json.dumps(body["blocks"], ensure_ascii=False)
    assert "metadata" not in body
    assert not fake_slack.received("auth.test"), "webhook mode needs no token"
