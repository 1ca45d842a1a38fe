"""Rasa's SQL tracker store, from outside a turn: who is in it, since when, and deleting one sender.

Rasa's SQLTrackerStore keeps every event of a conversation in one table, `events`, keyed by
`sender_id`, with a float `timestamp`. Inside a turn, deleting is the tracker store's own job
(connectors/tracker_store.py), because Rasa saves the turn's events when the turn ends; this
module is for the retention purge, which runs between turns.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, Optional

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine

from coach import settings

_metadata = MetaData()
# The columns of Rasa 3.6's SQLTrackerStore.SQLEvent that this module reads.
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_engine(url: Optional[str] = None) -> Engine:
    return create_engine(url or settings.tracker_database_url(), future=True, pool_pre_ping=True)


def _has_events(engine: Engine) -> bool:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:" and not Path(database).exists():
        return False  # no tracker file yet: nothing to read, and nothing created by looking
    return inspect(engine).has_table("events")


def delete_sender(engine: Engine, sender_id: str) -> int:
    if not _has_events(engine):
        return 0
    with engine.begin() as conn:
        return conn.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id)).rowcount or 0


def count_sender(engine: Engine, sender_id: str) -> int:
    if not _has_events(engine):
        return 0
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(EVENTS.c.sender_id == sender_id)).scalar() or 0


def last_activity(engine: Engine) -> Dict[str, datetime]:
    """Each sender's latest event time."""
    if not _has_events(engine):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(select(EVENTS.c.sender_id, func.max(EVENTS.c.timestamp)).group_by(EVENTS.c.sender_id))
        return {sender: datetime.fromtimestamp(ts, timezone.utc) for sender, ts in rows if ts is not None}
