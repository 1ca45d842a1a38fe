from __future__ import annotations

import uuid

import pytest
import requests

from coach.store import create_db_engine
from coach.store import knowledge as kb_store
from tests.integration.servers import ensure_model, running


@pytest.fixture(scope="session")
def servers(tmp_path_factory, kb):
    ensure_model()
    workdir = tmp_path_factory.mktemp("servers")
    url = f"sqlite:///{workdir / 'coach.sqlite3'}"
    kb_store.save(create_db_engine(url), kb)
    with running(workdir, url) as s:
        yield s


class Chat:
    """One user talking to the coach over REST, keeping every reply."""

    def __init__(self, base_url: str, sender: str):
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.sender = sender

    def say(self, text: str):
        reply = requests.post(self.url, json={"sender": self.sender, "message": text}, timeout=30)
        reply.raise_for_status()
        return reply.json()

    @staticmethod
    def payloads(messages, kind):
        return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == kind]

    @staticmethod
    def text(messages) -> str:
        return "\n".join(m.get("text") or "" for m in messages)


@pytest.fixture()
def chat(servers):
    return Chat(servers.url, f"test-{uuid.uuid4().hex[:10]}")
