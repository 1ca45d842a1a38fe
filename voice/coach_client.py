"""The voice loop's connection to the coach: our socket.io channel (connectors/socketio.py).

Not REST: a guided session's cues (halfway, five seconds left, switch sides, next step) are
pushed by the coach when their time comes, and only a socket receives them. The session id is
kept for the whole run, so every message (and every pushed cue) reaches this loop.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Awaitable, Callable, Optional

import socketio

from connectors.render import BotMessage

CONNECT_SECONDS = 10.0


class CoachUnavailable(Exception):
    """The coach's server cannot be reached; the message says what to do."""


class CoachConnection:
    def __init__(self, url: str, on_message: Callable[[BotMessage], Awaitable[None]], session_id: Optional[str] = None):
        self.url = url.rstrip("/")
        self.session_id = session_id or f"voice-{uuid.uuid4().hex[:12]}"
        self.on_message = on_message
        self.on_lost: Optional[Callable[[], Awaitable[None]]] = None
        self.client = socketio.AsyncClient(reconnection=False)
        self._confirmed = asyncio.Event()
        self._closing = False
        self.client.on("session_confirm", self._confirm)
        self.client.on("bot_uttered", self._bot_uttered)
        self.client.on("disconnect", self._disconnected)

    async def _confirm(self, _data) -> None:
        self._confirmed.set()

    async def _bot_uttered(self, data) -> None:
        if isinstance(data, dict):
            await self.on_message(BotMessage.from_rasa(data))

    async def _disconnected(self) -> None:
        if not self._closing and self.on_lost:
            await self.on_lost()

    async def connect(self) -> None:
        try:
            await asyncio.wait_for(
                self.client.connect(self.url, socketio_path="/socket.io", transports=["websocket"]), CONNECT_SECONDS
            )
            await self.client.emit("session_request", {"session_id": self.session_id})
            await asyncio.wait_for(self._confirmed.wait(), CONNECT_SECONDS)
        except (socketio.exceptions.ConnectionError, asyncio.TimeoutError, OSError) as error:
            await self.close()
            raise CoachUnavailable(
                f"I can't reach the coach at {self.url} ({error or 'no answer'}). "
                "Start it with `make run` in another terminal, then try again."
            ) from error

    @property
    def connected(self) -> bool:
        return self.client.connected

    async def send(self, text: str) -> None:
        if not self.client.connected:
            raise CoachUnavailable(f"The connection to the coach at {self.url} was lost. Is `make run` still running?")
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def close(self) -> None:
        self._closing = True
        if self.client.connected:
            await self.client.disconnect()
        http = getattr(self.client.eio, "http", None)  # left open by a connection that never came up
        if http is not None and not http.closed:
            await http.close()
