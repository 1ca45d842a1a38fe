"""Switching channels on and registering the Telegram webhook, as an operator does it."""

from __future__ import annotations

import requests

from scripts import telegram_webhook
from tests.integration.channels.conftest import TELEGRAM_BOT, TELEGRAM_TOKEN
from tests.integration.channels.fakes import FakeTelegram
from tests.integration.channels.users import TELEGRAM_SECRET


def test_without_tokens_the_coach_starts_with_telegram_and_slack_off(servers):
    """The shared servers run with no TELEGRAM_* or SLACK_* variables, as `make run` does by default."""
    on = {status.name: status.on for status in servers.channels}
    assert on == {"rest": True, "socketio": True, "telegram": False, "slack": False, "alexa": False, "downloads": True}
    assert requests.get(f"{servers.url}/webhooks/telegram/", timeout=10).status_code == 404
    assert requests.get(f"{servers.url}/webhooks/slack/", timeout=10).status_code == 404
    assert requests.get(f"{servers.url}/webhooks/rest/", timeout=10).json() == {"status": "ok"}


def test_with_their_settings_both_channels_are_on(channel_servers):
    assert {s.name for s in channel_servers.channels if s.on} >= {"telegram", "slack"}
    for name in ("telegram", "slack"):
        assert requests.get(f"{channel_servers.url}/webhooks/{name}/", timeout=10).json() == {"status": "ok"}


def registration_env(fake: FakeTelegram, **overrides):
    return {
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_VERIFY": TELEGRAM_BOT,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://coach.example.org/webhooks/telegram/webhook",
        "TELEGRAM_API_URL": fake.url,
        **overrides,
    }


def test_registering_the_webhook_sets_the_secret_and_the_update_types(capsys):
    fake = FakeTelegram(TELEGRAM_TOKEN, TELEGRAM_BOT).start()
    try:
        assert telegram_webhook.main([], env=registration_env(fake)) == 0
        [call] = fake.since(0, "setWebhook")
        assert call.params == {
            "url": "https://coach.example.org/webhooks/telegram/webhook",
            "secret_token": TELEGRAM_SECRET,
            "allowed_updates": ["message", "edited_message", "callback_query"],
        }
        assert telegram_webhook.main(["--info"], env=registration_env(fake)) == 0
        assert "url: https://coach.example.org/webhooks/telegram/webhook" in capsys.readouterr().out
        assert telegram_webhook.main(["--delete"], env=registration_env(fake)) == 0
        assert fake.since(0, "deleteWebhook")
    finally:
        fake.stop()


def test_registration_refuses_what_telegram_would_refuse_without_calling_it(capsys):
    fake = FakeTelegram(TELEGRAM_TOKEN, TELEGRAM_BOT).start()
    try:
        for overrides, says in (
            ({"TELEGRAM_WEBHOOK_URL": "http://localhost:5005/webhooks/telegram/webhook"}, "https://"),
            ({"TELEGRAM_WEBHOOK_URL": "https://coach.example.org/webhooks/rest/webhook"}, "must end with"),
            ({"TELEGRAM_SECRET_TOKEN": "no spaces allowed"}, "TELEGRAM_SECRET_TOKEN"),
            ({"TELEGRAM_WEBHOOK_URL": ""}, "Set TELEGRAM_WEBHOOK_URL"),
        ):
            assert telegram_webhook.main([], env=registration_env(fake, **overrides)) == 1
            assert says in capsys.readouterr().err
        assert not fake.since(0)
        # A token Telegram does not know: its answer, in words.
        assert telegram_webhook.main([], env=registration_env(fake, TELEGRAM_TOKEN="999:wrong")) == 1
        assert "Telegram refused setWebhook: Unauthorized" in capsys.readouterr().err
    finally:
        fake.stop()


def test_registration_with_telegram_unreachable_says_so(capsys):
    env = {**registration_env(FakeTelegram(TELEGRAM_TOKEN, TELEGRAM_BOT)), "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    assert telegram_webhook.main([], env=env) == 1
    assert "Telegram did not answer setWebhook" in capsys.readouterr().err
