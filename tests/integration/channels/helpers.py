"""What the Telegram and Slack tests share: skipping the screening, Rasa's HTTP API, reading
a paced session's messages back in order."""

from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence

import requests

from coach.session import SessionState
from coach.store import create_db_engine
from coach.store.privacy import PrivacyStore
from coach.store.profiles import ProfileStore
from coach.store.sessions import SessionStore
from tests.integration.servers import Servers

API_TOKEN = "channel-tests-api-token"  # Rasa's HTTP API (--enable-api --auth-token) in these tests


def screened(servers: Servers, user_id: str) -> str:
    """Skips the screening form: these tests are about the channel, for a user who said the coach
    may remember them (so the stored screening counts and the session is stored)."""
    engine = create_db_engine(servers.env["DATABASE_URL"])
    PrivacyStore(engine).grant(user_id, "test")
    ProfileStore(engine).save_screening(user_id, {}, "PROCEED")
    return user_id


def stored_session(servers: Servers, user_id: str) -> Optional[SessionState]:
    return SessionStore(create_db_engine(servers.env["DATABASE_URL"])).get(user_id)


def trigger_intent(servers: Servers, conversation: str, intent: str, channel: str) -> requests.Response:
    return requests.post(
        f"{servers.url}/conversations/{conversation}/trigger_intent",
        params={"output_channel": channel, "token": API_TOKEN},
        json={"name": intent, "entities": {}},
        timeout=60,
    )


def push_bot_message(servers: Servers, conversation: str, channel: str, data: Dict[str, Any], text: str = "") -> None:
    """A bot message sent by the server through a channel's output (Rasa's tracker events API
    with execute_side_effects): how images and any button layout reach the renderer for real."""
    reply = requests.post(
        f"{servers.url}/conversations/{conversation}/tracker/events",
        params={"execute_side_effects": "true", "output_channel": channel, "token": API_TOKEN},
        json={"event": "bot", "text": text or None, "data": data, "timestamp": time.time()},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text


def in_order(texts: Sequence[str], expected: Sequence[str]) -> List[str]:
    """The expected pieces not found, in order, as substrings of successive messages."""
    position = 0
    missing: List[str] = []
    for piece in expected:
        found = next((i for i in range(position, len(texts)) if piece in texts[i]), None)
        if found is None:
            missing.append(piece)
        else:
            position = found + 1
    return missing


def step_texts(state: SessionState) -> List[str]:
    """What each step of a stored session says when it starts (the coach's own step text)."""
    return [s.text for s in state.steps]
