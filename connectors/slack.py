"""Slack channel (`POST /webhooks/slack/webhook`, Events API and interactivity), over Rasa's
stock `slack` connector.

What the stock connector (Rasa 3.6.21, slack_sdk 3.47) gets wrong, each measured on loopback:
- it routes on the exact Content-Type: `application/json; charset=utf-8` is dropped with a 200.
  Ours compares the media type only;
- a retry whose reason is not `http_timeout` is processed again, so the user gets every answer
  twice, and the check lives in one process. Ours claims each `event_id` in the coach's SQL
  database first, so a retry is never answered twice, whichever Rasa instance receives it;
- more than five buttons are all dropped (Slack allows 25 per block): ours renders them all
  in `connectors/render/slack.py`, with the rest of the message as Block Kit;
- `as_user=True` is sent with every message, an argument Slack documents as legacy, "can only
  be used by classic Slack apps": ours never sends it;
- a mention in a channel is answered in that channel, for everyone to read: ours answers the
  person in a direct message and tells only them, ephemerally, where the answer went;
- the url_verification challenge is answered as a bare JSON string: ours as {"challenge": …}.
Kept from the stock connector: the signing-secret check (HMAC-SHA256 over `v0:{timestamp}:
{body}`, five-minute window; a bad or stale signature gets 401 here) and the mention clean-up.
The conversation is the person (granularity `sender`): a DM, a channel mention and a button
press by the same user reach one profile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from coach.channel_settings import SLACK_DEFAULT_API_URL, slack_problems
from coach.logs import failure, sender_tag
from connectors import wording
from connectors.channel_store import ChannelStore
from connectors.channel_turn import run_channel_turn
from connectors.guard import guard
from connectors.render import BotMessage, stored_payload_key
from connectors.render.slack import answered, payloads_needing_keys, render
from connectors.render.telegram import export_tokens
from connectors.socketio import cap_request_size

logger = logging.getLogger(__name__)


@dataclass
class SlackRoute:
    """Where one incoming message's replies go.

    From a direct message (channel `D…`), replies go back there, in the thread the person
    wrote in, if any. From a channel, replies go to a direct message with the person, opened
    on the first reply, and the channel gets one ephemeral pointer that only they can see; if
    the direct message cannot be opened, the pointer says how to reach the app instead.
    Reminders reuse the route of the message that set them."""

    user_id: Optional[str]
    channel: Optional[str] = None  # the DM to answer in, once known
    thread_ts: Optional[str] = None
    origin_channel: Optional[str] = None  # the shared channel the message came from
    origin_thread_ts: Optional[str] = None
    pointer_sent: bool = False
    unreachable: bool = False


class CoachSlackOutput(SlackBot):
    @classmethod
    def name(cls) -> str:
        return "slack"

    def __init__(self, client: AsyncWebClient, store: ChannelStore, route: SlackRoute) -> None:
        OutputChannel.__init__(self)
        self.client = client
        self.store = store
        self.route = route
        self.slack_channel, self.thread_id, self.proxy = route.channel, route.thread_ts, None
        self.sent = 0  # bot messages handed to this output (connectors/guard.py: silence)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
        bot_message = BotMessage.from_rasa(message)
        rendered = render(bot_message, await self.store.keys_for(payloads_needing_keys(bot_message)))
        if not rendered:
            return
        channel = await self._destination(recipient_id)
        if channel is None:
            return
        for arguments in rendered:
            try:
                await self.client.chat_postMessage(channel=channel, thread_ts=self.route.thread_ts, **arguments)
            except SlackApiError as error:  # one message failed: log it and send the rest
                logger.error("Slack chat.postMessage failed in %s: %s", channel, error.response.get("error"))
        await self._upload_export(bot_message, channel)
        route = self.route
        if route.origin_channel and not route.pointer_sent:
            route.pointer_sent = True
            await self._tell_in_channel(wording.SENT_PRIVATELY_SLACK)

    async def _upload_export(self, bot_message: BotMessage, channel: str) -> None:
        """ "Export my data": Slack takes files, so the JSON and the PDF are uploaded into the DM
        (needs the files:write scope; without it the links in the text still work)."""
        uploads = []
        for token, filename in export_tokens(bot_message):
            found = await self.store.export_file(token)
            if found is not None:
                uploads.append({"filename": filename, "content": found.content, "title": filename})
        if not uploads:
            return
        try:
            await self.client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=self.route.thread_ts)
        except SlackApiError as error:
            logger.error("Slack file upload failed in %s: %s", channel, error.response.get("error"))

    async def _destination(self, recipient_id: str) -> Optional[str]:
        """The DM to post in, opening it with the person when the message came from elsewhere."""
        route = self.route
        if route.channel:
            return route.channel
        if route.unreachable:
            return None
        user = route.user_id or recipient_id
        try:
            opened = await self.client.conversations_open(users=user)
            route.channel = opened["channel"]["id"]
            return route.channel
        except (SlackApiError, KeyError, TypeError) as error:
            logger.warning("Slack could not open a DM with %s: %s", sender_tag(user), type(error).__name__)
            route.unreachable = True
            if route.origin_channel and not route.pointer_sent:
                route.pointer_sent = True
                await self._tell_in_channel(wording.OPEN_PRIVATE_CHAT_SLACK)
            return None

    async def _tell_in_channel(self, text: str) -> None:
        """An ephemeral message in the shared channel: only the person sees it."""
        route = self.route
        if route.origin_channel is None or route.user_id is None:
            # Slack refuses a post without either: the same log as for its refusal, without the call.
            logger.error("Slack chat.postEphemeral failed in %s: %s", route.origin_channel, "no channel or user")
            return
        try:
            await self.client.chat_postEphemeral(
                channel=route.origin_channel, user=route.user_id, text=text, thread_ts=route.origin_thread_ts
            )
        except SlackApiError as error:
            logger.error("Slack chat.postEphemeral failed in %s: %s", route.origin_channel, error.response.get("error"))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads are for machines (docs/api.md); Slack users see the text."""


