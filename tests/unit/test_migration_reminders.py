"""Migration 0002_reminders: a database at the baseline, with a user's rows in it, gains the
progress and reminder tables and loses nothing; the stores work on the result."""

from __future__ import annotations

from datetime import datetime, time, timezone

from alembic import command
from sqlalchemy import create_engine, inspect, text

from coach.progress import SessionRecord
from coach.reminders.schedule import EVERY_DAY, Reminder, Schedule
from coach.store import create_db_engine, migrate
from coach.store.progress import HistoryStore
from coach.store.reminders import ReminderStore

NEW_TABLES = {
    "session_history",
    "progress_charts",
    "reminders",
    "reminder_prefs",
    "scheduler_claims",
    "scheduler_leases",
}
WHEN = datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc)


def test_the_baseline_upgrades_with_its_rows_kept(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = create_engine(url, future=True)
    with old.begin() as conn:
        command.upgrade(migrate.config(conn), "0001")
    with old.begin() as conn:
        conn.execute(
            text("INSERT INTO guided_sessions (user_id, state, updated_at) VALUES ('ana', :state, :when)"),
            {"state": '{"steps": [], "status": "done"}', "when": WHEN},
        )
    assert not NEW_TABLES & set(inspect(old).get_table_names())
    old.dispose()

    engine = create_db_engine(url)  # migrates on open
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT user_id FROM guided_sessions")).scalars().all() == ["ana"]
        assert migrate.current(conn) == migrate.head()
    assert migrate.drift(engine) == []

    reminders = ReminderStore(engine)
    reminder = Reminder("ana", "web", Schedule(EVERY_DAY, time(10, 0)), "Europe/London")
    reminder.refresh(WHEN)
    reminders.save(reminder)
    assert reminders.for_user("ana")[0].next_due == datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    HistoryStore(engine).add("ana", "s1", SessionRecord(WHEN, seconds=300))
    assert [r.seconds for r in HistoryStore(engine).history("ana")] == [300]


def test_tables_made_before_the_migration_are_adopted_with_their_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'early.sqlite3'}"
    early = create_engine(url, future=True)
    from coach.store.models import Base

    Base.metadata.create_all(early)  # the branch before 0002: every table, no alembic_version
    ReminderStore(early).save(Reminder("bo", "web", Schedule(EVERY_DAY, time(9, 0)), "UTC", next_due=WHEN))
    early.dispose()
    engine = create_db_engine(url)
    assert [r.user_id for r in ReminderStore(engine).for_user("bo")] == ["bo"]
    assert migrate.drift(engine) == []
