"""People talking to the coach through the real webhooks, as Telegram and Slack deliver them.

Updates and events have the shapes the platforms send (Bot API `Update`, Events API
`event_callback`, interactivity `block_actions`), Slack requests are signed with the test
signing secret, and every reply is read back from the fake platform API.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import time
import uuid
from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from tests.integration.channels.fakes import Call, FakeSlack, FakeTelegram, slack_buttons, telegram_buttons

TELEGRAM_SECRET = "test-secret_0123456789"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
_update_ids = itertools.count(int(time.time()))
_user_ids = itertools.count(7_000_000 + int(time.time()) % 1_000_000)


def new_telegram_user_id() -> int:
    return next(_user_ids)


class TelegramWebhook:
    def __init__(self, rasa_url: str, fake: FakeTelegram, secret: str = TELEGRAM_SECRET):
        self.url = f"{rasa_url}/webhooks/telegram/webhook"
        self.fake = fake
        self.secret = secret

    def post(self, update: Any, secret: Optional[str] = "default", raw: Optional[bytes] = None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        secret = self.secret if secret == "default" else secret
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        return requests.post(self.url, data=body, headers=headers, timeout=60)


def person(user_id: int, first_name: str = "Alex") -> Dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def message_update(user_id: int, text: Optional[str], chat: Optional[Dict[str, Any]] = None, **extra) -> Dict:
    message = {
        "message_id": next(_update_ids) % 100000,
        "from": person(user_id),
        "chat": chat or {"id": user_id, "first_name": "Alex", "type": "private"},
        "date": int(time.time()),
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": next(_update_ids), "message": message}


class TelegramUser:
    """One person in a private chat with the bot."""

    def __init__(self, webhook: TelegramWebhook, user_id: Optional[int] = None):
        self.webhook = webhook
        self.fake = webhook.fake
        self.id = user_id or new_telegram_user_id()

    def say(self, text: Optional[str], **extra) -> List[Call]:
        mark = self.fake.mark()
        reply = self.webhook.post(message_update(self.id, text, **extra))
        assert reply.status_code == 200, reply.text
        return self.fake.sent_to(self.id, mark)

    def press(self, title: str, calls: Optional[List[Call]] = None) -> List[Call]:
        """Taps the button with this title on the latest message that has it."""
        calls = calls if calls is not None else self.fake.sent_to(self.id)
        for call in reversed(calls):
            for button in telegram_buttons(call):
                if button["text"] == title:
                    return self.tap(button["callback_data"], call)
        raise AssertionError(f"no button {title!r} in {[self.fake.describe(c) for c in calls[-5:]]}")

    def tap(self, callback_data: str, on: Optional[Call] = None) -> List[Call]:
        """A button press on the message `on` (as the fake sent it), the way Telegram reports it:
        the message comes back as plain text with its entities and keyboard."""
        mark = self.fake.mark()
        message: Dict[str, Any] = {
            "message_id": (on.result or {}).get("message_id", 1) if on else 1,
            "from": {
                "id": self.fake.bot_id,
                "is_bot": True,
                "first_name": "Psoas Coach",
                "username": self.fake.username,
            },
            "chat": {"id": self.id, "first_name": "Alex", "type": "private"},
            "date": int(time.time()),
            "text": html.unescape(re.sub(r"</?b>", "", str(on.params.get("text") or ""))) if on else "…",
        }
        if on is not None and on.params.get("reply_markup"):
            message["reply_markup"] = on.params["reply_markup"]
        update = {
            "update_id": next(_update_ids),
            "callback_query": {
                "id": uuid.uuid4().hex[:16],
                "from": person(self.id),
                "message": message,
                "chat_instance": "42",
                "data": callback_data,
            },
        }
        reply = self.webhook.post(update)
        assert reply.status_code == 200, reply.text
        return self.fake.sent_to(self.id, mark)

    def received(self, since: int = 0) -> List[Call]:
        return self.fake.sent_to(self.id, since)


def telegram_text(calls: List[Call]) -> str:
    return "\n".join(str(c.params.get("text") or c.params.get("caption") or "") for c in calls)


# -- Slack ------------------------------------------------------------------------------------------
BOT_USER = "UCOACHBOT"


class SlackWebhook:
    def __init__(self, rasa_url: str, fake: FakeSlack, secret: str = SLACK_SIGNING_SECRET):
        self.url = f"{rasa_url}/webhooks/slack/webhook"
        self.fake = fake
        self.verifier = SignatureVerifier(secret)

    def post(
        self,
        body: bytes,
        content_type: str = "application/json",
        signed: bool = True,
        timestamp: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> requests.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(timestamp), **(headers or {})}
        if signed:
            all_headers["X-Slack-Signature"] = self.verifier.generate_signature(timestamp=str(timestamp), body=body)
        return requests.post(self.url, data=body, headers=all_headers, timeout=30)

    def post_event(self, event: Dict[str, Any], event_id: Optional[str] = None, **options) -> requests.Response:
        body = {
            "token": "legacy-verification-token",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEST", "user_id": BOT_USER, "is_bot": True}],
        }
        return self.post(json.dumps(body).encode(), **options)

    def post_action(self, payload: Dict[str, Any], **options) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, content_type="application/x-www-form-urlencoded", **options)


def dm_event(user: str, text: str, channel: str, **extra) -> Dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "user": user,
        "text": text,
        "channel": channel,
        "ts": f"{time.time():.6f}",
        "event_ts": f"{time.time():.6f}",
        **extra,
    }


def mention_event(user: str, text: str, channel: str, **extra) -> Dict[str, Any]:
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER}> {text}",
        "channel": channel,
        "ts": f"{time.time():.6f}",
        "event_ts": f"{time.time():.6f}",
        **extra,
    }


class SlackUser:
    """One person writing to the app in its direct message (channel D…)."""

    def __init__(self, webhook: SlackWebhook, user_id: Optional[str] = None):
        self.webhook = webhook
        self.fake = webhook.fake
        self.id = user_id or "U" + uuid.uuid4().hex[:9].upper()
        self.dm = "D" + self.id.lstrip("U")

    def say(self, text: str, wait: bool = True, **extra) -> List[Call]:
        mark = self.fake.mark()
        reply = self.webhook.post_event(dm_event(self.id, text, self.dm, **extra))
        assert reply.status_code == 200, reply.text
        return self.replies(mark) if wait else []

    def press(self, title: str, calls: Optional[List[Call]] = None, wait: bool = True) -> List[Call]:
        calls = calls if calls is not None else self.fake.posted_in(self.dm)
        for call in reversed(calls):
            for button in slack_buttons(call):
                if button["text"]["text"] == title:
                    return self.click(button["value"], on=call, wait=wait)
        raise AssertionError(f"no button {title!r} in {[self.fake.describe(c) for c in calls[-5:]]}")

    def click(self, value: str, on: Optional[Call] = None, wait: bool = True) -> List[Call]:
        """A click on a button of the message `on` (as the fake posted it), as Slack reports it."""
        mark = self.fake.mark()
        message = (on.result or {}).get("message") if on is not None else None
        message = message or {"type": "message", "ts": "1700000001.000100", "text": "…"}
        payload = {
            "type": "block_actions",
            "user": {"id": self.id, "username": "alex", "team_id": "T0TEST"},
            "api_app_id": "A0TEST",
            "container": {"type": "message", "message_ts": message["ts"], "channel_id": self.dm, "is_ephemeral": False},
            "trigger_id": uuid.uuid4().hex,
            "team": {"id": "T0TEST"},
            "channel": {"id": self.dm, "name": "directmessage"},
            "message": message,
            "response_url": "https://hooks.slack.invalid/actions/T0TEST/1/abc",
            "actions": [
                {
                    "type": "button",
                    "action_id": "coach_button_0",
                    "block_id": "b1",
                    "text": {"type": "plain_text", "text": "…"},
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        reply = self.webhook.post_action(payload)
        assert reply.status_code == 200, reply.text
        return self.replies(mark) if wait else []

    def replies(self, since: int, quiet: float = 0.7, timeout: float = 20) -> List[Call]:
        """Slack turns run after the HTTP answer: wait for the first reply, then for a pause."""
        self.fake.wait_for(lambda c: c.params.get("channel") == self.dm, since=since, timeout=timeout)
        seen, settled = -1, time.monotonic()
        while time.monotonic() - settled < quiet:
            now = len(self.fake.posted_in(self.dm, since))
            if now != seen:
                seen, settled = now, time.monotonic()
            time.sleep(0.05)
        return self.fake.posted_in(self.dm, since)
