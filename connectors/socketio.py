"""Our socket.io channel and the web chat page, on one origin.

Why not Rasa's stock `socketio` channel:
- its `send_custom_json` spreads the custom payload into `sio.emit(**payload)`, so a
  payload such as {"type": "session_step", …} raises instead of reaching the client;
- it splits text on blank lines into several events, separating text from its buttons
  and payload. We emit exactly one `bot_uttered` per bot message:
  {"text", "quick_replies", "custom"} (see docs/api.md);
- it calls `sio.enter_room` without awaiting it, which newer python-socketio turns into a
  coroutine that never runs (no bot message is ever delivered with session persistence).
  requirements.lock pins python-socketio 5.8.0, and we await the call when it is a coroutine;
- it gives the socket server `cors_allowed_origins=[]`, which makes python-engineio skip the
  Origin check entirely: any website could open a socket in a visitor's browser. Ours accepts
  our own page plus the sites in COACH_ALLOWED_ORIGINS (coach/settings.py), the same list
  scripts/run.sh gives Sanic's CORS.

Around the coach (connectors/guard.py): every message is answered within the reply deadline
(the fallback when the coach fails, hangs or says nothing), senders and client addresses are
rate-limited, and a socket.io packet is at most COACH_MAX_BODY_BYTES. With COACH_SENDER_SECRET
set, the handshake needs `auth: {"token": <sender token>}` (coach/identity.py), the
conversation is the token's subject whatever `session_id` a message names, and a message may
carry a fresh `token` (which must be for the same subject); an expired one is answered with
`sign_in_needed` and nothing reaches the coach.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
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
from coach import identity, settings
from connectors.channel_store import ChannelStore
from connectors.guard import guard
from connectors.origins import OriginCheckedServer
from connectors.web_assets import WebAssets

logger = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MAX_MESSAGE_CHARS = 2000
# Served to the page in its settings (web_config) so it can answer before sending, in our words.
EMPTY_MESSAGE_TEXT = "I didn't get any words there. Tell me how your hips feel, or ask for a stretch."
TOO_LONG_TEXT = "That message is too long for me ({length} characters). Could you say it in under {limit}?"
CHARTS_PREFIX = "charts/"
CHART_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,40}")
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


class CoachSocketIOOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def __init__(self, sio: AsyncServer, bot_message_evt: str) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt
        self.sent = 0  # bot messages sent through this output (connectors/guard.py: silence)

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent += 1
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
        channel_guard = guard()  # built now, at start: the fallback must not need anything later
        sio = OriginCheckedServer(
            settings.allowed_origins(),
            async_mode="sanic",
            max_http_buffer_size=settings.max_body_bytes(),
            **socket_manager(),
        )
        bp = SocketBlueprint(sio, self.socketio_path, "coach_web", __name__)
        cap_request_size(bp)
        warn_if_open(self.name())
        self.sio = sio
        assets = WebAssets(web_config(self.socketio_path))
        charts = ChannelStore()

        @bp.route("/", methods=["GET"], strict_slashes=False)
        async def page(request: Request) -> HTTPResponse:
            # Always land on index.html so the page's relative links (chat.js, vendor/) resolve.
            return response.redirect(request.path.rstrip("/") + "/index.html")

        @bp.route("/<path:path>", methods=["GET"])
        async def static(request: Request, path: str) -> HTTPResponse:
            if not path.strip("/"):
                return await page(request)
            if path.startswith(CHARTS_PREFIX):
                return await chart(path[len(CHARTS_PREFIX) :])
            built = assets.config_json() if path == "config.json" else assets.bundle(path)
            if built is not None:
                if request.headers.get("if-none-match") == built.etag:
                    return response.empty(status=304, headers={"ETag": built.etag})
                headers = {"ETag": built.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
                return response.raw(built.body, content_type=STATIC_TYPES[Path(path).suffix], headers=headers)
            target = (WEB_DIR / path).resolve()
            if WEB_DIR not in target.parents or not target.is_file():
                return response.json({"error": "not found"}, status=404)
            return await response.file(target, mime_type=STATIC_TYPES.get(target.suffix, "application/octet-stream"))

        async def chart(name: str) -> HTTPResponse:
            """A progress chart (coach/dialogue/progress.py) by its unguessable token: the web
            page shows it, and Telegram and Slack fetch it to send it as a picture."""
            token = name[: -len(".png")] if name.endswith(".png") else ""
            png = await charts.chart(token) if CHART_TOKEN.fullmatch(token) else None
            if png is None:
                return response.json({"error": "not found"}, status=404)
            headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
            return response.raw(png, content_type="image/png", headers=headers)

        @sio.on("connect")
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            request = environ.get("sanic.request")
            peer = getattr(request, "ip", None) if request is not None else None
            address = channel_guard.client_address(peer, environ.get("HTTP_X_FORWARDED_FOR"))
            session: Dict[str, Any] = {"address": address}
            secret = settings.sender_secret()
            if secret:
                token = identity.verify((auth or {}).get("token") if isinstance(auth, dict) else None, secret)
                if token is None or token.expired:
                    return False
                session["token"] = token
            elif self.jwt_key:
                token_value = (auth or {}).get("token") if isinstance(auth, dict) else None
                if not (token_value and decode_bearer_token(token_value, self.jwt_key, self.jwt_method)):
                    return False
            await sio.save_session(sid, session)
            return True

        async def vouched_sender(sid: str, data: Dict) -> Optional[str]:
            """The sender this socket may speak for: the token's subject when the deployment
            vouches for senders (a fresh token in the message replaces the stored one, for the
            same subject only), else the message's session id."""
            session = await sio.get_session(sid)
            token = session.get("token")
            if not settings.sender_secret():
                return data.get("session_id") if self.session_persistence else sid
            if "token" in data:
                fresh = identity.verify(data.get("token"), settings.sender_secret())
                if fresh is None or token is None or fresh.subject != token.subject:
                    return None
                token = session["token"] = fresh
            if token is None or token.expired:
                return None
            return token.subject

        @sio.on("session_request")
        async def session_request(sid: str, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id") if identity.valid_sender(data.get("session_id")) else uuid.uuid4().hex
            if settings.sender_secret():
                session_id = await vouched_sender(sid, data)
                if session_id is None:
                    await sio.emit(self.bot_message_evt, sign_in_needed(), room=sid)
                    return
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt)
        async def handle_message(sid: str, data: Dict) -> None:
            data = data if isinstance(data, dict) else {}
            sender_id = await vouched_sender(sid, data)
            if settings.sender_secret() and sender_id is None:
                await sio.emit(self.bot_message_evt, sign_in_needed(), room=sid)
                return
            if not sender_id:
                await sio.emit(
                    self.bot_message_evt, {"text": "Please reconnect: this chat has no session yet."}, room=sid
                )
                return
            if not identity.valid_sender(sender_id):
                await sio.emit(
                    self.bot_message_evt,
                    {
                        "text": "Please reload the page: this chat's id is not one I can use.",
                        "custom": {"type": "input_error"},
                    },
                    room=sid,
                )
                return
            text = data.get("message")
            problem = problem_with(text)
            if problem:
                await sio.emit(self.bot_message_evt, {"text": problem, "custom": {"type": "input_error"}}, room=sid)
                return
            session = await sio.get_session(sid)
            refused = await channel_guard.admit(sender_id, session.get("address"))
            if refused is not None:
                await sio.emit(self.bot_message_evt, refused.as_message(), room=sid)
                return
            metadata = data.get("metadata") or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata or "{}")
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            out = CoachSocketIOOutput(sio, self.bot_message_evt)
            room = sender_id if self.session_persistence else sid
            await channel_guard.turn(
                sender_id,
                text,
                lambda: on_new_message(UserMessage(text, out, sender_id, input_channel=self.name(), metadata=metadata)),
                lambda: out.sent,
                lambda reply: out.send_response(room, reply.as_message()),
            )

        return bp


