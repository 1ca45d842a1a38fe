"""REST channel (`POST /webhooks/rest/webhook`) that keeps each bot message whole.

Rasa's stock collector turns one bot message with text, buttons and a custom payload into
two JSON objects (the payload on its own). Clients read structure next to its text, so we
return one object per bot message: {"recipient_id", "text", "buttons", "custom"}.
Empty or oversized messages get a clear answer instead of being guessed at.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import rasa_fixes  # noqa: F401  (applied wherever our channels load)
from connectors.socketio import MAX_MESSAGE_CHARS, problem_with


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

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > 255:
                return response.json(
                    {"error": "Send a JSON body with a 'sender' id (1-255 characters) and a 'message'."}, status=400
                )
            text = body.get("message")
            problem = problem_with(text)
            if problem:
                return response.json([{"recipient_id": sender, "text": problem, "custom": {"type": "input_error"}}])
            collector = WholeMessageCollector()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata=body.get("metadata") if isinstance(body.get("metadata"), dict) else None,
                )
            )
            return response.json(collector.messages)

        return bp


__all__ = ["CoachRestInput", "MAX_MESSAGE_CHARS"]
