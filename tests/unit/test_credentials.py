"""The credentials Rasa starts with (scripts/credentials.py) and the channel settings checks."""

from __future__ import annotations

import pytest
import yaml
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.io import read_config_file

from coach.channel_settings import slack_problems, telegram_problems, telegram_webhook_problems
from scripts import credentials
from scripts.credentials import generate
from tests.conftest import ROOT

TEMPLATE = (ROOT / "credentials.yml").read_text()
TELEGRAM = {
    "TELEGRAM_TOKEN": "123456:ABC-def_ghi",
    "TELEGRAM_VERIFY": "psoas_coach_bot",
    "TELEGRAM_SECRET_TOKEN": "s3cret-token_1",
}
SLACK = {"SLACK_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"}


def statuses(report):
    return {s.name: s for s in report}


def test_rasa_refuses_the_template_without_tokens_but_starts_with_what_is_generated(tmp_path, monkeypatch):
    for name in [*TELEGRAM, *SLACK, "TELEGRAM_API_URL", "SLACK_API_URL"]:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RasaException, match="environment variables"):
        read_config_file(ROOT / "credentials.yml")
    text, report = generate(TEMPLATE, {})
    (tmp_path / "credentials.yml").write_text(text)
    loaded = read_config_file(tmp_path / "credentials.yml")
    assert set(loaded) == {
        "connectors.rest.CoachRestInput",
        "connectors.socketio.CoachSocketIOInput",
        "connectors.downloads.CoachDownloadsInput",
    }
    assert loaded["connectors.socketio.CoachSocketIOInput"]["session_persistence"] is True
    off = statuses(report)
    assert not off["telegram"].on and off["telegram"].missing == list(TELEGRAM)
    assert "set SLACK_TOKEN, SLACK_SIGNING_SECRET" in off["slack"].describe()


def test_channels_with_their_settings_are_on_and_no_secret_is_written(tmp_path, monkeypatch):
    env = {**TELEGRAM, **SLACK, "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    text, report = generate(TEMPLATE, env)
    on = statuses(report)
    assert on["telegram"].on and on["slack"].on and not on["telegram"].problems + on["slack"].problems
    for secret in env.values():
        assert secret not in text, "values stay ${VAR} references that Rasa expands at start"
    telegram = yaml.safe_load(text)["connectors.telegram.CoachTelegramInput"]
    assert "api_url" not in telegram, "an unset optional variable leaves the connector's default"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "credentials.yml").write_text(text)
    loaded = read_config_file(tmp_path / "credentials.yml")
    assert loaded["connectors.telegram.CoachTelegramInput"]["secret_token"] == "s3cret-token_1"
    assert loaded["connectors.slack.CoachSlackInput"]["api_url"] == "http://127.0.0.1:9/api/"


def test_a_partly_configured_channel_stays_off_and_says_what_is_missing():
    _, report = generate(TEMPLATE, {"TELEGRAM_TOKEN": "1:a", "SLACK_SIGNING_SECRET": " "})
    assert statuses(report)["telegram"].missing == ["TELEGRAM_VERIFY", "TELEGRAM_SECRET_TOKEN"]
    assert statuses(report)["slack"].missing == ["SLACK_TOKEN", "SLACK_SIGNING_SECRET"], "blank is unset"


def test_wrong_settings_stop_the_start_with_the_variable_to_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TELEGRAM_TOKEN", "not a token")
    monkeypatch.setenv("TELEGRAM_VERIFY", "psoas_coach_bot")
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "has spaces in it")
    assert credentials.main(["--out", str(tmp_path / "c.yml")]) == 1
    out = capsys.readouterr().out
    assert "telegram: cannot start" in out and "TELEGRAM_TOKEN" in out and "TELEGRAM_SECRET_TOKEN" in out
    assert "rest: on" in out


def test_an_optional_variable_alone_does_not_switch_a_channel_on():
    _, report = generate(TEMPLATE, {"ALEXA_VERIFY": "off"})
    assert statuses(report)["alexa"].missing == ["ALEXA_SKILL_ID"]
    text, report = generate(TEMPLATE, {"ALEXA_SKILL_ID": "amzn1.ask.skill.test"})
    assert statuses(report)["alexa"].on and "verify" not in yaml.safe_load(text)["connectors.alexa.AlexaInput"]


def test_a_variable_inside_a_value_is_written_so_rasa_expands_it():
    text, _ = generate("my.Channel:\n  url: https://${HOST}/hook\n  name: plain\n", {"HOST": "example.org"})
    assert "  url: https://${HOST}/hook\n" in text and '  name: "plain"\n' in text


@pytest.mark.parametrize(
    "env, problem",
    [
        ({**TELEGRAM, "TELEGRAM_TOKEN": "123456"}, "TELEGRAM_TOKEN"),
        ({**TELEGRAM, "TELEGRAM_VERIFY": "a b"}, "TELEGRAM_VERIFY"),
        ({**TELEGRAM, "TELEGRAM_SECRET_TOKEN": "x" * 257}, "TELEGRAM_SECRET_TOKEN"),
        ({**TELEGRAM, "TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
    ],
)
def test_telegram_settings_problems_name_the_variable(env, problem):
    assert telegram_problems(TELEGRAM) == []
    assert any(problem in p for p in telegram_problems(env))


def test_slack_settings_problems_name_the_variable():
    assert slack_problems(SLACK) == []
    assert "SLACK_TOKEN" in slack_problems({**SLACK, "SLACK_TOKEN": "xoxp-fake"})[0]


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://coach.example.org/webhooks/telegram/webhook", True),
        ("https://coach.example.org:8443/webhooks/telegram/webhook", True),
        ("http://coach.example.org/webhooks/telegram/webhook", False),
        ("https://coach.example.org:5005/webhooks/telegram/webhook", False),
        ("https://coach.example.org/webhooks/rest/webhook", False),
        ("https://coach.example.org:notaport/webhooks/telegram/webhook", False),
    ],
)
def test_webhook_urls_telegram_would_refuse_are_caught_before_registering(url, ok):
    assert (telegram_webhook_problems(url) == []) is ok
