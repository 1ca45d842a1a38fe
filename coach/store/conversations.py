"""Each conversation's working memory (coach/dialogue/state.py), one row per conversation."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.engine import Engine

from coach.dialogue.state import ConversationState
from coach.store.db import session_factory
from coach.store.models import ConversationRecord


class ConversationStore:
    def __init__(self, engine: Engine):
        self.sessions = session_factory(engine)

    def get(self, user_id: str) -> ConversationState:
        with self.sessions() as session:
            row = session.get(ConversationRecord, user_id)
            return ConversationState.from_dict(row.state if row else None)

    def save(self, user_id: str, state: ConversationState) -> None:
        with self.sessions.begin() as session:
            row = session.get(ConversationRecord, user_id)
            if row is None:
                session.add(ConversationRecord(user_id=user_id, state=state.to_dict()))
            else:
                row.state = state.to_dict()
                row.updated_at = datetime.now(timezone.utc)
