"""Every guided session as the user's history, and the progress charts made from it.

`session_history` mirrors each guided session (coach/session.py) at every save: when it
started, how far it got, every hold completed (stretch, side, seconds), the rating, pains and
feelings reported (stretch and side). `progress_charts` keeps the PNG of a "how am I doing?"
answer behind an unguessable token, served at /webhooks/web/charts/<token>.png for the web
page, Telegram and Slack (which fetch images by URL); charts older than a day are pruned.
No message text is kept.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import List, Optional

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from coach.progress import SessionRecord
from coach.session import SessionState
from coach.store.db import session_factory
from coach.store.models import utcnow
from coach.store.progress_models import ProgressChartRow, SessionHistoryRow
from coach.store.reminders import aware

CHART_DAYS = 1


def record_of(state: SessionState, now: datetime) -> SessionRecord:
    started = datetime.fromisoformat(state.started_at) if state.started_at else now
    done = state.steps[: state.index + (1 if state.status == "done" else 0)]
    return SessionRecord(
        started_at=aware(started),
        status=state.status,
        seconds=sum(s.seconds for s in done),
        holds=[dict(h) for h in state.completed_holds],
        rating=state.rating,
        pain=[dict(p) for p in state.pain_reports],
        feelings=[dict(f) for f in state.feelings],
    )


class HistoryStore:
    def __init__(self, engine: Engine):
        self.sessions = session_factory(engine)

    def record(self, user_id: str, state: SessionState, now: Optional[datetime] = None) -> None:
        """Saves the session's history row (one per session, updated as it goes)."""
        rec = record_of(state, now or utcnow())
        with self.sessions.begin() as session:
            row = session.scalars(
                select(SessionHistoryRow).where(
                    SessionHistoryRow.user_id == user_id, SessionHistoryRow.session_id == state.id
                )
            ).first()
            if row is None:
                row = SessionHistoryRow(user_id=user_id, session_id=state.id)
                session.add(row)
            row.started_at, row.status, row.seconds = rec.started_at, rec.status, rec.seconds
            row.holds, row.rating, row.pain, row.feelings = rec.holds, rec.rating, rec.pain, rec.feelings
            row.updated_at = utcnow()

    def add(self, user_id: str, session_id: str, record: SessionRecord) -> None:
        """A past session as it was (seeding a history, importing)."""
        with self.sessions.begin() as session:
            session.add(
                SessionHistoryRow(
                    user_id=user_id,
                    session_id=session_id,
                    started_at=record.started_at,
                    status=record.status,
                    seconds=record.seconds,
                    holds=record.holds,
                    rating=record.rating,
                    pain=record.pain,
                    feelings=record.feelings,
                )
            )

    def history(self, user_id: str) -> List[SessionRecord]:
        with self.sessions() as session:
            rows = session.scalars(
                select(SessionHistoryRow)
                .where(SessionHistoryRow.user_id == user_id)
                .order_by(SessionHistoryRow.started_at)
            )
            return [
                SessionRecord(
                    started_at=aware(r.started_at),
                    status=r.status,
                    seconds=r.seconds,
                    holds=list(r.holds or []),
                    rating=r.rating,
                    pain=list(r.pain or []),
                    feelings=list(r.feelings or []),
                )
                for r in rows
            ]

    # -- charts --------------------------------------------------------------------------------
    def save_chart(self, user_id: str, png: bytes, now: Optional[datetime] = None) -> str:
        now = now or utcnow()
        token = secrets.token_urlsafe(18)
        with self.sessions.begin() as session:
            session.execute(
                delete(ProgressChartRow).where(ProgressChartRow.created_at < now - timedelta(days=CHART_DAYS))
            )
            session.add(ProgressChartRow(token=token, user_id=user_id, png=png, created_at=now))
        return token

    def chart(self, token: str) -> Optional[bytes]:
        with self.sessions() as session:
            row = session.get(ProgressChartRow, token)
            return bytes(row.png) if row is not None else None