class CoachSlackInput(SlackInput):
    @classmethod
    def name(cls) -> str:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> CoachSlackInput:
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None  # the Rasa method above raises; it is untyped, so mypy cannot tell
        return cls(
            slack_token=str(credentials.get("slack_token") or ""),
            slack_signing_secret=str(credentials.get("slack_signing_secret") or ""),
            api_url=str(credentials.get("api_url") or SLACK_DEFAULT_API_URL),
        )

    def __init__(self, slack_token: str, slack_signing_secret: str, api_url: str = SLACK_DEFAULT_API_URL) -> None:
        problems = slack_problems(
            {"SLACK_TOKEN": slack_token, "SLACK_SIGNING_SECRET": slack_signing_secret, "SLACK_API_URL": api_url}
        )
        if problems:
            raise ValueError("Slack channel: " + "; ".join(problems))
        super().__init__(
            slack_token,
            slack_signing_secret=slack_signing_secret,  # the stock check refuses an empty one
            slack_retry_reason_header="x-slack-retry-reason",
            slack_retry_number_header="x-slack-retry-num",
            conversation_granularity="sender",
        )
        self.api_url = api_url if api_url.endswith("/") else api_url + "/"
        self.store = ChannelStore()
        self._tasks: Set[asyncio.Task] = set()

    def client(self) -> AsyncWebClient:
        """slack_sdk opens an HTTP session per call, so a client carries no event-loop state."""
        client = AsyncWebClient(token=self.slack_token, base_url=self.api_url)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
        return client

    def get_output_channel(self, channel: Optional[str] = None, thread_id: Optional[str] = None) -> CoachSlackOutput:
        """For trigger_intent and reminders with no message: a DM with the conversation's user."""
        dm = channel if channel and channel.startswith("D") else None
        return CoachSlackOutput(self.client(), self.store, SlackRoute(None, dm, thread_id))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("coach_slack", __name__)
        guard()  # built now, at start: the fallback must not need anything later
        cap_request_size(bp)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.json({"error": "missing, wrong or stale Slack signature"}, status=401)
            media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            try:
                if media_type == "application/json":
                    return await self._on_event(json.loads(request.body), on_new_message)
                if media_type == "application/x-www-form-urlencoded":
                    return await self._on_interaction(json.loads(request.form.get("payload") or ""), on_new_message)
            except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
                return response.json({"error": "not a Slack event or interaction"}, status=400)
            return response.json({"error": f"unsupported content type {media_type or 'none'}"}, status=415)

        return bp

    async def _on_event(self, body: Dict[str, Any], on_new_message: Callable) -> HTTPResponse:
        if body.get("type") == "url_verification":
            return response.json({"challenge": body.get("challenge")})
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict):
            return response.json({"status": "ignored"})
        route = self._route_for_event(event, _bot_user_id(body))
        if route is None:
            return response.json({"status": "ignored"})
        event_id = body.get("event_id")
        if event_id and not await self.store.first_time(f"slack:{event_id}"):
            # A retry of something already answered, whatever X-Slack-Retry-Reason says.
            return response.json({"status": "already handled"}, headers={"X-Slack-No-Retry": "1"})
        bot_user = _bot_user_id(body)
        text = self._sanitize_user_message(str(event.get("text") or ""), [bot_user] if bot_user else [])
        if event.get("subtype") == "file_share" and not text:
            self._start(self._output(route).send_response(route.user_id or "", {"text": wording.TEXT_ONLY}))
        else:
            self._start(self._deliver(text, route, on_new_message))
        return response.json({"status": "ok"})

    def _route_for_event(self, event: Dict[str, Any], bot_user: Optional[str]) -> Optional[SlackRoute]:
        """Whom to answer and where, or None for what is not a person talking to the coach:
        the bot's own messages, edits, deletions and joins (subtypes), and channel talk that
        does not mention it (a mention arrives as its own app_mention event)."""
        user = event.get("user")
        if not isinstance(user, str) or event.get("bot_id") or user == bot_user:
            return None
        if event.get("subtype") not in (None, "file_share", "thread_broadcast"):
            return None
        channel = str(event.get("channel") or "")
        if event.get("type") == "message" and event.get("channel_type") == "im":
            return SlackRoute(user, channel, thread_ts=event.get("thread_ts"))
        if event.get("type") == "app_mention" and channel and not channel.startswith("D"):
            return SlackRoute(user, origin_channel=channel, origin_thread_ts=event.get("thread_ts"))
        return None

    async def _on_interaction(self, payload: Dict[str, Any], on_new_message: Callable) -> HTTPResponse:
        actions = payload.get("actions") or []
        user = (payload.get("user") or {}).get("id")
        if payload.get("type") != "block_actions" or not actions or not isinstance(user, str):
            return response.json({"status": "ignored"})
        action = actions[0]
        if action.get("type") != "button" or "value" not in action:
            return response.json({"status": "ignored"})  # a link button, or a widget the coach never sends
        channel = str(
            (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id") or ""
        )
        message = payload.get("message") or {}
        thread = (payload.get("container") or {}).get("thread_ts") or message.get("thread_ts")
        if channel.startswith("D"):
            route = SlackRoute(user, channel, thread_ts=thread)
        else:
            route = SlackRoute(user, origin_channel=channel or None, origin_thread_ts=thread)
        self._start(self._close_question(payload, str(action.get("value"))))
        self._start(self._press(str(action.get("value")), route, on_new_message))
        return response.json({"status": "ok"})  # Slack wants this within 3 s; the turn runs on

    async def _press(self, value: str, route: SlackRoute, on_new_message: Callable) -> None:
        key = stored_payload_key(value)
        payload = value if key is None else await self.store.payload_for(key)
        if payload is None:
            await self._output(route).send_response(route.user_id or "", {"text": wording.BUTTON_EXPIRED})
            return
        await self._deliver(payload, route, on_new_message)

    async def _close_question(self, interaction: Dict[str, Any], value: str) -> None:
        """Replaces the clicked message's buttons with the chosen answer (chat.update)."""
        container = interaction.get("container") or {}
        message = interaction.get("message") or {}
        blocks = message.get("blocks")
        if container.get("is_ephemeral") or not blocks or not container.get("channel_id"):
            return
        ts = container.get("message_ts") or message.get("ts")
        if ts is None:
            # Slack refuses an update without the message's ts: the same log as for its refusal, without the call.
            logger.info("Slack chat.update failed: %s", "no message ts")
            return
        try:
            await self.client().chat_update(
                channel=container["channel_id"],
                ts=ts,
                text=message.get("text") or "",
                blocks=answered(blocks, value),
            )
        except SlackApiError as error:
            logger.info("Slack chat.update failed: %s", error.response.get("error"))

    async def _deliver(self, text: str, route: SlackRoute, on_new_message: Callable) -> None:
        out = self._output(route)
        await run_channel_turn(
            route.user_id or "",
            text,
            out,
            lambda: UserMessage(
                text,
                out,
                route.user_id,
                input_channel=self.name(),
                metadata={"slack": {"from_channel": bool(route.origin_channel)}},
            ),
            on_new_message,
        )

    def _output(self, route: SlackRoute) -> CoachSlackOutput:
        return CoachSlackOutput(self.client(), self.store, route)

    def _start(self, turn: Awaitable[None]) -> None:
        """Runs a turn after the HTTP answer: Slack retries anything not acknowledged in 3 s."""

        async def guarded() -> None:
            try:
                await turn
            except Exception as error:
                logger.error("Slack turn failed: %s", failure(error))

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _bot_user_id(body: Dict[str, Any]) -> Optional[str]:
    authorizations = body.get("authorizations") or []
    if authorizations and isinstance(authorizations[0], dict):
        return authorizations[0].get("user_id")
    return None
