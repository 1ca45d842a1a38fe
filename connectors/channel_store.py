"""The coach's SQL store as the chat channels use it (Telegram, Slack): opened on first use
from DATABASE_URL, shared by every Rasa instance, and called off the event loop so a slow
database never stalls other conversations."""

from __future__ import annotations

import asyncio
import threading
from typing import Dict, Iterable, Optional

from sqlalchemy.engine import Engine

from coach.store import create_db_engine
from coach.store.channels import ButtonPayloads, SeenEvents
from coach.store.privacy import ExportFile, PrivacyStore


class ChannelStore:
    def __init__(self, database_url: Optional[str] = None):
        self.database_url = database_url
        self._engine: Optional[Engine] = None
        self._lock = threading.Lock()

    def _open(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = create_db_engine(self.database_url)
            return self._engine

    async def first_time(self, delivery_key: str) -> bool:
        """True the first time any instance sees this platform delivery; False for a retry."""
        return await asyncio.to_thread(lambda: SeenEvents(self._open()).first_time(delivery_key))

    async def keys_for(self, payloads: Iterable[str]) -> Dict[str, str]:
        payloads = list(dict.fromkeys(payloads))
        if not payloads:
            return {}

        def store() -> Dict[str, str]:
            table = ButtonPayloads(self._open())
            return {p: table.key_for(p) for p in payloads}

        return await asyncio.to_thread(store)

    async def payload_for(self, key: str) -> Optional[str]:
        return await asyncio.to_thread(lambda: ButtonPayloads(self._open()).payload_for(key))

    async def chart(self, token: str) -> Optional[bytes]:
        """A progress chart's PNG (coach/store/progress.py), for /webhooks/web/charts/<token>.png."""
        from coach.store.progress import HistoryStore

        return await asyncio.to_thread(lambda: HistoryStore(self._open()).chart(token))

    async def export_file(self, token: str) -> Optional[ExportFile]:
        """A file of "export my data" behind its link token, while the link works."""
        return await asyncio.to_thread(lambda: PrivacyStore(self._open()).download(token))
