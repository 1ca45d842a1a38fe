"""The progress tables (coach/store/progress.py reads and writes them).

`session_history`: every guided session, one row each, updated as it goes (holds, rating,
pains and feelings by stretch and side). `progress_charts`: chart PNGs behind unguessable
tokens, kept a day. No message text.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, LargeBinary, String, UniqueConstraint

from coach.store.models import Base, utcnow


class SessionHistoryRow(Base):
    __tablename__ = "session_history"
    __table_args__ = (UniqueConstraint("user_id", "session_id"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255), nullable=False, index=True)
    session_id = Column(String(32), nullable=False)
    started_at = Column(DateTime(timezone=True), nullable=False, index=True)
    status = Column(String(10), nullable=False)
    seconds = Column(Integer, nullable=False, default=0)
    holds = Column(JSON, nullable=False)
    rating = Column(Integer, nullable=True)
    pain = Column(JSON, nullable=False)
    feelings = Column(JSON, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ProgressChartRow(Base):
    __tablename__ = "progress_charts"
    token = Column(String(40), primary_key=True)
    user_id = Column(String(255), nullable=False, index=True)
    png = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
