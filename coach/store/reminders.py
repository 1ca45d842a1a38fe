"""Reminders in SQL: the source of truth the one scheduler reads (docs/reminders.md).

`reminders` holds what each user asked for and when it is next due; `reminder_prefs` the
user's time zone, quiet hours and a request waiting for the time zone; `scheduler_claims` one
row per (reminder, due time) or daily job, inserted before anything is sent, so a second
scheduler (or a restarted one) finds the row and sends nothing; `scheduler_leases` the
scheduler role where no PostgreSQL advisory lock is at hand (SQLite). No message text is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Optional, overload

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from coach.reminders.schedule import QuietHours, Reminder, Schedule
from coach.store.db import session_factory
from coach.store.models import utcnow
from coach.store.reminder_models import ReminderPrefsRow, ReminderRow, SchedulerClaim, SchedulerLease


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
@overload
def aware(moment: Optional[datetime]) -> Optional[datetime]: ...
def aware(moment: Optional[datetime]) -> Optional[datetime]:
    """SQLite hands datetimes back naive: they were stored in UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class Prefs:
    user_id: str
    zone: Optional[str] = None
    quiet: Optional[QuietHours] = None
    pending: Optional[Dict[str, Any]] = field(default=None)


def _to_reminder(row: ReminderRow) -> Reminder:
    hour, minute = (int(x) for x in row.at.split(":"))
    return Reminder(
        id=row.id,
        user_id=row.user_id,
        channel=row.channel,
        schedule=Schedule(frozenset(int(d) for d in row.days.split(",")), time(hour, minute)),
        zone=row.zone,
        snooze_until=aware(row.snooze_until),
        next_due=aware(row.next_due_at),
        last_fired_day=date.fromisoformat(row.last_fired_day) if row.last_fired_day else None,
    )


def _fill(row: ReminderRow, reminder: Reminder) -> None:
    row.user_id, row.channel, row.zone = reminder.user_id, reminder.channel, reminder.zone
    row.days = ",".join(str(d) for d in sorted(reminder.schedule.days))
    row.at = f"{reminder.schedule.at:%H:%M}"
    row.snooze_until, row.next_due_at = reminder.snooze_until, reminder.next_due
    row.last_fired_day = reminder.last_fired_day.isoformat() if reminder.last_fired_day else None
    row.updated_at = utcnow()


class ReminderStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = session_factory(engine)

    # -- preferences ---------------------------------------------------------------------------
    def prefs(self, user_id: str) -> Prefs:
        with self.sessions() as session:
            row = session.get(ReminderPrefsRow, user_id)
            if row is None:
                return Prefs(user_id)
            quiet = QuietHours.parse(row.quiet) if row.quiet else None
            return Prefs(user_id, row.zone, quiet, row.pending)

    def save_prefs(self, prefs: Prefs) -> None:
        with self.sessions.begin() as session:
            row = session.get(ReminderPrefsRow, prefs.user_id) or ReminderPrefsRow(user_id=prefs.user_id)
            row.zone, row.pending = prefs.zone, prefs.pending
            row.quiet = prefs.quiet.to_str() if prefs.quiet else None
            row.updated_at = utcnow()
            session.add(row)

    # -- reminders -----------------------------------------------------------------------------
    def for_user(self, user_id: str) -> List[Reminder]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ReminderRow).where(ReminderRow.user_id == user_id, ReminderRow.active).order_by(ReminderRow.id)
            )
            return [_to_reminder(r) for r in rows]

    def get(self, reminder_id: int) -> Optional[Reminder]:
        with self.sessions() as session:
            row = session.get(ReminderRow, reminder_id)
            return _to_reminder(row) if row is not None and row.active else None

    def save(self, reminder: Reminder) -> Reminder:
        with self.sessions.begin() as session:
            row = session.get(ReminderRow, reminder.id) if reminder.id else None
            if row is None:
                row = ReminderRow(active=True)
                session.add(row)
            _fill(row, reminder)
            session.flush()
            reminder.id = row.id
        return reminder

    def advance(self, reminder: Reminder, from_due: datetime) -> bool:
        """Writes the times after a firing, unless the user changed the reminder meanwhile (its
        due time is no longer `from_due`): their change wins."""
        with self.sessions.begin() as session:
            row = session.get(ReminderRow, reminder.id, with_for_update=True)
            if row is None or aware(row.next_due_at) != from_due:
                return False
            _fill(row, reminder)
            return True

    def remove_all(self, user_id: str) -> int:
        with self.sessions.begin() as session:
            return session.execute(delete(ReminderRow).where(ReminderRow.user_id == user_id)).rowcount or 0

    def due(self, now: datetime, limit: int = 200) -> List[Reminder]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ReminderRow)
                .where(ReminderRow.active, ReminderRow.next_due_at.is_not(None), ReminderRow.next_due_at <= now)
                .order_by(ReminderRow.next_due_at)
                .limit(limit)
            )
            return [_to_reminder(r) for r in rows]

    # -- the scheduler's claims ----------------------------------------------------------------
    def claim(self, key: str, holder: str, user_id: Optional[str] = None) -> bool:
        """True for exactly one caller per key, whichever process or instance asks first."""
        try:
            with self.sessions.begin() as session:
                session.add(SchedulerClaim(key=key, user_id=user_id, holder=holder, claimed_at=utcnow()))
            return True
        except IntegrityError:
            return False

    def release(self, key: str) -> None:
        """Gives a claim back when nothing was sent (the Rasa server could not be reached)."""
        with self.sessions.begin() as session:
            session.execute(delete(SchedulerClaim).where(SchedulerClaim.key == key))

    def claims(self, prefix: str = "") -> List[str]:
        with self.sessions() as session:
            return list(session.scalars(select(SchedulerClaim.key).where(SchedulerClaim.key.startswith(prefix))))

    def prune_claims(self, before: datetime) -> int:
        with self.sessions.begin() as session:
            stmt = delete(SchedulerClaim).where(SchedulerClaim.claimed_at < before)
            return session.execute(stmt).rowcount or 0

    # -- the scheduler role without PostgreSQL -------------------------------------------------
    def take_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        """Holds (or renews) the named role until now + seconds unless someone else holds it."""
        until = now + timedelta(seconds=seconds)
        try:
            with self.sessions.begin() as session:
                row = session.get(SchedulerLease, name, with_for_update=True)
                if row is None:
                    session.add(SchedulerLease(name=name, holder=holder, expires_at=until))
                    return True
                if row.holder != holder and aware(row.expires_at) > now:
                    return False
                row.holder, row.expires_at = holder, until
                return True
        except IntegrityError:
            return False

    def drop_lease(self, name: str, holder: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder))