def socket_manager() -> Dict[str, Any]:
    """COACH_SOCKETIO_REDIS_URL (production, several Rasa instances): the socket servers share
    rooms through Redis (python-socketio's AsyncRedisManager), so a message emitted on one
    instance (a pushed reminder, a session cue) reaches a user whose socket is on another.
    COACH_SOCKETIO_REDIS_CHANNEL keeps deployments sharing one Redis apart."""
    url = os.environ.get("COACH_SOCKETIO_REDIS_URL")
    if not url:
        return {}
    from socketio import AsyncRedisManager

    channel = os.environ.get("COACH_SOCKETIO_REDIS_CHANNEL", "psoas-coach")
    return {"client_manager": AsyncRedisManager(url, channel=channel)}


def sign_in_needed() -> Dict[str, Any]:
    return {"text": guard().words("sign_in_needed"), "custom": {"type": "sign_in_needed"}}


_warned_open = False


def warn_if_open(channel: str) -> None:
    """Says once per process, at start, that sender ids are whatever callers name."""
    global _warned_open
    if settings.sender_secret() or _warned_open:
        return
    _warned_open = True
    logger.warning(
        "Sender ids on REST and socket.io are NOT verified (COACH_SENDER_SECRET is unset): anyone who can "
        "reach this server can talk as any sender and read that person's answers. That is the embedded "
        "default for one machine on loopback; set COACH_SENDER_SECRET before others can reach it (docs/security.md)."
    )


def cap_request_size(bp: Blueprint) -> None:
    """No request body larger than COACH_MAX_BODY_BYTES is read, on any route of the server:
    Sanic answers 413 before the handler runs (it reads the cap for each new connection)."""

    @bp.listener("before_server_start")
    async def cap(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(int(app.config.REQUEST_MAX_SIZE), settings.max_body_bytes())


def problem_with(text: Any) -> Optional[str]:
    if not isinstance(text, str) or not text.strip():
        return EMPTY_MESSAGE_TEXT
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG_TEXT.format(length=len(text), limit=MAX_MESSAGE_CHARS)
    return None


def web_config(socketio_path: str = "/socket.io") -> Dict[str, Any]:
    """What the web page must agree on with this server: served as /webhooks/web/config.json
    and written into coach.js and widget.js (connectors/web_assets.py)."""
    return {
        "max_message_chars": MAX_MESSAGE_CHARS,
        "socketio_path": socketio_path,
        "time_scale": settings.time_scale(),
        "texts": {"empty": EMPTY_MESSAGE_TEXT, "too_long": TOO_LONG_TEXT},
    }


__all__: List[str] = ["CoachSocketIOInput", "CoachSocketIOOutput"]
