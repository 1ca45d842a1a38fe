"""What the Telegram and Slack channels need from the environment, checked in one place.

No Rasa import here: the credentials generator (scripts/credentials.py) and the webhook
registration (scripts/telegram_webhook.py) use it as well as the connectors, and importing
anything under connectors/ loads Rasa and TensorFlow (about 10 s).
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Mapping
from urllib.parse import urlparse

TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram/webhook"
SLACK_WEBHOOK_PATH = "/webhooks/slack/webhook"
TELEGRAM_DEFAULT_API_URL = "https://api.telegram.org"
SLACK_DEFAULT_API_URL = "https://slack.com/api/"
# The update types the coach reads; registration asks Telegram for these only.
TELEGRAM_ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
_TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
_TELEGRAM_USERNAME = re.compile(r"^@?[A-Za-z][A-Za-z0-9_]{3,31}$")
_TELEGRAM_PORTS = {None, 443, 80, 88, 8443}  # the only ports setWebhook accepts


def telegram_problems(env: Mapping[str, str]) -> List[str]:
    """What is wrong with the Telegram settings, naming the variable to fix."""
    problems = []
    token = env.get("TELEGRAM_TOKEN") or ""
    left, sep, right = token.partition(":")
    if not (sep and left.isdigit() and right) or any(c.isspace() for c in token):
        problems.append("TELEGRAM_TOKEN must be the token @BotFather gave you (<digits>:<letters>)")
    if not _TELEGRAM_USERNAME.match(env.get("TELEGRAM_VERIFY") or ""):
        problems.append("TELEGRAM_VERIFY must be the bot's username, e.g. psoas_coach_bot")
    if not _TELEGRAM_SECRET.match(env.get("TELEGRAM_SECRET_TOKEN") or ""):
        problems.append("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    problems += _url_problems(env, "TELEGRAM_API_URL")
    return problems


def telegram_webhook_problems(url: str) -> List[str]:
    """What setWebhook would refuse, or what would never reach the coach."""
    problems = []
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        problems.append("TELEGRAM_WEBHOOK_URL must be an https:// URL that Telegram can reach")
    else:
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if port not in _TELEGRAM_PORTS:
            problems.append("Telegram only calls ports 443, 80, 88 and 8443")
    if not parsed.path.rstrip("/").endswith(TELEGRAM_WEBHOOK_PATH):
        problems.append(f"TELEGRAM_WEBHOOK_URL must end with {TELEGRAM_WEBHOOK_PATH}, where the coach listens")
    return problems


def slack_problems(env: Mapping[str, str]) -> List[str]:
    problems = []
    if not (env.get("SLACK_TOKEN") or "").startswith("xoxb-"):
        problems.append("SLACK_TOKEN must be the app's Bot User OAuth Token (xoxb-…)")
    if not (env.get("SLACK_SIGNING_SECRET") or "").strip():
        problems.append("SLACK_SIGNING_SECRET must be the app's signing secret")
    problems += _url_problems(env, "SLACK_API_URL")
    return problems


CHANNEL_CHECKS: Dict[str, Callable[[Mapping[str, str]], List[str]]] = {
    "telegram": telegram_problems,
    "slack": slack_problems,
}


def _url_problems(env: Mapping[str, str], name: str) -> List[str]:
    value = (env.get(name) or "").strip()
    if value and urlparse(value).scheme not in ("http", "https"):
        return [f"{name} must be an http(s):// URL"]
    return []
