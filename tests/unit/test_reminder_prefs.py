"""The time zone and quiet hours changed by talking (coach/dialogue/reminder_prefs.py): a move
keeps each reminder's local clock time, a several-zone country is asked with buttons, new quiet
hours name the reminders inside them and offer to move them, and bad input changes nothing."""

from __future__ import annotations

from datetime import time

import pytest

from coach.clock import clock_setting
from coach.reminders.quiet import combine, nearest_allowed, read_quiet, window_minutes
from coach.reminders.schedule import QuietHours
from coach.reminders.zones import named_in
from coach.service import Coach
from tests.unit.test_reminders import MONDAY_9, Person, reminder_payload


@pytest.fixture()
def coach(loaded_engine, kb):
    return Coach(kb, loaded_engine)


@pytest.fixture()
def at_monday_9(monkeypatch):
    monkeypatch.setenv("COACH_TIME_SCALE", "1")
    monkeypatch.setenv("COACH_CLOCK", clock_setting(MONDAY_9))


# -- the words -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, start, end",
    [
        ("my quiet hours are 10pm to 7am", time(22, 0), time(7, 0)),
        ("don't remind me before 8am", None, time(8, 0)),
        ("no reminders after 9 at night", time(21, 0), None),
        ("no reminders after 9", time(21, 0), None),
        ("quiet hours 10 to 7", time(22, 0), time(7, 0)),
        ("quiet hours between 23:00 and 06:30", time(23, 0), time(6, 30)),
        ("don't remind me after 9pm or before 8am", time(21, 0), time(8, 0)),
        ("what are my quiet hours?", None, None),
    ],
)
def test_quiet_hours_in_words(text, start, end):
    wanted = read_quiet(text)
    assert (wanted.start, wanted.end, wanted.bad) == (start, end, None)


def test_impossible_quiet_hours_are_named():
    assert read_quiet("quiet hours from 25 to 7").bad == "25"
    assert read_quiet("no reminders after 13pm").bad


def test_windows_and_where_a_reminder_inside_moves():
    quiet = QuietHours(time(21, 0), time(8, 0))
    assert window_minutes(quiet) == 13 * 60 and window_minutes(QuietHours(time(7, 0), time(7, 0))) == 0
    assert nearest_allowed(quiet, time(7, 30)) == time(8, 0)  # a morning one: to the end
    assert nearest_allowed(quiet, time(21, 30)) == time(20, 30)  # an evening one: before the start
    assert nearest_allowed(quiet, time(10, 0)) == time(10, 0)
    assert combine(QuietHours(), read_quiet("don't remind me before 8am")) == QuietHours(time(22, 0), time(8, 0))


@pytest.mark.parametrize(
    "text, zone, country",
    [
        ("I've moved to Toronto", "America/Toronto", None),
        ("my time zone is Europe/Paris", "Europe/Paris", None),
        ("change my time zone to London", "Europe/London", None),
        ("I'm in Canada now", None, "Canada"),
        ("we moved to the US", None, "the US"),
        ("Toronto, Canada", "America/Toronto", None),
        ("I'm in Germany now", "Europe/Berlin", None),
        ("let us know", None, None),
        ("Narnia", None, None),
    ],
)
def test_what_a_move_names(text, zone, country):
    named = named_in(text)
    assert (named.zone, named.country) == (zone, country)


# -- through the door ------------------------------------------------------------------------------
def _set_london_10(me):
    body = reminder_payload(me.says("remind me every weekday at 10 London time", "set_reminder"))
    assert body["event"] == "set" and body["reminder"]["zone"] == "Europe/London"
    return body


def test_a_move_keeps_the_local_clock_time(coach, at_monday_9):
    me = Person(coach)
    _set_london_10(me)
    result = me.says("I've moved to Toronto", "change_time_zone")
    body = reminder_payload(result)
    assert body["event"] == "zone_changed"
    assert body["zone"] == "America/Toronto" and body["previous_zone"] == "Europe/London"
    (moved,) = body["reminders"]
    assert moved["time"] == "10:00" and moved["zone"] == "America/Toronto"
    # 10:00 in Toronto on Monday 7 December is 15:00 UTC.
    assert moved["next_due"] == "2026-12-07T15:00:00+00:00" and moved["next_local"].startswith("2026-12-07T10:00")
    assert "Europe/London" in result.replies[0].text and "America/Toronto" in result.replies[0].text
    (stored,) = coach.reminders.for_user("r1")
    assert stored.zone == "America/Toronto" and stored.schedule.at == time(10, 0)
    assert coach.reminders.prefs("r1").zone == "America/Toronto"
    same = reminder_payload(me.says("my time zone is America/Toronto", "change_time_zone"))
    assert same["event"] == "zone_unchanged"


