"""A python-socketio client that records every bot message with its arrival time."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Callable, List, Optional

import socketio


class WebUser:
    def __init__(self, url: str, session_id: Optional[str] = None):
        self.url = url
        self.session_id = session_id or uuid.uuid4().hex
        self.client = socketio.AsyncClient()
        self.received: List[dict] = []
        self._confirmed = asyncio.Event()
        self.client.on("session_confirm", self._confirm)
        self.client.on("bot_uttered", self._bot)

    async def _confirm(self, _):
        self._confirmed.set()

    async def _bot(self, data):
        self.received.append({**data, "at": time.monotonic()})

    async def __aenter__(self) -> WebUser:
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["websocket"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self._confirmed.wait(), 10)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.disconnect()

    async def say(self, text: str) -> None:
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for message in self.received[seen:]:
                if predicate(message):
                    return message
            seen = len(self.received)
            await asyncio.sleep(0.02)
        raise TimeoutError(f"no matching message in {timeout}s; got {[self.describe(m) for m in self.received]}")

    def steps(self, since: float = 0) -> List[dict]:
        return [m for m in self.received if (m.get("custom") or {}).get("type") == "session_step" and m["at"] >= since]

    @staticmethod
    def describe(m: dict) -> str:
        c = m.get("custom") or {}
        return f"{c.get('type')}:{c.get('phase')}:{c.get('cue', '')}" if c else (m.get("text") or "")[:40]


def is_step(phase: str, cue: Optional[str] = None) -> Callable[[dict], bool]:
    def check(m: dict) -> bool:
        c = m.get("custom") or {}
        return c.get("type") == "session_step" and c.get("phase") == phase and (cue is None or c.get("cue") == cue)

    return check
