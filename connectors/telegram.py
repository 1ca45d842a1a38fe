"""Telegram channel (`POST /webhooks/telegram/webhook`), over Rasa's stock `telegram` connector.

What the stock connector (Rasa 3.6.21, aiogram 2.15) gets wrong, each measured on loopback
(see docs/channels.md and /work/shared/reference/channels-notes.md):
- it registers the webhook at every start with `asyncio.run(set_webhook())`: start-up fails
  offline or on a 429, and aiogram's HTTP session stays bound to the loop asyncio.run closed,
  so every later update answers 500 ("Event loop is closed"). Here nothing touches the network
  at start; the session is made lazily inside the server's loop. Registering the webhook is an
  explicit step (`make telegram-webhook`, scripts/telegram_webhook.py);
- `get_output_channel()` calls asyncio.run again, so `trigger_intent?output_channel=telegram`
  answers 500 inside the running loop: ours just builds the output channel;
- it never checks `X-Telegram-Bot-Api-Secret-Token` (a forged update is processed) and calls
  getMe on every update instead: ours answers 403 unless the header is the secret;
- a `my_chat_member` or any other update type raises (500, and Telegram redelivers it for
  hours): ours answers 200 and does nothing;
- button presses are never answered with answerCallbackQuery (the button spins), and
  callback_data over 64 bytes is refused by Telegram: ours answers every press and keeps long
  payloads behind a short key in the coach's database;
- the sender is the chat, so a whole group shares one profile: ours is the person
  (`from.id`), and nothing about anyone's health is posted in a group (see `TelegramRoute`);
- text is split at blank lines with no parse mode and custom payloads are sent raw (a
  `{"type": …}` payload raises): ours renders every message in `connectors/render/telegram.py`.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InputFile
from aiogram.utils.exceptions import NetworkError, RetryAfter, TelegramAPIError, Unauthorized
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.channel_settings import TELEGRAM_DEFAULT_API_URL, telegram_problems
from coach.logs import failure, sender_tag
from connectors import wording
from connectors.channel_store import ChannelStore
from connectors.channel_turn import run_channel_turn
from connectors.guard import guard
from connectors.render import BotMessage, stored_payload_key
from connectors.render.telegram import ApiCall, answered, document, export_tokens, payloads_needing_keys, render
from connectors.socketio import cap_request_size

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram commands as the coach understands them; any other /word is read as the word.
COMMANDS = {"start": "/greet", "help": "/ask_capabilities", "stop": "/stop_session"}
MAX_RETRY_AFTER_SECONDS = 5
NETWORK_RETRY_SECONDS = 1


@dataclass
class TelegramRoute:
    """Where one incoming message's replies go, and what the group it came from was told.

    In a private chat, replies go to that chat. From a group, every reply goes to the
    person's private chat (its id is the user id) and the group gets one neutral pointer; if
    Telegram refuses (the person never opened a chat with the bot), the group gets how to
    open one, and nothing else. Reminders reuse the route of the message that set them."""

    user_id: int
    chat_id: int
    chat_type: str = "private"
    message_id: Optional[int] = None
    pointer_sent: bool = False
    unreachable: bool = False

    @property
    def from_group(self) -> bool:
        return self.chat_type != "private"


class TelegramBot(TelegramOutput):
    """The stock output channel (an aiogram Bot) pointed at TELEGRAM_API_URL, with one call
    for any Bot API method. It opens its HTTP session on first use, in the running loop."""

    def __init__(self, access_token: str, api_url: str = TELEGRAM_DEFAULT_API_URL) -> None:
        super().__init__(access_token)
        self.server = TelegramAPIServer.from_base(api_url)

    async def call(self, call: ApiCall) -> Any:
        data = {k: _form_value(v) for k, v in call.params.items() if v is not None}

        def files() -> Optional[Dict[str, InputFile]]:  # a fresh stream for each attempt
            if not call.files:
                return None
            return {name: InputFile(io.BytesIO(content), filename=n) for name, (n, content) in call.files.items()}

        try:
            return await self.request(call.method, data, files())
        except RetryAfter as limited:  # 429: wait as told (briefly) and try once more
            await asyncio.sleep(min(limited.timeout, MAX_RETRY_AFTER_SECONDS))
        except NetworkError:  # unreachable, or a proxy's error page instead of the API: once more
            await asyncio.sleep(NETWORK_RETRY_SECONDS)
        return await self.request(call.method, data, files())


class CoachTelegramOutput(OutputChannel):
    """Sends rendered bot messages along a route; one per incoming message (and per
    trigger_intent), all sharing the input channel's bot and its HTTP session."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self, bot: TelegramBot, store: ChannelStore, route: Optional[TelegramRoute] = None, bot_name: str = ""
    ):
        self.bot = bot
        self.store = store
        self.route = route
        self.bot_name = bot_name
        self.sent = 0  # bot messages handed to this output (connectors/guard.py: silence)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        route = self.route
        if route is not None and route.unreachable:
            return
        bot_message = BotMessage.from_rasa(message)
        keys = await self.store.keys_for(payloads_needing_keys(bot_message))
        target = route.user_id if route is not None else recipient_id
        for call in render(bot_message, target, keys):
            if not await self._send(call):
                return
        for token, filename in export_tokens(bot_message):  # "export my data": the files themselves
            found = await self.store.export_file(token)
            if found is not None and not await self._send(document(target, filename, found.content)):
                return
        if route is not None and route.from_group and not route.pointer_sent:
            route.pointer_sent = True
            await self._post_in_group(route, wording.SENT_PRIVATELY_TELEGRAM)

    async def _send(self, call: ApiCall) -> bool:
        """False when the person cannot be reached: stop sending this message."""
        try:
            await self.bot.call(call)
            return True
        except Unauthorized as refused:  # 403: never opened a chat with the bot, or blocked it
            route = self.route
            if route is not None and route.from_group:
                route.unreachable = True
                await self._post_in_group(route, wording.OPEN_PRIVATE_CHAT_TELEGRAM.format(bot=self.bot_name))
            else:
                logger.warning("Telegram refused a message to %s: %s", sender_tag(call.params.get("chat_id")), refused)
            return False
        except TelegramAPIError as error:  # one message failed (bad request, network): send the rest
            logger.error("Telegram %s failed: %s", call.method, error)
            return True

    async def _post_in_group(self, route: TelegramRoute, text: str) -> None:
        params: Dict[str, Any] = {"chat_id": route.chat_id, "text": text, "disable_web_page_preview": True}
        if route.message_id:
            params.update(reply_to_message_id=route.message_id, allow_sending_without_reply=True)
        try:
            await self.bot.call(ApiCall("sendMessage", params))
        except TelegramAPIError as error:
            logger.error("Telegram group pointer failed in %s: %s", sender_tag(route.chat_id), error)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})


