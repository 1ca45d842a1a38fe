"""Tables of the user's say over their data: consent given, and exports waiting to be downloaded.

Kept apart from coach/store/models.py (same Base, so create_all and the forget-me sweep see them).
A refusal is never stored: it lives in the conversation only (coach/privacy/scratch.py)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, LargeBinary, String

from coach.store.models import Base, utcnow


class ConsentRecord(Base):
    """The user said yes to being remembered: when, and to which wording (its hash)."""

    __tablename__ = "consents"
    user_id = Column(String(255), primary_key=True)
    wording = Column(String(16), nullable=False)
    granted_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class DataExport(Base):
    """One exported file behind a download link. Only the SHA-256 of the link's token is kept,
    so the table alone cannot be turned into working links; rows expire (COACH_EXPORT_TTL_MINUTES)."""

    __tablename__ = "data_exports"
    token_hash = Column(String(64), primary_key=True)
    user_id = Column(String(255), nullable=False, index=True)
    filename = Column(String(80), nullable=False)
    media_type = Column(String(60), nullable=False)
    content = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False, index=True)
