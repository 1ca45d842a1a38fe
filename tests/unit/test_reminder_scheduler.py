"""The scheduler in one process: due reminders sent once and moved to their next time, a
missed one skipped rather than sent late, a refused delivery tried again, the daily retention
hook, and the role held by one holder at a time."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from coach.reminders.schedule import EVERY_DAY, Reminder, Schedule
from coach.reminders.scheduler import LeaseLeader, NotSent, Scheduler, find_purge, retention_purge
from coach.store.reminders import ReminderStore

MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.fixture()
def store(engine):
    return ReminderStore(engine)


def add(store, user="u1", at=time(10, 0), now=MONDAY_10 - timedelta(minutes=1)) -> Reminder:
    reminder = Reminder(user, "web", Schedule(EVERY_DAY, at), "UTC")
    reminder.refresh(now)
    return store.save(reminder)


def test_due_reminders_are_sent_once_and_move_on(store):
    reminder = add(store)
    sent = []
    clock = Clock(MONDAY_10 + timedelta(seconds=5))
    scheduler = Scheduler(store, lambda r, due: sent.append((r.id, due)), LeaseLeader(store, "a"), "a", now=clock)
    assert scheduler.tick().sent == [f"reminder:{reminder.id}:{MONDAY_10.isoformat()}"]
    assert scheduler.tick().sent == []  # the next one is tomorrow
    assert store.get(reminder.id).next_due == MONDAY_10 + timedelta(days=1)
    assert store.get(reminder.id).last_fired_day == MONDAY_10.date()
    clock.moment = MONDAY_10 + timedelta(days=1, seconds=1)
    scheduler.tick()
    assert sent == [(reminder.id, MONDAY_10), (reminder.id, MONDAY_10 + timedelta(days=1))]


def test_a_second_scheduler_finds_the_claim_and_sends_nothing(store):
    add(store)
    sent = []
    clock = Clock(MONDAY_10)
    first = Scheduler(store, lambda r, d: sent.append("first"), LeaseLeader(store, "a"), "a", now=clock)
    # A second holder that (wrongly) thinks it leads, with the reminder read before the first sent it.
    stale = store.due(clock())
    first.tick()
    second = Scheduler(store, lambda r, d: sent.append("second"), LeaseLeader(store, "b", seconds=0), "b", now=clock)
    assert not second.tick().leader  # the role is held
    for reminder in stale:
        assert not store.claim(f"reminder:{reminder.id}:{reminder.next_due.isoformat()}", "b")
    assert sent == ["first"]


def test_missed_while_down_is_skipped_not_sent_late(store):
    reminder = add(store)
    sent = []
    three_hours_late = Clock(MONDAY_10 + timedelta(hours=3))
    report = Scheduler(store, lambda r, d: sent.append(d), LeaseLeader(store, "a"), "a", now=three_hours_late).tick()
    assert sent == [] and report.skipped
    assert store.get(reminder.id).next_due == MONDAY_10 + timedelta(days=1)


def test_an_unreachable_rasa_gives_the_claim_back(store):
    reminder = add(store)
    calls = []

    def down(r, due):
        calls.append(due)
        if len(calls) == 1:
            raise NotSent("connection refused")

    scheduler = Scheduler(store, down, LeaseLeader(store, "a"), "a", now=Clock(MONDAY_10))
    assert scheduler.tick().sent == []
    assert store.get(reminder.id).next_due == MONDAY_10  # still due
    assert scheduler.tick().sent == [f"reminder:{reminder.id}:{MONDAY_10.isoformat()}"]
    assert calls == [MONDAY_10, MONDAY_10]


def test_a_change_made_while_it_fires_wins(store):
    reminder = add(store)
    moved = store.get(reminder.id)
    moved.schedule = Schedule(EVERY_DAY, time(18, 0))
    moved.refresh(MONDAY_10 - timedelta(minutes=1))
    store.save(moved)
    old = Reminder(reminder.user_id, "web", reminder.schedule, "UTC", id=reminder.id, next_due=MONDAY_10)
    old.fired(MONDAY_10)
    assert not store.advance(old, MONDAY_10)
    assert store.get(reminder.id).schedule.at == time(18, 0)


def test_the_daily_retention_hook_runs_once_a_day(store):
    calls = []
    clock = Clock(MONDAY_10)
    scheduler = Scheduler(
        store, lambda r, d: None, LeaseLeader(store, "a"), "a", now=Clock(MONDAY_10 + timedelta(days=9)),
        retention_days=30, purge=lambda now, days: calls.append((now, days)), real_now=clock, daily_purge=True,
    )  # fmt: skip
    assert scheduler.tick().purged
    clock.moment += timedelta(hours=5)
    assert not scheduler.tick().purged
    clock.moment += timedelta(days=1)
    assert scheduler.tick().purged
    assert calls == [(MONDAY_10, 30), (MONDAY_10 + timedelta(days=1, hours=5), 30)]
    # Retention counts real days, whatever the coach's (accelerated) clock says; it can be switched off.
    off = Scheduler(store, lambda r, d: None, LeaseLeader(store, "b"), "b", real_now=Clock(MONDAY_10 + timedelta(days=5)),
                    retention_days=30, purge=lambda now, days: calls.append("off"), daily_purge=False)  # fmt: skip
    assert not off.tick().purged and "off" not in calls
    # Without a purge function in coach/ the hook says so and does nothing.
    if find_purge() is None:
        assert retention_purge(MONDAY_10, 30) is False


def test_the_lease_is_held_by_one_holder_until_it_expires(store):
    now = datetime.now(timezone.utc)
    assert store.take_lease("role", "a", now, 10)
    assert not store.take_lease("role", "b", now + timedelta(seconds=5), 10)
    assert store.take_lease("role", "a", now + timedelta(seconds=5), 10)  # renewed
    assert store.take_lease("role", "b", now + timedelta(seconds=16), 10)  # expired: taken over
