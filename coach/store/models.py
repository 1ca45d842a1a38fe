"""Tables. Knowledge entries keep their validated JSON; user data is keyed by conversation id."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Text
from sqlalchemy.orm import registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """The declarative base written as a class (SQLAlchemy 1.4's explicit form), so a type
    checker sees real classes without SQLAlchemy's mypy plugin."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class KnowledgeEntry(Base):
    __tablename__ = "kb_entries"
    section = Column(String(40), primary_key=True)
    entry_id = Column(String(80), primary_key=True)
    position = Column(Integer, nullable=False)  # keeps the reviewed order of the YAML
    data = Column(JSON, nullable=False)


class ExerciseAlias(Base):
    __tablename__ = "kb_exercise_aliases"
    alias = Column(String(120), primary_key=True)
    exercise_id = Column(String(80), nullable=False, index=True)


class KnowledgeMeta(Base):
    __tablename__ = "kb_meta"
    key = Column(String(40), primary_key=True)
    value = Column(Text, nullable=False)


class UserProfile(Base):
    __tablename__ = "user_profiles"
    user_id = Column(String(255), primary_key=True)
    data = Column(JSON, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ScreeningRecord(Base):
    __tablename__ = "screenings"
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255), nullable=False, index=True)
    answers = Column(JSON, nullable=False)
    outcome = Column(String(20), nullable=False)
    taken_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SafetyEvent(Base):
    """Every non-trivial safety decision, for audit. Rule ids only: no message text is kept."""

    __tablename__ = "safety_events"
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255), nullable=False, index=True)
    outcome = Column(String(20), nullable=False)
    rule_ids = Column(JSON, nullable=False)
    excluded = Column(JSON, nullable=False)
    in_session = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class GuidedSession(Base):
    """The user's current or last guided session, saved at every step so a restart loses nothing."""

    __tablename__ = "guided_sessions"
    user_id = Column(String(255), primary_key=True)
    state = Column(JSON, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ConversationRecord(Base):
    """A conversation's working memory (questions waiting, the user's goal): no message text."""

    __tablename__ = "conversations"
    user_id = Column(String(255), primary_key=True)
    state = Column(JSON, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ButtonPayload(Base):
    """A button payload too long for Telegram's 64-byte callback_data, behind a short key.

    Keys are derived from the payload, so the table holds one row per distinct long payload,
    not one per message sent: today about one per answer button of each question asked (the
    answers carry the question's token), pruned 30 days after last use."""

    __tablename__ = "channel_button_payloads"
    key = Column(String(32), primary_key=True)
    payload = Column(Text, nullable=False)
    issued_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class ChannelEvent(Base):
    """Platform deliveries already handled ("slack:<event_id>", "telegram:<bot>:<update_id>"),
    so a retry is never answered twice, whichever Rasa instance receives it. Rows older than a
    day are pruned: Slack and Telegram retry within minutes."""

    __tablename__ = "channel_events"
    key = Column(String(160), primary_key=True)
    seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


# The user's data (consents, exports) lives in its own module on the same Base; imported here so
# every user of Base (create_all, migrations, the forget-me sweep) sees those tables too.
from coach.store import privacy_models  # noqa: E402, F401
