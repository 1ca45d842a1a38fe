"""What the chat channels share across Rasa instances: long button payloads behind short keys,
and platform deliveries already handled (retries). Both tables stay small: keys are derived
from the payload, and old rows are pruned as new ones arrive."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from coach.store.db import session_factory
from coach.store.models import ButtonPayload, ChannelEvent

PAYLOAD_KEY_LENGTH = 16  # 96 bits of a SHA-256: no collision among even billions of payloads
PAYLOAD_TTL = timedelta(days=30)  # a button left in a chat this long answers "expired"
EVENT_TTL = timedelta(days=1)


def payload_key(payload: str) -> str:
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:PAYLOAD_KEY_LENGTH]


class ButtonPayloads:
    def __init__(self, engine: Engine, ttl: timedelta = PAYLOAD_TTL):
        self.sessions = session_factory(engine)
        self.ttl = ttl

    def key_for(self, payload: str, now: Optional[datetime] = None) -> str:
        """The short key for a payload, stored (or refreshed once a day) so any instance can read it."""
        now = now or datetime.now(timezone.utc)
        key = payload_key(payload)
        with self.sessions.begin() as session:
            row = session.get(ButtonPayload, key)
            if row is None:
                session.add(ButtonPayload(key=key, payload=payload, issued_at=now))
                session.execute(delete(ButtonPayload).where(ButtonPayload.issued_at < now - self.ttl))
            elif _aware(row.issued_at) < now - timedelta(days=1):
                row.issued_at = now
        return key

    def payload_for(self, key: str, now: Optional[datetime] = None) -> Optional[str]:
        """The payload behind a key, or None when it is unknown or older than the TTL."""
        now = now or datetime.now(timezone.utc)
        with self.sessions() as session:
            row = session.get(ButtonPayload, key) if 0 < len(key) <= PAYLOAD_KEY_LENGTH else None
            if row is None or _aware(row.issued_at) < now - self.ttl:
                return None
            return row.payload


class SeenEvents:
    def __init__(self, engine: Engine, ttl: timedelta = EVENT_TTL):
        self.sessions = session_factory(engine)
        self.ttl = ttl

    def first_time(self, key: str, now: Optional[datetime] = None) -> bool:
        """Claims a delivery: True the first time any instance sees `key`, False for a retry."""
        now = now or datetime.now(timezone.utc)
        try:
            with self.sessions.begin() as session:
                session.add(ChannelEvent(key=key[:160], seen_at=now))
                session.flush()  # a second claim of the same key fails here, before anything else
                session.execute(delete(ChannelEvent).where(ChannelEvent.seen_at < now - self.ttl))
        except IntegrityError:
            return False
        return True


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