def test_a_zone_before_any_reminder_is_kept_and_not_asked_again(coach, at_monday_9):
    me = Person(coach)
    result = me.says("my time zone is Europe/Paris", "change_time_zone")
    body = reminder_payload(result)
    assert body["event"] == "zone_changed" and body["previous_zone"] is None and body["reminders"] == []
    assert "don't have any reminders" in result.replies[0].text
    assert reminder_payload(me.says("remind me every day at 9", "set_reminder"))["reminder"]["zone"] == "Europe/Paris"


def test_a_country_with_several_zones_is_asked_with_buttons(coach, at_monday_9):
    me = Person(coach)
    _set_london_10(me)
    result = me.says("I'm in Canada now", "inform_country", country="Canada")
    assert "911" in result.replies[0].text  # the country's emergency numbers, as before
    asked = reminder_payload(result)
    assert asked["event"] == "ask_zone" and asked["country"] == "Canada"
    buttons = dict(result.replies[-1].buttons)
    assert buttons["Eastern (Toronto)"] == '/change_time_zone{"time_zone": "America/Toronto"}'
    assert coach.reminders.for_user("r1")[0].zone == "Europe/London"  # nothing moved yet
    pressed = me.says(buttons["Pacific (Vancouver)"], "change_time_zone", time_zone="America/Vancouver")
    body = reminder_payload(pressed)
    assert body["event"] == "zone_changed" and body["zone"] == "America/Vancouver"
    assert coach.reminders.for_user("r1")[0].zone == "America/Vancouver"
    assert coach.reminders.prefs("r1").pending is None


def test_a_city_typed_after_the_country_question_answers_it(coach, at_monday_9):
    me = Person(coach)
    _set_london_10(me)
    me.says("I'm in Canada now", "inform_country", country="Canada")
    body = reminder_payload(me.says("Winnipeg", "nlu_fallback"))
    assert body["event"] == "zone_changed" and body["zone"] == "America/Winnipeg"


def test_a_country_while_the_first_reminder_waits_for_the_zone(coach, at_monday_9):
    me = Person(coach)
    assert reminder_payload(me.says("remind me every day at 10", "set_reminder"))["event"] == "ask_zone"
    result = me.says("Canada", "inform_country", country="Canada")
    asked = reminder_payload(result)
    assert asked["event"] == "ask_zone" and asked["country"] == "Canada" and "911" in result.replies[0].text
    # A short reply that is no zone asks again: the reminder is still waiting for it.
    again = me.says("hmm", "nlu_fallback")
    assert [r.custom["event"] for r in again.replies if r.custom] == ["invalid", "ask_zone"]
    done = me.says('/change_time_zone{"time_zone": "America/Toronto"}', "change_time_zone", time_zone="America/Toronto")
    body = reminder_payload(done)
    assert body["event"] == "set" and body["reminder"]["zone"] == "America/Toronto"


def test_a_country_said_for_the_emergency_numbers_moves_nothing_without_reminders(coach, at_monday_9):
    me = Person(coach)
    result = me.says("I'm in Canada", "inform_country", country="Canada")
    assert [r.custom for r in result.replies if r.custom] == []
    assert coach.reminders.prefs("r1").zone is None and coach.reminders.prefs("r1").pending is None


def test_a_one_zone_country_moves_the_zone(coach, at_monday_9):
    me = Person(coach)
    _set_london_10(me)
    body = reminder_payload(me.says("I'm in Germany now", "inform_country", country="Germany"))
    assert body["event"] == "zone_changed" and body["zone"] == "Europe/Berlin"
    assert body["reminders"][0]["time"] == "10:00" and body["reminders"][0]["zone"] == "Europe/Berlin"


