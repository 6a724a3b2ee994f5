"""The adapter's own decisions: which mode a configuration means, and what a Slack error means
for the outbox. Posting goes through the real slack_sdk client to the local fake Slack."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.chat.base import DeliveryError
from bot.chat.slack.adapter import SlackAdapter
from bot.chat.slack.commands import caller_from
from bot.chat.slack.errors import SlackConfigError, delivery_error
from bot.commands.dispatch import Commands
from bot.models import Target
from bot.settings.sections import SlackConfig
from tests.chat.slack.test_blocks import make_alert
from tests.fakes.slack import BOT_TOKEN, FakeSlack

COMMANDS: Any = Commands(None, None, None, watchlist=lambda: None)  # type: ignore[arg-type]


def adapter(env: dict[str, str]) -> SlackAdapter:
    return SlackAdapter.from_env(env, SlackConfig(), COMMANDS)


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "socket"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "http"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_SIGNING_SECRET": "s"}, "socket"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "post"),
        ({"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"}, "webhook"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/x"}, "post"),
    ],
)
def test_the_environment_chooses_the_mode(env: dict[str, str], mode: str) -> None:
    assert adapter(env).mode == mode


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_APP_TOKEN": "xapp-1-secret"}, "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"),
        ({"SLACK_SIGNING_SECRET": "s3cret"}, "SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not"),
        ({"SLACK_BOT_TOKEN": "xapp-1-secret", "SLACK_APP_TOKEN": "xoxb-1-secret"}, "starts with xapp"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-secret", "SLACK_APP_TOKEN": "xoxb-2-secret"}, "app-level token"),
        ({"SLACK_WEBHOOK_URL": "hooks.slack.com/secret"}, "SLACK_WEBHOOK_URL should be"),
    ],
)
def test_contradictory_settings_are_refused_without_echoing_secrets(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as info:
        adapter(env)
    assert isinstance(info.value, SlackConfigError)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "error", "headers", "permanent", "retry_after", "words"),
    [
        (429, "ratelimited", {"Retry-After": "7"}, False, 7.0, "rate limit"),
        (200, "ratelimited", {}, False, 30.0, "rate limit"),
        (200, "channel_not_found", {}, True, None, "check the channel id"),
        (200, "not_in_channel", {}, True, None, "invite the bot"),
        (200, "is_archived", {}, True, None, "unarchive"),
        (200, "invalid_auth", {}, True, None, "check SLACK_BOT_TOKEN"),
        (200, "token_revoked", {}, True, None, "reinstall"),
        (200, "account_inactive", {}, True, None, "SLACK_BOT_TOKEN"),
        (200, "invalid_blocks", {}, True, None, "refused the message"),
        (500, None, {}, False, None, "HTTP 500"),
        (200, "internal_error", {}, False, None, "internal_error"),
    ],
)
def test_slack_errors_tell_the_outbox_what_to_do(
    status: int,
    error: str | None,
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
    words: str,
) -> None:
    exc = delivery_error(status, error, headers, "C0NEWS")
    assert (exc.permanent, exc.retry_after) == (permanent, retry_after)
    # Only the channel's own refusals pause its subscriptions (not a token, not a message).
    assert exc.channel_gone == (error in ("channel_not_found", "not_in_channel", "is_archived"))
    assert words in str(exc)
    if permanent:
        assert "C0NEWS" in str(exc)


def test_a_slash_command_payload_names_the_channel_and_the_callers_dms() -> None:
    caller = caller_from({"channel_id": "C1", "channel_name": "news", "user_id": "U1"})
    assert (caller.platform, caller.channel, caller.where, caller.dm_channel) == ("slack", "C1", "#news", "U1")
    dm = caller_from({"channel_id": "D1", "channel_name": "directmessage", "user_id": "U1"})
    assert dm.where == "this conversation"
    private = caller_from({"channel_id": "G1", "channel_name": "privategroup", "user_id": "U1"})
    assert private.where == "G1"


@pytest.mark.network
@pytest.mark.timeout(60)
def test_posting_updating_and_failing_against_the_fake(fake_slack: FakeSlack) -> None:
    slack = adapter({"SLACK_BOT_TOKEN": BOT_TOKEN, "NEWSBOT_SLACK_API_URL": fake_slack.api_url})
    channel = Target("slack", "C0NEWS")

    async def scenario() -> None:
        await slack.start()
        try:
            ts = await slack.send_alert(channel, make_alert())
            assert ts and fake_slack.posts("C0NEWS")[0]["metadata"]["event_payload"] == {"alert_id": "a1"}
            assert await slack.update_alert(channel, ts, make_alert(title="Updated")) == ts
            update = fake_slack.received("chat.update")[0].body
            assert (update["ts"], update["blocks"][0]["text"]["text"]) == (ts, "Updated")
            # A DM target is a user id; chat.update needs the DM's channel id.
            await slack.update_alert(Target("slack", "U0ALICE"), "1.2", make_alert())
            assert fake_slack.received("chat.update")[-1].body["channel"] == "D0ALICE"

            fake_slack.fail("chat.postMessage", status=500)
            with pytest.raises(DeliveryError) as err:
                await slack.send_alert(channel, make_alert())
            assert not err.value.permanent and err.value.retry_after is None
            assert len(fake_slack.received("chat.postMessage")) == 2, "slack_sdk retried by itself"

            fake_slack.fail("chat.postMessage", status=429, retry_after=3)
            with pytest.raises(DeliveryError) as err:
                await slack.send_alert(channel, make_alert())
            assert err.value.retry_after == 3.0
            assert len(fake_slack.received("chat.postMessage")) == 3, "slack_sdk slept through a 429"
        finally:
            await slack.stop()

    asyncio.run(scenario())


@pytest.mark.network
@pytest.mark.timeout(60)
def test_an_unreachable_slack_is_a_transient_error(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/api/"
    slack = adapter({"SLACK_BOT_TOKEN": "xoxb-1", "NEWSBOT_SLACK_API_URL": url})

    async def scenario() -> None:
        await slack.start()  # logs and carries on: alerts wait in the outbox
        with pytest.raises(DeliveryError) as err:
            await slack.send_alert(Target("slack", "C1"), make_alert())
        assert not err.value.permanent and "unreachable" in str(err.value)
        await slack.stop()

    asyncio.run(scenario())


def test_the_manifest_declares_every_command_the_bot_answers() -> None:
    import yaml

    from bot.chat.slack.commands import COMMANDS as ANSWERED
    from tests.chat.conftest import ROOT

    manifest = yaml.safe_load((ROOT / "config" / "slack-manifest.yaml").read_text())
    declared = [c["command"].lstrip("/") for c in manifest["features"]["slash_commands"]]
    assert sorted(declared) == sorted(ANSWERED)
    assert {"chat:write", "commands"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert manifest["settings"]["socket_mode_enabled"] is True


@pytest.mark.network
@pytest.mark.timeout(60)
def test_a_refused_app_token_stops_start_with_a_reason(fake_slack: FakeSlack) -> None:
    env = fake_slack.env(SLACK_APP_TOKEN="xapp-1-wrong")
    slack = adapter(env)

    async def scenario() -> None:
        try:
            with pytest.raises(SlackConfigError, match=r"refused SLACK_APP_TOKEN \(invalid_auth\)"):
                await slack.start()
        finally:
            await slack.stop()

    asyncio.run(scenario())
    assert not fake_slack._sockets


@pytest.mark.network
@pytest.mark.timeout(60)
def test_the_alert_posted_is_the_previewed_message_buttons_where_clicks_reach_the_bot(
    fake_slack: FakeSlack,
) -> None:
    """``newsbot preview --slack`` prints ``alert_message``; the adapter posts the same,
    buttons included when it receives clicks (HTTP mode) and left out when it cannot."""
    from bot.chat.slack.feedback import alert_message

    base = {"SLACK_BOT_TOKEN": BOT_TOKEN, "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
            "NEWSBOT_SLACK_HTTP_HOST": "127.0.0.1"}
    alert = make_alert()

    async def post(env: dict[str, str], channel: str) -> None:
        slack = SlackAdapter.from_env(env, SlackConfig(http_port=0), COMMANDS)
        await slack.start()
        try:
            await slack.send_alert(Target("slack", channel), alert)
        finally:
            await slack.stop()

    asyncio.run(post({**base, "SLACK_SIGNING_SECRET": "s3cret"}, "C0NEWS"))
    asyncio.run(post(base, "C0QUIET"))  # a bot token alone: no clicks reach it
    (clickable,) = fake_slack.posts("C0NEWS")
    previewed = alert_message(alert)
    assert {k: clickable[k] for k in previewed} == previewed
    assert [e["value"] for e in clickable["blocks"][-1]["elements"]] == ["useful", "nr", "mute"]
    (quiet,) = fake_slack.posts("C0QUIET")
    assert quiet["blocks"] == alert_message(alert, with_buttons=False)["blocks"]
    assert all(b["type"] != "actions" or b.get("block_id") != "newsbot_feedback" for b in quiet["blocks"])
