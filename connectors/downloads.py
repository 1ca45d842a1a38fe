"""Download links for "export my data": GET /webhooks/downloads/<token>/<filename>.

The token is 32 random URL-safe characters (coach/store/privacy.py keeps only its SHA-256);
a link works until it expires (COACH_EXPORT_TTL_MINUTES) or the user exports again or says
"forget me". An unknown, expired or mistyped link gets the same 404, so links cannot be probed.
Files come from the coach's database, so any Rasa instance serves any link.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from coach.store import create_db_engine
from coach.store.privacy import ExportFile, PrivacyStore

GONE = 'This download link has expired or does not exist. Ask the coach to "export my data" for a fresh one.'


class CoachDownloadsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "downloads"

    def __init__(self, database_url: Optional[str] = None):
        self.database_url = database_url
        self._engine: Optional[Engine] = None
        self._lock = threading.Lock()

    def _store(self) -> PrivacyStore:
        with self._lock:
            if self._engine is None:
                self._engine = create_db_engine(self.database_url)
        return PrivacyStore(self._engine)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        bp = Blueprint("coach_downloads", __name__)

        @bp.route("/<token>/<filename>", methods=["GET"])
        async def download(_: Request, token: str, filename: str) -> HTTPResponse:
            found: Optional[ExportFile] = await asyncio.to_thread(lambda: self._store().download(token))
            if found is None or found.filename != filename:
                return response.text(GONE, status=404, headers={"Cache-Control": "no-store"})
            return response.raw(
                found.content,
                content_type=found.media_type,
                headers={
                    "Content-Disposition": f'attachment; filename="{found.filename}"',
                    "Cache-Control": "no-store",
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer",
                },
            )

        return bp