@pytest.mark.parametrize("text", ["my time zone is Atlantis/Nowhere", "change my time zone to Narnia", ""])
def test_an_unknown_zone_changes_nothing(coach, at_monday_9, text):
    me = Person(coach)
    _set_london_10(me)
    result = me.says(text, "change_time_zone")
    assert reminder_payload(result) == {"type": "reminder", "event": "invalid", "channel": "web", "problem": "zone"}
    assert result.replies[0].text
    assert coach.reminders.prefs("r1").zone == "Europe/London"
    assert coach.reminders.for_user("r1")[0].zone == "Europe/London"


def test_quiet_hours_set_shown_and_reminders_inside_offered_a_move(coach, at_monday_9):
    me = Person(coach)
    me.says("remind me every day at 7:30 London time", "set_reminder")
    me.says("remind me every weekday at 12", "set_reminder")
    result = me.says("don't remind me before 8am", "set_quiet_hours")
    body = reminder_payload(result)
    assert body["event"] == "quiet_hours_set"
    assert body["quiet_hours"] == "22:00-08:00" and body["previous"] == "22:00-07:00"
    assert [(r["time"], r["move_to"]) for r in body["inside"]] == [("07:30", "08:00")]
    assert "07:30" in result.replies[0].text and "08:00" in result.replies[0].text
    assert [p for _, p in result.replies[0].buttons] == ["/affirm", "/deny"]
    # Not silently dropped: still there until the user answers.
    assert sorted(r.schedule.at for r in coach.reminders.for_user("r1")) == [time(7, 30), time(12, 0)]
    moved = reminder_payload(me.says("/affirm", "affirm"))
    assert moved["event"] == "moved" and [r["time"] for r in moved["reminders"]] == ["08:00"]
    assert sorted(r.schedule.at for r in coach.reminders.for_user("r1")) == [time(8, 0), time(12, 0)]
    assert coach.reminders.prefs("r1").pending is None
    shown = reminder_payload(me.says("what are my quiet hours?", "ask_quiet_hours"))
    assert shown == {
        "type": "reminder", "event": "quiet_hours", "channel": "web",
        "quiet_hours": "22:00-08:00", "default": False, "inside": [],
    }  # fmt: skip
    # A reminder inside the quiet hours is refused from now on.
    refused = reminder_payload(me.says("remind me at 7:45", "set_reminder"))
    assert refused["problem"] == "quiet_hours" and refused["quiet_hours"] == "22:00-08:00"


def test_reminders_inside_new_quiet_hours_can_be_kept(coach, at_monday_9):
    me = Person(coach)
    me.says("remind me every day at 9:30pm London time", "set_reminder")
    body = reminder_payload(me.says("no reminders after 9 at night", "set_quiet_hours"))
    assert body["quiet_hours"] == "21:00-07:00" and body["inside"][0]["move_to"] == "20:30"
    kept = reminder_payload(me.says("no", "deny"))
    assert kept["event"] == "kept" and kept["reminders"][0]["time"] == "21:30"
    assert coach.reminders.for_user("r1")[0].schedule.at == time(21, 30)
    shown = reminder_payload(me.says("what are my quiet hours?", "ask_quiet_hours"))
    assert [r["time"] for r in shown["inside"]] == ["21:30"]


def test_an_offer_is_for_the_next_message_only(coach, at_monday_9):
    me = Person(coach)
    me.says("remind me every day at 7:30 London time", "set_reminder")
    me.says("my quiet hours are 10pm to 8am", "set_quiet_hours")
    me.says("what reminders do I have?", "list_reminders")
    assert coach.reminders.prefs("r1").pending is None
    me.says("yes", "affirm")
    assert coach.reminders.for_user("r1")[0].schedule.at == time(7, 30)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("quiet hours from 25 to 7", "time"),
        ("my quiet hours are 7am to 7am", "whole_day"),
        ("quiet hours from 7:30am to 7am", "whole_day"),
    ],
)
def test_impossible_quiet_hours_change_nothing(coach, at_monday_9, text, problem):
    me = Person(coach)
    me.says("my quiet hours are 11pm to 6am", "set_quiet_hours")
    result = me.says(text, "set_quiet_hours")
    body = reminder_payload(result)
    assert body["event"] == "invalid" and body["problem"] == problem and body["quiet_hours"] == "23:00-06:00"
    assert result.replies[0].text and "stay as they were" in result.replies[0].text
    assert coach.reminders.prefs("r1").quiet == QuietHours(time(23, 0), time(6, 0))


