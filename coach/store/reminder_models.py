"""The reminder tables (coach/store/reminders.py reads and writes them; docs/reminders.md).

`reminders` holds what each user asked for and when it is next due; `reminder_prefs` the
user's time zone, quiet hours and a request waiting for the time zone; `scheduler_claims` one
row per (reminder, due time) or daily job, inserted before anything is sent; `scheduler_leases`
the scheduler role where no PostgreSQL advisory lock is at hand (SQLite). No message text.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String

from coach.store.models import Base, utcnow


class ReminderRow(Base):
    __tablename__ = "reminders"
    id = Column(Integer, primary_key=True, autoincrement=True)
    user_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(40), nullable=False)
    days = Column(String(20), nullable=False)  # "0,1,2,3,4" (0 = Monday)
    at = Column(String(5), nullable=False)  # "10:00", the user's local time
    zone = Column(String(64), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    snooze_until = Column(DateTime(timezone=True), nullable=True)
    next_due_at = Column(DateTime(timezone=True), nullable=True, index=True)
    last_fired_day = Column(String(10), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ReminderPrefsRow(Base):
    __tablename__ = "reminder_prefs"
    user_id = Column(String(255), primary_key=True)
    zone = Column(String(64), nullable=True)
    quiet = Column(String(11), nullable=True)  # "22:00-07:00"; None: the default
    pending = Column(JSON, nullable=True)  # a reminder request waiting for the time zone
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class SchedulerClaim(Base):
    __tablename__ = "scheduler_claims"
    key = Column(String(200), primary_key=True)  # "reminder:<id>:<due ISO>" | "purge:<date>"
    user_id = Column(String(255), nullable=True, index=True)
    claimed_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    holder = Column(String(80), nullable=False)


class SchedulerLease(Base):
    __tablename__ = "scheduler_leases"
    name = Column(String(40), primary_key=True)
    holder = Column(String(80), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
