from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy.engine import Engine

from coach.session import SessionState
from coach.store.db import session_factory
from coach.store.models import GuidedSession
from coach.store.progress import HistoryStore


class SessionStore:
    def __init__(self, engine: Engine):
        self.sessions = session_factory(engine)
        self.history = HistoryStore(engine)  # every session also joins the user's history

    def get(self, user_id: str) -> Optional[SessionState]:
        with self.sessions() as session:
            row = session.get(GuidedSession, user_id)
            return SessionState.from_dict(row.state) if row else None

    def save(self, user_id: str, state: SessionState) -> None:
        with self.sessions.begin() as session:
            row = session.get(GuidedSession, user_id)
            if row is None:
                session.add(GuidedSession(user_id=user_id, state=state.to_dict()))
            else:
                row.state = state.to_dict()
                row.updated_at = datetime.now(timezone.utc)
        self.history.record(user_id, state)

    def updated_at(self, user_id: str) -> Optional[datetime]:
        with self.sessions() as session:
            row = session.get(GuidedSession, user_id)
            return row.updated_at if row else None
