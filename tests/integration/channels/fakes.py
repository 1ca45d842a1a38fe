"""Local fakes of the Telegram Bot API and the Slack Web API, on 127.0.0.1.

Each runs an aiohttp app in its own thread, records every call the coach makes (method,
parameters, arrival time) and answers the way the real API does for the calls the coach uses,
including the refusals that matter: Telegram's BUTTON_DATA_INVALID for callback_data over 64
bytes, "can't parse entities" for broken HTML, "message is too long", 403 for a user who never
opened a chat with the bot; Slack's invalid_blocks for Block Kit over its limits, and
`as_user` refused as a new Slack app refuses it. Telegram answers are exactly
`Content-Type: application/json` with {"ok": true, "result": …}: aiogram rejects anything else.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web

from tests.integration.servers import free_port


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    at: float  # time.monotonic() on arrival
    result: Any = None  # what the fake answered (e.g. the sent message, with its message_id)


class FakePlatform:
    def __init__(self) -> None:
        self.port = free_port()
        self.calls: List[Call] = []
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        raise NotImplementedError

    def start(self) -> FakePlatform:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            runner = web.AppRunner(self.app())
            loop.run_until_complete(runner.setup())
            loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def record(self, method: str, params: Dict[str, Any]) -> Call:
        call = Call(method, params, time.monotonic())
        with self._lock:
            self.calls.append(call)
        return call

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int = 0, method: Optional[str] = None) -> List[Call]:
        with self._lock:
            calls = list(self.calls[mark:])
        return [c for c in calls if method is None or c.method == method]

    def wait_for(self, predicate: Callable[[Call], bool], since: int = 0, timeout: float = 20) -> Call:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for call in self.since(since):
                if predicate(call):
                    return call
            time.sleep(0.02)
        raise TimeoutError(f"no matching call in {timeout}s; got {[self.describe(c) for c in self.since(since)]}")

    @staticmethod
    def describe(call: Call) -> str:
        text = call.params.get("text") or call.params.get("caption") or ""
        return f"{call.method}:{str(text)[:50]!r}"


# -- Telegram ---------------------------------------------------------------------------------------
ALLOWED_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler"}


TAG = re.compile(r"</?([a-z-]+)(?:\s[^<>]*)?>")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def check_telegram_html(text: str) -> Tuple[Optional[str], int]:
    """What Telegram's HTML parse mode refuses (unknown or unbalanced tags, a bare <, > or &),
    and the visible length in UTF-16 units."""
    stack: List[str] = []
    visible: List[str] = []
    position = 0
    for tag in TAG.finditer(text):
        visible.append(text[position : tag.start()])
        position = tag.end()
        name = tag.group(1)
        if name not in ALLOWED_HTML_TAGS:
            return f'Unsupported start tag "{name}"', 0
        if tag.group(0).startswith("</"):
            if not stack or stack.pop() != name:
                return f'Unmatched end tag "{name}"', 0
        else:
            stack.append(name)
    visible.append(text[position:])
    if stack:
        return f'Can\'t find end tag corresponding to start tag "{stack[-1]}"', 0
    plain = ENTITY.sub("x", "".join(visible))
    if any(ch in plain for ch in "<>&"):
        return "Unexpected character: <, > and & must be escaped", 0
    return None, len(plain.encode("utf-16-le")) // 2


class FakeTelegram(FakePlatform):
    def __init__(self, token: str, username: str) -> None:
        super().__init__()
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self.unreachable: Set[int] = set()  # users who never opened a chat with the bot
        self.down = False  # answers like an outage behind a proxy: 502 with an HTML page
        self._message_id = 1000

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._answer({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.match_info["method"]
        params = await self._params(request)
        call = self.record(method, params)
        if self.down:
            call.result = "down"
            return web.Response(text="<html>502 Bad Gateway</html>", status=502, content_type="text/html")
        result = call.result = self._result(method, params)
        if isinstance(result, tuple):  # an error: (status, description)
            status, description = result
            return self._answer({"ok": False, "error_code": status, "description": description}, status)
        return self._answer({"ok": True, "result": result})

    @staticmethod
    def _answer(body: Dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(text=json.dumps(body), status=status, content_type="application/json")

    @staticmethod
    async def _params(request: web.Request) -> Dict[str, Any]:
        if request.content_type == "application/json":
            params = await request.json()
        else:
            form = await request.post()
            params = {k: v for k, v in form.items() if isinstance(v, str)}
            uploads = {k: (v.filename, v.file.read()) for k, v in form.items() if hasattr(v, "file")}
            if uploads:  # multipart files (sendDocument): name -> (filename, content)
                params["_files"] = uploads
        for key in ("reply_markup", "allowed_updates", "entities"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    def _result(self, method: str, params: Dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": self.bot_id, "is_bot": True, "first_name": "Psoas Coach", "username": self.username}
        if method in ("setWebhook", "deleteWebhook", "setMyCommands"):
            return True
        if method == "getWebhookInfo":
            last = next((c.params for c in reversed(self.since(0, "setWebhook"))), {})
            return {"url": last.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
        if method == "answerCallbackQuery":
            return True if params.get("callback_query_id") else (400, "Bad Request: query is too old")
        if method == "editMessageReplyMarkup":
            return self._message(params, text="")
        if method == "editMessageText":
            if not str(params.get("text") or "").strip() or not params.get("message_id"):
                return 400, "Bad Request: message text is empty"
            if len(str(params["text"]).encode("utf-16-le")) // 2 > 4096:
                return 400, "Bad Request: MESSAGE_TOO_LONG"
            return self._message(params, text=params["text"])
        if method in ("sendMessage", "sendPhoto"):
            return self._send(method, params)
        if method == "sendDocument":
            if not (params.get("_files") or {}).get("document") and not params.get("document"):
                return 400, "Bad Request: there is no document in the request"
            return self._message(params, text="")
        return 404, "Not Found: method not found"

    def _send(self, method: str, params: Dict[str, Any]) -> Any:
        try:
            chat_id = int(params.get("chat_id"))
        except (TypeError, ValueError):
            return 400, "Bad Request: chat not found"
        if chat_id in self.unreachable:
            return 403, "Forbidden: bot can't initiate conversation with a user"
        text = params.get("text" if method == "sendMessage" else "caption") or ""
        if method == "sendMessage" and not text.strip():
            return 400, "Bad Request: message text is empty"
        if params.get("parse_mode") == "HTML":
            problem, visible = check_telegram_html(text)
            if problem:
                return 400, f"Bad Request: can't parse entities: {problem}"
        else:
            visible = len(text.encode("utf-16-le")) // 2
        limit = 4096 if method == "sendMessage" else 1024
        if visible > limit:
            return (
                400,
                "Bad Request: message is too long" if method == "sendMessage" else "Bad Request: caption is too long",
            )
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data", "")
                if not 1 <= len(data.encode("utf-8")) <= 64:
                    return 400, "Bad Request: BUTTON_DATA_INVALID"
        return self._message(params, text=text)

    def _message(self, params: Dict[str, Any], text: str) -> Dict[str, Any]:
        self._message_id += 1
        chat_id = int(params.get("chat_id") or 0)
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": self._message_id, "date": int(time.time()), "chat": chat, "text": text}

    # -- what tests read ---------------------------------------------------------------------------
    def sent_to(self, chat_id: int, since: int = 0) -> List[Call]:
        return [
            c
            for c in self.since(since)
            if c.method in ("sendMessage", "sendPhoto", "sendDocument") and str(c.params.get("chat_id")) == str(chat_id)
        ]


def telegram_buttons(call: Call) -> List[Dict[str, str]]:
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button for row in rows for button in row]


# -- Slack ------------------------------------------------------------------------------------------
class FakeSlack(FakePlatform):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.no_dm: Set[str] = set()  # users the app cannot open a DM with
        self.uploads: Dict[str, bytes] = {}  # file id -> bytes uploaded to its upload_url
        self.down = False  # answers 503 with an HTML page, as during an outage
        self._ts = 1_700_000_000.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_post("/upload/{file_id}", self._upload)  # files.getUploadURLExternal's upload_url
        return app

    async def _upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.uploads[request.match_info["file_id"]] = body
        return web.Response(text="OK - " + str(len(body)))

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        params = {**dict(request.query), **params}
        for key in ("blocks",):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        call = self.record(method, params)
        if self.down:
            call.result = "down"
            return web.Response(text="<html>503 Service Unavailable</html>", status=503, content_type="text/html")
        call.result = self._result(method, params)
        return web.json_response(call.result)

    def _result(self, method: str, params: Dict[str, Any]) -> Dict[str, Any]:
        if method == "conversations.open":
            user = params.get("users")
            if not user:
                return {"ok": False, "error": "users_list_not_supplied"}
            if user in self.no_dm:
                return {"ok": False, "error": "missing_scope", "needed": "im:write"}
            return {"ok": True, "channel": {"id": "D" + user.lstrip("U")}}
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not str(params.get("length") or "").isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{len(self.uploads) + len(self.since(0, method))}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            missing = [f["id"] for f in files if f.get("id") not in self.uploads]
            if missing or not params.get("channel_id"):
                return {"ok": False, "error": "file_not_found" if missing else "channel_not_found"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "chat.update":
            if not params.get("channel") or not params.get("ts"):
                return {"ok": False, "error": "message_not_found"}
            problem = self._blocks_problem(params.get("blocks") or [])
            return {"ok": not problem, "channel": params["channel"], "ts": params["ts"], "error": problem}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            if "as_user" in params:
                return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["as_user"]}}
            if not params.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            if method == "chat.postEphemeral" and not params.get("user"):
                return {"ok": False, "error": "user_not_in_channel"}
            problem = self._blocks_problem(params.get("blocks") or [])
            if problem or not (params.get("text") or params.get("blocks")):
                return {"ok": False, "error": "invalid_blocks" if problem else "no_text", "detail": problem}
            self._ts += 1
            ts = f"{self._ts:.6f}"
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            message = {"type": "message", "ts": ts, "text": params.get("text"), "blocks": params.get("blocks")}
            return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}
        return {"ok": False, "error": "unknown_method"}

    @staticmethod
    def _blocks_problem(blocks: List[Dict[str, Any]]) -> Optional[str]:
        if len(blocks) > 50:
            return "more than 50 blocks"
        for block in blocks:
            if block.get("type") == "section" and len(block["text"]["text"]) > 3000:
                return "section text over 3000 characters"
            if block.get("type") == "actions":
                elements = block.get("elements") or []
                if not 1 <= len(elements) <= 25:
                    return "actions block needs 1-25 elements"
                ids = [e.get("action_id") for e in elements]
                if len(set(ids)) != len(ids):
                    return "duplicate action_id"
                for e in elements:
                    if len(e["text"]["text"]) > 75 or len(e.get("value", "")) > 2000:
                        return "button text over 75 or value over 2000 characters"
        return None

    # -- what tests read ---------------------------------------------------------------------------
    def posted_in(self, channel: str, since: int = 0) -> List[Call]:
        return [c for c in self.since(since, "chat.postMessage") if c.params.get("channel") == channel]


def slack_buttons(call: Call) -> List[Dict[str, Any]]:
    return [e for b in call.params.get("blocks") or [] if b.get("type") == "actions" for e in b["elements"]]


def slack_text(call: Call) -> str:
    sections = [b["text"]["text"] for b in call.params.get("blocks") or [] if b.get("type") == "section"]
    return "\n\n".join(sections) if sections else str(call.params.get("text") or "")
