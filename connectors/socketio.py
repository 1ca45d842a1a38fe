"""Our socket.io channel and the web chat page, on one origin.

Why not Rasa's stock `socketio` channel:
- its `send_custom_json` spreads the custom payload into `sio.emit(**payload)`, so a
  payload such as {"type": "session_step", …} raises instead of reaching the client;
- it splits text on blank lines into several events, separating text from its buttons
  and payload. We emit exactly one `bot_uttered` per bot message:
  {"text", "quick_replies", "custom"} (see docs/api.md);
- it calls `sio.enter_room` without awaiting it, which newer python-socketio turns into a
  coroutine that never runs (no bot message is ever delivered with session persistence).
  requirements.lock pins python-socketio 5.8.0, and we await the call when it is a coroutine.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

import rasa_fixes  # noqa: F401  (applied wherever our channels load)

logger = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_MESSAGE_CHARS = 2000
STATIC_TYPES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".txt": "text/plain"}


class CoachSocketIOOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        buttons = message.get("quick_replies") or message.get("buttons") or []
        event: Dict[str, Any] = {"text": message.get("text") or None}
        if buttons:
            event["quick_replies"] = [{"title": b.get("title"), "payload": b.get("payload")} for b in buttons]
        if message.get("custom"):
            event["custom"] = message["custom"]
        if message.get("image"):
            event["image"] = message["image"]
        await self.sio.emit(self.bot_message_evt, event, room=recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class CoachSocketIOInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            session_persistence=credentials.get("session_persistence", True),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            jwt_key=credentials.get("jwt_key"),
            jwt_method=credentials.get("jwt_method", "HS256"),
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        session_persistence: bool = True,
        socketio_path: str = "/socket.io",
        jwt_key: Optional[str] = None,
        jwt_method: str = "HS256",
    ) -> None:
        self.user_message_evt = user_message_evt
        self.bot_message_evt = bot_message_evt
        self.session_persistence = session_persistence
        self.socketio_path = socketio_path
        self.jwt_key = jwt_key
        self.jwt_method = jwt_method
        self.sio: Optional[AsyncServer] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return CoachSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        bp = SocketBlueprint(sio, self.socketio_path, "coach_web", __name__)
        self.sio = sio

        @bp.route("/", methods=["GET"], strict_slashes=False)
        async def page(request: Request) -> HTTPResponse:
            # Always land on index.html so the page's relative links (chat.js, vendor/) resolve.
            return response.redirect(request.path.rstrip("/") + "/index.html")

        @bp.route("/<path:path>", methods=["GET"])
        async def static(request: Request, path: str) -> HTTPResponse:
            if not path.strip("/"):
                return await page(request)
            target = (WEB_DIR / path).resolve()
            if WEB_DIR not in target.parents or not target.is_file():
                return response.json({"error": "not found"}, status=404)
            return await response.file(target, mime_type=STATIC_TYPES.get(target.suffix, "application/octet-stream"))

        @sio.on("connect")
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            token = (auth or {}).get("token")
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_method))

        @sio.on("session_request")
        async def session_request(sid: str, data: Optional[Dict]) -> None:
            data = data or {}
            session_id = data.get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Dict) -> None:
            data = data if isinstance(data, dict) else {}
            sender_id = data.get("session_id") if self.session_persistence else sid
            if not sender_id:
                await sio.emit(
                    self.bot_message_evt, {"text": "Please reconnect: this chat has no session yet."}, room=sid
                )
                return
            text = data.get("message")
            problem = problem_with(text)
            if problem:
                await sio.emit(self.bot_message_evt, {"text": problem, "custom": {"type": "input_error"}}, room=sid)
                return
            metadata = data.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata or "{}")
            out = CoachSocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(UserMessage(text, out, sender_id, input_channel=self.name(), metadata=metadata))

        return bp


def problem_with(text: Any) -> Optional[str]:
    if not isinstance(text, str) or not text.strip():
        return "I didn't get any words there. Tell me how your hips feel, or ask for a stretch."
    if len(text) > MAX_MESSAGE_CHARS:
        return (
            f"That message is too long for me ({len(text)} characters). Could you say it in under {MAX_MESSAGE_CHARS}?"
        )
    return None


__all__: List[str] = ["CoachSocketIOInput", "CoachSocketIOOutput"]