class CoachTelegramInput(TelegramInput):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> CoachTelegramInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None  # the Rasa method above raises; it is untyped, so mypy cannot tell
        return cls(
            access_token=str(credentials.get("access_token") or ""),
            verify=str(credentials.get("verify") or ""),
            secret_token=str(credentials.get("secret_token") or ""),
            api_url=str(credentials.get("api_url") or TELEGRAM_DEFAULT_API_URL),
        )

    def __init__(
        self, access_token: str, verify: str, secret_token: str, api_url: str = TELEGRAM_DEFAULT_API_URL
    ) -> None:
        problems = telegram_problems(
            {
                "TELEGRAM_TOKEN": access_token,
                "TELEGRAM_VERIFY": verify,
                "TELEGRAM_SECRET_TOKEN": secret_token,
                "TELEGRAM_API_URL": api_url,
            }
        )
        if problems:
            raise ValueError("Telegram channel: " + "; ".join(problems))
        super().__init__(access_token, verify.lstrip("@"), webhook_url=None, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url
        self.bot_id = int(access_token.split(":", 1)[0])
        self.store = ChannelStore()
        self._bot: Optional[TelegramBot] = None

    def bot(self) -> TelegramBot:
        if self._bot is None:
            self._bot = TelegramBot(self.access_token, self.api_url)
        return self._bot

    def get_output_channel(self, route: Optional[TelegramRoute] = None) -> CoachTelegramOutput:
        """No network here (the stock one registers the webhook with asyncio.run)."""
        return CoachTelegramOutput(self.bot(), self.store, route, bot_name=self.verify)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_telegram", __name__)
        guard()  # built now, at start: the fallback must not need anything later
        cap_request_size(bp)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.authentic(request):
                return response.json({"error": "missing or wrong secret token"}, status=403)
            try:
                update = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "the body is not JSON"}, status=400)
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                return response.json({"error": "not a Telegram update"}, status=400)
            if not await self.store.first_time(f"telegram:{self.bot_id}:{update['update_id']}"):
                return response.json({"status": "already handled"})
            try:
                await self.handle(update, on_new_message)
            except Exception as error:  # a 500 would make Telegram redeliver the same update for hours
                logger.error("Telegram update %s failed: %s", update.get("update_id"), failure(error))
            return response.json({"status": "ok"})

        return bp

    def authentic(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode("utf-8"), self.secret_token.encode("utf-8"))

    async def handle(self, update: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if isinstance(update.get("callback_query"), dict):
            await self._on_button(update["callback_query"], on_new_message)
            return
        message = update.get("message") or update.get("edited_message")
        if isinstance(message, dict):
            await self._on_message(message, on_new_message)
        # Anything else (my_chat_member, channel posts, polls...) is not for the coach; the
        # registration asks only for TELEGRAM_ALLOWED_UPDATES, but older registrations may not.

    async def _on_message(self, message: Dict[str, Any], on_new_message: Callable) -> None:
        sender, chat = message.get("from") or {}, message.get("chat") or {}
        if not isinstance(sender.get("id"), int) or sender.get("is_bot") or not isinstance(chat.get("id"), int):
            return
        route = TelegramRoute(sender["id"], chat["id"], str(chat.get("type") or "private"), message.get("message_id"))
        text = message.get("text")
        if text is None:
            text = message.get("caption")
        if route.from_group and not self._addressed_to_bot(message, text):
            return  # a group conversation between people: not ours to read
        out = self.get_output_channel(route)
        if not isinstance(text, str):
            if not route.from_group:
                await out.send_response(str(route.user_id), {"text": wording.TEXT_ONLY})
            return
        await self._deliver(self._as_coach_text(text), route, out, on_new_message)

    async def _on_button(self, query: Dict[str, Any], on_new_message: Callable) -> None:
        sender = query.get("from") or {}
        origin = query.get("message") or {}
        chat = origin.get("chat") or {}
        payload = await self._button_payload(query.get("data"))
        answer: Dict[str, Any] = {"callback_query_id": query.get("id")}
        if payload is None:
            answer["text"] = wording.BUTTON_EXPIRED_SHORT
        await self._quietly(ApiCall("answerCallbackQuery", answer))
        if not isinstance(sender.get("id"), int):
            return
        chat_id = chat.get("id") if isinstance(chat.get("id"), int) else sender["id"]
        route = TelegramRoute(sender["id"], chat_id, str(chat.get("type") or "private"))
        if origin.get("message_id") and isinstance(chat.get("id"), int):
            await self._quietly(answered(origin, str(query.get("data"))))
        out = self.get_output_channel(route)
        if payload is None:
            await out.send_response(str(route.user_id), {"text": wording.BUTTON_EXPIRED})
            return
        await self._deliver(payload, route, out, on_new_message)

    async def _button_payload(self, data: Any) -> Optional[str]:
        """What a pressed button stands for; None when its stored key is unknown or expired."""
        if not isinstance(data, str) or not data:
            return None
        key = stored_payload_key(data)
        return data if key is None else await self.store.payload_for(key)

    async def _deliver(
        self, text: str, route: TelegramRoute, out: CoachTelegramOutput, on_new_message: Callable
    ) -> None:
        sender = str(route.user_id)
        await run_channel_turn(
            sender,
            text,
            out,
            lambda: UserMessage(
                text, out, sender, input_channel=self.name(), metadata={"telegram": {"chat_type": route.chat_type}}
            ),
            on_new_message,
        )

    def _addressed_to_bot(self, message: Dict[str, Any], text: Any) -> bool:
        """In a group the coach reads only what is meant for it: a command, a mention of its
        username, or a reply to one of its messages."""
        replied = (message.get("reply_to_message") or {}).get("from") or {}
        if replied.get("id") == self.bot_id:
            return True
        if not isinstance(text, str):
            return False
        if text.startswith("/"):
            addressee = text.split()[0].partition("@")[2]
            return not addressee or addressee.lower() == self.verify.lower()
        return f"@{self.verify.lower()}" in text.lower()

    def _as_coach_text(self, text: str) -> str:
        """Drops the bot's @username and maps Telegram commands (/start, /help, /stop)."""
        text = re.sub(rf"@{re.escape(self.verify)}\b", "", text, flags=re.IGNORECASE).strip()
        if text.startswith("/"):
            command, _, rest = text[1:].partition(" ")
            mapped = COMMANDS.get(command.lower())
            if mapped:
                return mapped
            return f"{command} {rest}".strip()
        return text

    async def _quietly(self, call: ApiCall) -> None:
        try:
            await self.bot().call(call)
        except TelegramAPIError as error:
            logger.info("Telegram %s failed: %s", call.method, error)


def _form_value(value: Any) -> str:
    """Bot API form fields: objects and lists as JSON, booleans as true/false."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
