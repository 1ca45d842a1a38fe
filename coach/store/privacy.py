"""Consent, exports behind download links, and deleting a user: the SQL side of coach/privacy/.

Deleting is generic on purpose: every table of the coach's schema with a `user_id` column holds
data about that user, so `delete_user` and `last_activity` cover tables added later (progress,
reminders) without a list to keep in step. Rasa's tracker store is another database; its
side is coach/store/tracker.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Sequence, Tuple

from sqlalchemy import DateTime, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.schema import Table

from coach.store.db import session_factory
from coach.store.models import Base
from coach.store.privacy_models import ConsentRecord, DataExport

USER_COLUMN = "user_id"


def user_tables() -> List[Table]:
    """Every table of ours that holds rows about a user, in a stable order."""
    return [t for t in Base.metadata.sorted_tables if USER_COLUMN in t.c]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class IssuedLink:
    token: str
    filename: str
    media_type: str
    expires_at: datetime


class PrivacyStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = session_factory(engine)

    # -- consent ------------------------------------------------------------------------------------
    def consent(self, user_id: str) -> Optional[ConsentRecord]:
        with self.sessions() as session:
            return session.get(ConsentRecord, user_id)

    def grant(self, user_id: str, wording: str, now: Optional[datetime] = None) -> None:
        with self.sessions.begin() as session:
            row = session.get(ConsentRecord, user_id)
            if row is None:
                session.add(ConsentRecord(user_id=user_id, wording=wording, granted_at=now or _now()))
            else:
                row.wording, row.granted_at = wording, now or _now()

    # -- exports ------------------------------------------------------------------------------------
    def issue(
        self, user_id: str, files: Sequence[ExportFile], ttl: timedelta, now: Optional[datetime] = None
    ) -> Tuple[List[IssuedLink], int]:
        """Stores the files behind fresh tokens; earlier exports of the user are revoked (their
        count is returned), so only the newest links work."""
        now = now or _now()
        links: List[IssuedLink] = []
        with self.sessions.begin() as session:
            revoked = session.execute(delete(DataExport).where(DataExport.user_id == user_id)).rowcount or 0
            for f in files:
                token = secrets.token_urlsafe(24)
                session.add(
                    DataExport(
                        token_hash=token_hash(token),
                        user_id=user_id,
                        filename=f.filename,
                        media_type=f.media_type,
                        content=f.content,
                        created_at=now,
                        expires_at=now + ttl,
                    )
                )
                links.append(IssuedLink(token, f.filename, f.media_type, now + ttl))
        return links, revoked

    def download(self, token: str, now: Optional[datetime] = None) -> Optional[ExportFile]:
        """The file behind a token, or None when unknown or expired (both look the same)."""
        if not token or len(token) > 100:
            return None
        now = now or _now()
        with self.sessions() as session:
            row = session.get(DataExport, token_hash(token))
            if row is None or _aware(row.expires_at) <= now:
                return None
            return ExportFile(row.filename, row.media_type, row.content)

    def prune_expired_exports(self, now: Optional[datetime] = None) -> int:
        with self.sessions.begin() as session:
            return session.execute(delete(DataExport).where(DataExport.expires_at <= (now or _now()))).rowcount or 0

    # -- everything about a user -------------------------------------------------------------------------
    def rows_of(self, user_id: str) -> Dict[str, int]:
        """How many rows each table holds about the user (tables with none are left out)."""
        counts: Dict[str, int] = {}
        with self.engine.connect() as conn:
            for table in user_tables():
                n = conn.execute(select(func.count()).select_from(table).where(table.c[USER_COLUMN] == user_id))
                count = n.scalar() or 0
                if count:
                    counts[table.name] = count
        return counts

    def delete_user(self, user_id: str) -> Dict[str, int]:
        """Deletes every row about the user in one transaction; returns what was deleted, per table."""
        deleted: Dict[str, int] = {}
        with self.engine.begin() as conn:
            for table in reversed(user_tables()):
                count = conn.execute(delete(table).where(table.c[USER_COLUMN] == user_id)).rowcount or 0
                if count:
                    deleted[table.name] = count
        return deleted

    def last_activity(self) -> Dict[str, datetime]:
        """Each user's latest timestamp across every user table (any DateTime column)."""
        latest: Dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for table in user_tables():
                for column in (c for c in table.c if isinstance(c.type, DateTime)):
                    if column.name == "expires_at":
                        continue
                    query = select(table.c[USER_COLUMN], func.max(column)).group_by(table.c[USER_COLUMN])
                    for user_id, moment in conn.execute(query):
                        if moment is None:
                            continue
                        moment = _aware(moment)
                        if user_id not in latest or moment > latest[user_id]:
                            latest[user_id] = moment
        return latest

    def consented_users(self) -> List[str]:
        with self.sessions() as session:
            return list(session.scalars(select(ConsentRecord.user_id)))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
