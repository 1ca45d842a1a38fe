"""Labelled messages are read against one fixed day, so the gates do not move with the weekday
CI runs on (evaluation/runners.py EVALUATION_DAY, coach/settings.py today())."""

from __future__ import annotations

from datetime import date, timedelta

from coach import settings
from evaluation.runners import EVALUATION_DAY, EVALUATION_ENV, seen_in_core

STORY = {
    "id": "weekday_story",
    "text": "I wrenched my back lifting a box on Sunday and since then every step hurts",
    "outcome": "DEFER",
}


def test_coach_today_fixes_the_day_and_is_the_machine_date_when_unset(monkeypatch):
    monkeypatch.setenv("COACH_TODAY", "2026-03-04")
    assert settings.today() == date(2026, 3, 4)
    monkeypatch.delenv("COACH_TODAY")
    assert settings.today() == date.today()
    assert EVALUATION_ENV == {"COACH_TODAY": EVALUATION_DAY.isoformat()}


def test_a_weekday_story_reads_the_same_whatever_the_machine_date(triage, monkeypatch):
    seen = []
    for offset in range(7):
        day = EVALUATION_DAY + timedelta(days=offset)
        monkeypatch.setattr(settings, "today", lambda day=day: day)
        seen.append(seen_in_core(triage, STORY).outcome)
    assert len(set(seen)) == 1


def test_the_day_matters_to_the_screen(triage):
    """What the fixed day guards against: "in September" is recent on one day and past a month later."""
    operation = {"id": "month_story", "text": "I had knee surgery in September and would like to stretch my hips"}
    outcomes = [seen_in_core(triage, operation, today=EVALUATION_DAY + timedelta(days=d)).outcome for d in (0, 35)]
    assert outcomes == ["REFER", "CAUTION"]


def test_a_month_story_reads_the_same_whatever_the_machine_date(triage, monkeypatch):
    operation = {"id": "month_story", "text": "I had knee surgery in September and would like to stretch my hips"}
    for offset in (0, 35, 200):
        monkeypatch.setattr(settings, "today", lambda offset=offset: EVALUATION_DAY + timedelta(days=offset))
        assert seen_in_core(triage, operation).outcome == "REFER"
