"""Reminders the user controls, in the core: the words read, the schedule's next times in the
user's zone, quiet hours, snoozes, moves that never fire twice a day, and the conversation
through the one door (set, ask the zone once, change, snooze, stop, list, delivery)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from coach.clock import clock_setting
from coach.dialogue.door import Conversation
from coach.dialogue.model import Timer, Turn
from coach.reminders.phrases import days_excluded, days_of_week, read, snooze_minutes, time_of_day
from coach.reminders.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    QuietHours,
    Reminder,
    Schedule,
    find_zone,
    next_due,
)
from coach.service import Coach

LONDON = ZoneInfo("Europe/London")
# Monday 7 December 2026, 09:00 in London (UTC in winter).
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("remind me every weekday at 10", time(10, 0)),
        ("move it to 6pm", time(18, 0)),
        ("at 18:30 please", time(18, 30)),
        ("remind me at 7 in the evening", time(19, 0)),
        ("half past seven", time(7, 30)),
        ("quarter to 6 in the evening", time(17, 45)),
        ("every day at noon", time(12, 0)),
        ("at 10.15pm", time(22, 15)),
        ("at 12am", time(0, 0)),
        ("snooze for 30 minutes", None),
        ("stop reminding me", None),
    ],
)
def test_times_of_day(text, expected):
    assert time_of_day(text) == expected


@pytest.mark.parametrize("text", ["remind me at 25 o'clock", "at 13pm", "at 10:75", "at 0am", "at 99"])
def test_impossible_times_are_named(text):
    wanted = read(text)
    assert wanted.at is None and wanted.bad_time and wanted.bad_time in text


def test_days_and_exclusions():
    assert days_of_week("remind me every weekday at 10") == WEEKDAYS
    assert days_of_week("every day at 9") == EVERY_DAY
    assert days_of_week("on Mondays and Thursdays") == {0, 3}
    assert days_of_week("not at weekends") is None
    assert days_excluded("not at weekends") == {5, 6}
    assert days_excluded("except fridays") == {4}
    assert days_excluded("remind me on fridays") is None
    assert snooze_minutes("snooze for an hour") == 60
    assert snooze_minutes("snooze 20 minutes") == 20


@pytest.mark.parametrize(
    "text, zone",
    [
        ("Europe/London", "Europe/London"),
        ("london", "Europe/London"),
        ("I'm in New York", "America/New_York"),
        ("UK", "Europe/London"),
        ("UTC+5:30", "UTC+05:30"),
        ("gmt", "UTC"),
        ("Mars", None),
        ("Atlantis/Nowhere", None),
        ("", None),
        ("x" * 5000, None),
    ],
)
def test_time_zones(text, zone):
    assert find_zone(text) == zone


def test_next_due_in_the_users_zone_and_days():
    weekdays_10 = Schedule(WEEKDAYS, time(10, 0))
    assert next_due(weekdays_10, LONDON, MONDAY_9) == datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
    friday_11 = datetime(2026, 12, 11, 11, 0, tzinfo=timezone.utc)
    assert next_due(weekdays_10, LONDON, friday_11) == datetime(2026, 12, 14, 10, 0, tzinfo=timezone.utc)
    new_york = ZoneInfo("America/New_York")
    assert next_due(weekdays_10, new_york, MONDAY_9) == datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)
    # Summer time: 10:00 in London is 09:00 UTC.
    assert next_due(weekdays_10, LONDON, datetime(2026, 7, 6, 6, 0, tzinfo=timezone.utc)).hour == 9


def test_quiet_hours_across_midnight():
    quiet = QuietHours.parse("22:00-07:00")
    assert quiet.contains(time(3, 0)) and quiet.contains(time(22, 0)) and not quiet.contains(time(7, 0))
    assert not QuietHours.parse("13:00-14:00").contains(time(12, 59))
    with pytest.raises(ValueError):
        QuietHours.parse("late")


def test_a_moved_reminder_never_fires_twice_in_a_day():
    reminder = Reminder("u", "web", Schedule(EVERY_DAY, time(10, 0)), "Europe/London")
    due = reminder.refresh(MONDAY_9)
    nxt = reminder.fired(due)
    assert nxt == due + timedelta(days=1)
    reminder.schedule = Schedule(EVERY_DAY, time(18, 0))  # moved to 6pm on the day it fired at 10
    assert reminder.refresh(due + timedelta(minutes=5)) == datetime(2026, 12, 8, 18, 0, tzinfo=timezone.utc)


def test_a_snooze_replaces_the_times_it_covers_and_then_ends():
    reminder = Reminder("u", "web", Schedule(EVERY_DAY, time(10, 0)), "Europe/London")
    reminder.snooze_until = datetime(2026, 12, 7, 10, 30, tzinfo=timezone.utc)
    assert reminder.refresh(MONDAY_9) == reminder.snooze_until  # 10:00 was put off
    after = reminder.fired(reminder.snooze_until)
    assert reminder.snooze_until is None and after == datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)


# -- through the door ----------------------------------------------------------------------------
@pytest.fixture()
def coach(loaded_engine, kb):
    return Coach(kb, loaded_engine)


@pytest.fixture()
def at_monday_9(monkeypatch):
    monkeypatch.setenv("COACH_TIME_SCALE", "1")
    monkeypatch.setenv("COACH_CLOCK", clock_setting(MONDAY_9))


class Person:
    def __init__(self, coach: Coach, channel: str = "web", sender: str = "r1", consented: bool = True):
        self.door = Conversation(coach)
        self.channel, self.sender = channel, sender
        if consented:  # reminders are kept after the conversation: only for users who said yes
            coach.privacy.grant(sender, "test wording")

    def says(self, text: str, intent: str, **entities):
        turn = Turn(
            self.sender,
            text,
            intent,
            entities={k: [v] for k, v in entities.items()},
            can_push=self.channel in ("web", "telegram", "slack"),
            channel=self.channel,
        )
        return self.door.handle(turn)

    def receives(self, value: str):
        token, kind = value.split(":", 1)
        return self.door.handle(Turn(self.sender, intent="ready", timer=Timer(token, kind), channel=self.channel))


def reminder_payload(result):
    found = [r.custom for r in result.replies if r.custom and r.custom.get("type") == "reminder"]
    assert found, [r.text for r in result.replies]
    return found[-1]


def test_set_asks_the_zone_once_then_changes_snoozes_lists_and_stops(coach, at_monday_9):
    me = Person(coach)
    asked = me.says("remind me every weekday at 10", "set_reminder")
    assert reminder_payload(asked)["event"] == "ask_zone"
    wrong = me.says("Narnia", "nlu_fallback")
    assert reminder_payload(wrong) == {"type": "reminder", "event": "invalid", "channel": "web", "problem": "zone"}
    assert "Narnia" in wrong.replies[0].text
    done = me.says("London", "inform_country")
    body = reminder_payload(done)
    assert body["event"] == "set" and body["reminder"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert body["reminder"]["next_due"] == "2026-12-07T10:00:00+00:00" and body["reminder"]["zone"] == "Europe/London"
    # A second reminder does not ask the zone again.
    second = me.says("remind me on saturdays at 11", "set_reminder")
    assert reminder_payload(second)["event"] == "set"
    me.says("stop reminding me", "stop_reminders")

    me.says("remind me every day at 10", "set_reminder")
    changed = reminder_payload(me.says("not at weekends", "change_reminder"))
    assert changed["event"] == "changed" and changed["reminder"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    moved = reminder_payload(me.says("move it to 6pm", "change_reminder"))
    assert moved["reminder"]["time"] == "18:00" and moved["reminder"]["next_due"] == "2026-12-07T18:00:00+00:00"
    snoozed = reminder_payload(me.says("snooze for an hour", "snooze_reminder"))
    assert snoozed["event"] == "snoozed" and snoozed["reminder"]["next_due"].startswith("2026-12-07T10:00")
    listed = reminder_payload(me.says("what reminders do I have?", "list_reminders"))
    assert [r["time"] for r in listed["reminders"]] == ["18:00"]
    stopped = reminder_payload(me.says("stop reminding me", "stop_reminders"))
    assert stopped == {"type": "reminder", "event": "stopped", "channel": "web", "count": 1}
    assert coach.reminders.for_user("r1") == []
    assert reminder_payload(me.says("stop reminding me", "stop_reminders"))["event"] == "none"
    assert reminder_payload(me.says("what reminders do I have?", "list_reminders"))["reminders"] == []


@pytest.mark.parametrize(
    "text, problem",
    [("remind me at 25 o'clock", "time"), ("every day at 3am", "quiet_hours"), ("remind me at 11pm", "quiet_hours")],
)
def test_bad_times_get_a_clear_answer_and_set_nothing(coach, at_monday_9, text, problem):
    me = Person(coach)
    result = me.says(text, "set_reminder")
    body = reminder_payload(result)
    assert body["event"] == "invalid" and body["problem"] == problem
    assert coach.reminders.for_user("r1") == [] and coach.reminders.prefs("r1").pending is None
    if problem == "quiet_hours":
        assert "22:00" in result.replies[0].text and "07:00" in result.replies[0].text


def test_a_snooze_into_quiet_hours_keeps_the_usual_time(coach, monkeypatch):
    monkeypatch.setenv("COACH_CLOCK", clock_setting(datetime(2026, 12, 7, 21, 30, tzinfo=timezone.utc)))
    me = Person(coach)
    me.says("remind me every day at 9pm London time", "set_reminder")
    body = reminder_payload(me.says("snooze for an hour", "snooze_reminder"))
    assert body["event"] == "invalid" and body["problem"] == "quiet_hours"
    assert body["reminder"]["snoozed_until"] is None


@pytest.mark.parametrize("channel", ["rest", "alexa"])
def test_channels_that_cannot_push_say_so_and_set_nothing(coach, at_monday_9, channel):
    me = Person(coach, channel=channel)
    result = me.says("remind me every weekday at 10", "set_reminder")
    assert reminder_payload(result)["event"] == "cannot_push"
    assert "can't remind you here" in result.replies[0].text
    assert coach.reminders.for_user("r1") == []


def test_a_delivered_reminder_is_said_with_buttons_unless_stopped(coach, at_monday_9):
    from coach.dialogue.reminders import timer_value

    me = Person(coach, channel="telegram")
    me.says("remind me every weekday at 10 in London", "set_reminder")
    (reminder,) = coach.reminders.for_user("r1")
    due = me.receives(timer_value(reminder.id, reminder.next_due))
    body = reminder_payload(due)
    assert body["event"] == "due" and body["due"] == reminder.next_due.isoformat()
    assert [p for _, p in due.replies[0].buttons][0] == "/start_session"
    snoozed = me.says('/snooze_reminder{"duration": "an hour"}', "snooze_reminder", duration="an hour")
    assert reminder_payload(snoozed)["event"] == "snoozed"
    coach.reminders.remove_all("r1")
    assert me.receives(timer_value(reminder.id, reminder.next_due)).replies == []
    # Someone else's reminder id is never said to this person.
    other = Person(coach, sender="r2")
    assert other.receives(timer_value(reminder.id, reminder.next_due)).replies == []


def test_a_user_who_has_not_said_the_coach_may_remember_them_is_asked_first(coach, at_monday_9):
    me = Person(coach, sender="no-consent", consented=False)
    asked = me.says("remind me every weekday at 10", "set_reminder")
    assert reminder_payload(asked)["event"] == "needs_consent"
    assert coach.reminders.for_user(me.sender) == []
