"""REST channel (`POST /webhooks/rest/webhook`) that keeps each bot message whole.

Rasa's stock collector turns one bot message with text, buttons and a custom payload into
two JSON objects (the payload on its own). Clients read structure next to its text, so we
return one object per bot message: {"recipient_id", "text", "buttons", "custom"}.
Empty or oversized messages get a clear answer instead of being guessed at.

Around the coach (connectors/guard.py): every message is answered within the reply deadline,
by the coach or, when it fails, hangs or says nothing, by the fallback (the fixed emergency
wording, or "a technical problem"); senders and client addresses are rate-limited (HTTP 429
with Retry-After and a message to show). With COACH_SENDER_SECRET set, a message needs
`Authorization: Bearer <token>` (coach/identity.py) and the conversation is the token's
subject: a body naming another sender is refused (403), a missing, forged or expired token
is 401. Without it the sender is whoever the body names (the embedded default, on loopback).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import rasa_fixes  # noqa: F401  (applied wherever our channels load)
from coach import identity, settings
from connectors.guard import guard
from connectors.socketio import MAX_MESSAGE_CHARS, cap_request_size, problem_with, warn_if_open

SENDER_PROBLEM = f"Send a JSON body with a 'sender' id ({identity.SENDER_RULE}) and a 'message'."


class WholeMessageCollector(CollectingOutputChannel):
    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        whole = {"recipient_id": recipient_id}
        for key in ("text", "buttons", "custom", "image", "attachment"):
            if message.get(key):
                whole[key] = message[key]
        if message.get("quick_replies"):
            whole["buttons"] = message["quick_replies"]
        self.messages.append(whole)


class CoachRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = Blueprint("coach_rest", __name__)
        channel_guard = guard()  # built now, at start: the fallback must not need anything later
        cap_request_size(bp)
        warn_if_open(self.name())

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # Sanic's InvalidUsage for a body that is not JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": SENDER_PROBLEM}, status=400)
            secret = settings.sender_secret()
            if secret:
                token = identity.verify(request.headers.get("authorization"), secret)
                if token is None or token.expired:
                    return response.json(
                        {"error": channel_guard.words("sign_in_needed")},
                        status=401,
                        headers={"WWW-Authenticate": 'Bearer realm="psoas-coach"'},
                    )
                if body.get("sender") not in (None, token.subject):
                    return response.json({"error": "This sign-in token is for another sender."}, status=403)
                sender = token.subject
            else:
                claimed = body.get("sender")
                if not identity.valid_sender(claimed):
                    return response.json({"error": SENDER_PROBLEM}, status=400)
                sender = claimed
            text = body.get("message")
            problem = problem_with(text)
            if problem:
                return response.json([{"recipient_id": sender, "text": problem, "custom": {"type": "input_error"}}])
            address = channel_guard.client_address(request.ip, request.headers.get("x-forwarded-for"))
            refused = await channel_guard.admit(sender, address)
            if refused is not None:
                return response.json(
                    [{"recipient_id": sender, **refused.as_message()}],
                    status=429,
                    headers={"Retry-After": str(refused.custom["retry_after"])},
                )
            collector = WholeMessageCollector()
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            await channel_guard.turn(
                sender,
                text,
                lambda: on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                ),
                lambda: len(collector.messages),
                lambda reply: collector.send_response(sender, reply.as_message()),
            )
            return response.json(collector.messages)

        return bp


__all__ = ["CoachRestInput", "MAX_MESSAGE_CHARS"]
