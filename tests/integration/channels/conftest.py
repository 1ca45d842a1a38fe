"""One set of real servers with Telegram and Slack switched on, pointed at local fakes of their
APIs, shared by every channel test (CI has 2 cores and 30 minutes)."""

from __future__ import annotations

import pytest

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from tests.integration.channels.fakes import FakeSlack, FakeTelegram
from tests.integration.channels.helpers import API_TOKEN
from tests.integration.channels.users import (
    SLACK_SIGNING_SECRET,
    TELEGRAM_SECRET,
    SlackUser,
    SlackWebhook,
    TelegramUser,
    TelegramWebhook,
)
from tests.integration.servers import ensure_model, running

TELEGRAM_TOKEN = "123456789:AAtest-token_for-the-fake"
TELEGRAM_BOT = "psoas_test_bot"
SLACK_TOKEN = "xoxb-fake"


@pytest.fixture(scope="session")
def telegram_api():
    fake = FakeTelegram(TELEGRAM_TOKEN, TELEGRAM_BOT).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def slack_api():
    fake = FakeSlack(SLACK_TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def channel_env(telegram_api, slack_api):
    return {
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_VERIFY": TELEGRAM_BOT,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
        "TELEGRAM_API_URL": telegram_api.url,
        "SLACK_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_api.url}/api/",
    }


@pytest.fixture(scope="session")
def channel_servers(tmp_path_factory, kb, channel_env):
    ensure_model()
    workdir = tmp_path_factory.mktemp("channel-servers")
    url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    with running(workdir, url, env=channel_env, rasa_args=["--enable-api", "--auth-token", API_TOKEN]) as servers:
        yield servers


@pytest.fixture(scope="session")
def telegram(channel_servers, telegram_api) -> TelegramWebhook:
    return TelegramWebhook(channel_servers.url, telegram_api)


@pytest.fixture(scope="session")
def slack(channel_servers, slack_api) -> SlackWebhook:
    return SlackWebhook(channel_servers.url, slack_api)


@pytest.fixture()
def telegram_user(telegram) -> TelegramUser:
    return TelegramUser(telegram)


@pytest.fixture()
def slack_user(slack) -> SlackUser:
    return SlackUser(slack)
