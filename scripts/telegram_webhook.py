"""Registers the coach's Telegram webhook: an explicit step, run once (and after the URL or the
secret changes), never at start-up. Rasa's stock connector registers at every start, so a
start offline or during a Telegram 429 fails; the coach starts without touching the network.

make telegram-webhook                                 # register TELEGRAM_WEBHOOK_URL
python -m scripts.telegram_webhook --info             # what Telegram has registered
python -m scripts.telegram_webhook --delete           # unregister (Telegram keeps updates for 24 h)

Reads TELEGRAM_TOKEN, TELEGRAM_WEBHOOK_URL, TELEGRAM_SECRET_TOKEN and TELEGRAM_API_URL
(default https://api.telegram.org). Registration sets the secret token Telegram will send in
X-Telegram-Bot-Api-Secret-Token (the coach refuses updates without it) and limits updates to
messages, edits and button presses.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Mapping, Optional

import requests

from coach.channel_settings import (
    TELEGRAM_ALLOWED_UPDATES,
    TELEGRAM_DEFAULT_API_URL,
    telegram_problems,
    telegram_webhook_problems,
)


class SetupError(Exception):
    pass


def setting(env: Mapping[str, str], name: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise SetupError(f"Set {name} first (see docs/channels.md).")
    return value


def call(env: Mapping[str, str], method: str, data: Optional[Dict[str, Any]] = None) -> Any:
    base = (env.get("TELEGRAM_API_URL") or TELEGRAM_DEFAULT_API_URL).rstrip("/")
    token = setting(env, "TELEGRAM_TOKEN")
    try:
        reply = requests.post(f"{base}/bot{token}/{method}", data=data or {}, timeout=20)
        body = reply.json()
    except (requests.RequestException, ValueError) as error:
        raise SetupError(f"Telegram did not answer {method}: {error}") from error
    if not body.get("ok"):
        raise SetupError(f"Telegram refused {method}: {body.get('description') or reply.status_code}")
    return body.get("result")


def register(env: Mapping[str, str]) -> str:
    url = setting(env, "TELEGRAM_WEBHOOK_URL")
    secret = setting(env, "TELEGRAM_SECRET_TOKEN")
    setting(env, "TELEGRAM_TOKEN")
    problems = [p for p in telegram_problems(env) if not p.startswith("TELEGRAM_VERIFY")]
    problems += telegram_webhook_problems(url)
    if problems:
        raise SetupError("; ".join(problems))
    allowed = json.dumps(list(TELEGRAM_ALLOWED_UPDATES))
    call(env, "setWebhook", {"url": url, "secret_token": secret, "allowed_updates": allowed})
    return f"Telegram will send updates to {url} (messages, edits and button presses, with the secret token)."


def info(env: Mapping[str, str]) -> str:
    result = call(env, "getWebhookInfo") or {}
    lines = [f"url: {result.get('url') or '(none)'}", f"pending updates: {result.get('pending_update_count', 0)}"]
    if result.get("last_error_message"):
        lines.append(f"last error: {result['last_error_message']}")
    return "\n".join(lines)


def delete(env: Mapping[str, str]) -> str:
    call(env, "deleteWebhook")
    return "Telegram webhook removed."


def main(argv: Optional[List[str]] = None, env: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description="Register, show or remove the coach's Telegram webhook.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--info", action="store_true", help="show what Telegram has registered")
    group.add_argument("--delete", action="store_true", help="remove the webhook")
    args = parser.parse_args(argv)
    try:
        print(info(env) if args.info else delete(env) if args.delete else register(env))
    except SetupError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