def test_quiet_hours_without_a_time_say_how(coach, at_monday_9):
    me = Person(coach)
    result = me.says("blah blah quiet", "set_quiet_hours")
    body = reminder_payload(result)
    assert body["event"] == "need_time" and body["quiet_hours"] == "22:00-07:00"
    assert "22:00" in result.replies[0].text and coach.reminders.prefs("r1").quiet is None


def test_quiet_hours_before_any_reminder(coach, at_monday_9):
    me = Person(coach)
    shown = me.says("what are my quiet hours?", "ask_quiet_hours")
    assert reminder_payload(shown)["default"] is True and "don't have any reminders" in shown.replies[0].text
    result = me.says("my quiet hours are 10pm to 7:30am", "set_quiet_hours")
    body = reminder_payload(result)
    assert body["quiet_hours"] == "22:00-07:30" and body["inside"] == []
    assert "don't have any reminders" in result.replies[0].text
    assert coach.reminders.prefs("r1").quiet == QuietHours(time(22, 0), time(7, 30))


@pytest.mark.parametrize(
    "text, intent",
    [
        ("my time zone is Europe/Paris", "change_time_zone"),
        ("I've moved to Toronto", "change_time_zone"),
        ("don't remind me before 8am", "set_quiet_hours"),
    ],
)
def test_without_consent_nothing_is_kept(coach, at_monday_9, text, intent):
    me = Person(coach, sender="no-consent", consented=False)
    result = me.says(text, intent)
    (said,) = [r for r in result.replies if r.custom and r.custom.get("type") == "reminder"]
    assert said.custom["event"] == "needs_consent" and "you can remember me" in said.text
    prefs = coach.reminders.prefs("no-consent")
    assert prefs.zone is None and prefs.quiet is None and prefs.pending is None


def test_without_consent_a_country_is_only_the_country(coach, at_monday_9):
    me = Person(coach, sender="no-consent", consented=False)
    result = me.says("I'm in Canada now", "inform_country", country="Canada")
    assert any("911" in (r.text or "") for r in result.replies)
    assert not [r for r in result.replies if r.custom and r.custom.get("type") == "reminder"]
    assert coach.reminders.prefs("no-consent").pending is None


def test_a_city_read_as_a_country_moves_the_zone(coach, at_monday_9):
    # "I've moved to Toronto" may be classified inform_country: no country to set, a zone to move.
    me = Person(coach)
    _set_london_10(me)
    result = me.says("I've moved to Toronto", "inform_country")
    body = reminder_payload(result)
    assert body["event"] == "zone_changed" and body["zone"] == "America/Toronto"
    assert len(result.replies) == 1  # not "I don't know that country" first


def test_a_zone_question_nobody_waits_for_is_dropped_by_anything_else(coach, at_monday_9):
    me = Person(coach)
    _set_london_10(me)
    me.says("I'm in Canada now", "inform_country", country="Canada")
    result = me.says("thanks", "thank")
    assert not [r for r in result.replies if r.custom and r.custom.get("type") == "reminder"]
    assert coach.reminders.prefs("r1").pending is None
    assert coach.reminders.for_user("r1")[0].zone == "Europe/London"


def test_a_typed_yes_answers_the_move_offer_whatever_the_next_best_intent(coach, at_monday_9):
    from coach.dialogue.model import Turn

    me = Person(coach)
    me.says("remind me every day at 7:30 London time", "set_reminder")
    me.says("don't remind me before 8am", "set_quiet_hours")
    # The classifier's next best for a bare "yes please" is often a request (ask_recommendation).
    turn = Turn("r1", "yes please", "affirm", alternatives=["ask_recommendation"], can_push=True, channel="web")
    moved = reminder_payload(me.door.handle(turn))
    assert moved["event"] == "moved" and coach.reminders.for_user("r1")[0].schedule.at == time(8, 0)
