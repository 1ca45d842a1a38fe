"""Retention: the data of users inactive for N days is deleted (`make purge`; the scheduler
runs `purge_inactive` daily).

A user's last activity is their latest timestamp in any of our user tables and in Rasa's
tracker store. Users who said the coach may remember them are kept `days` days
(COACH_RETENTION_DAYS, default 365); a conversation of a user who did not say yes is over after
a day without a message, and is deleted then ("nothing beyond the conversation"). Expired
download links go too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

from sqlalchemy.engine import Engine

from coach.store import create_db_engine
from coach.store import tracker as tracker_store
from coach.store.privacy import PrivacyStore

CONVERSATION_ONLY_DAYS = 1


@dataclass
class PurgeReport:
    users: List[str] = field(default_factory=list)
    rows: Dict[str, int] = field(default_factory=dict)  # per table, ours and the tracker's "events"
    expired_exports: int = 0

    def summary(self) -> str:
        tables = ", ".join(f"{name}: {count}" for name, count in sorted(self.rows.items())) or "no rows"
        return f"purged {len(self.users)} inactive users ({tables}); {self.expired_exports} expired exports"


def purge_inactive(
    now: Optional[datetime] = None,
    days: Optional[int] = None,
    engine: Optional[Engine] = None,
    tracker: Optional[Engine] = None,
) -> PurgeReport:
    """Deletes everything about users inactive for `days` days (conversation-only users: a day).

    `engine` defaults to DATABASE_URL and `tracker` to Rasa's tracker store
    (settings.tracker_database_url); both are plain SQLAlchemy engines."""
    from coach import settings

    now = now or datetime.now(timezone.utc)
    days = settings.retention_days() if days is None else days
    if days < 1:
        raise ValueError(f"retention must be at least 1 day, not {days}")
    engine = engine or create_db_engine()
    tracker = tracker or tracker_store.tracker_engine()
    store = PrivacyStore(engine)
    latest = store.last_activity()
    for sender, moment in tracker_store.last_activity(tracker).items():
        if sender not in latest or moment > latest[sender]:
            latest[sender] = moment
    consented = set(store.consented_users())
    report = PurgeReport()
    for user_id, moment in sorted(latest.items()):
        keep_days = days if user_id in consented else min(days, CONVERSATION_ONLY_DAYS)
        if moment > now - timedelta(days=keep_days):
            continue
        deleted = store.delete_user(user_id)
        events = tracker_store.delete_sender(tracker, user_id)
        if events:
            deleted["events"] = events
        report.users.append(user_id)
        for table, count in deleted.items():
            report.rows[table] = report.rows.get(table, 0) + count
    report.expired_exports = store.prune_expired_exports(now)
    return report
