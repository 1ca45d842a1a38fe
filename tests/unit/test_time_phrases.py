"""Time phrases: the minutes a session must fit, and the regexes the NLU extracts them with."""

import re

import pytest

from coach import time_phrases
from coach.time_phrases import minutes_in
from scripts import sync_nlu


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("I've only got 5 minutes", 5),
        ("ten mins tops", 10),
        ("half an hour", 30),
        ("I have an hour", 60),
        ("a couple of minutes", 2),
        ("twenty five minutes", 25),
        ("10-15 mins", 10),  # a range: plan for the least
        ("one or two minutes", 1),
        ("90 seconds", 1.5),
        ("1.5 hours", 90),
        ("got 20m", 20),
        ("about a quarter of an hour", 15),
        ("an hour and a half", 90),
        ("5 MIN", 5),
    ],
)
def test_minutes_in(text, minutes):
    assert minutes_in(text) == pytest.approx(minutes)


@pytest.mark.parametrize(
    "text", ["wait a min", "I am here", "hang on a sec", "surgery 3 hours ago", "", "🙂🙂", "x" * 5000]
)
def test_no_minutes_where_there_is_no_time_the_user_has(text):
    assert minutes_in(text) is None


@pytest.mark.parametrize(
    "text, span",
    [
        ("I had a hip replacement two weeks ago", "two weeks ago"),
        ("knee surgery last year", "last year"),
        ("it was in 2015", "in 2015"),
        ("sore since this morning", "since this morning"),
        ("a few months back", "a few months back"),
        ("years ago now", "years ago"),
    ],
)
def test_time_ago_spans(text, span):
    assert re.search(time_phrases.TIME_AGO, text, re.IGNORECASE).group(0) == span


def test_time_ago_is_not_a_duration_and_back():
    assert re.search(time_phrases.TIME_AGO, "only 5 minutes", re.IGNORECASE) is None
    assert re.search(time_phrases.DURATION, "two weeks ago", re.IGNORECASE) is None


def test_nlu_regexes_are_generated_from_these_patterns():
    target = sync_nlu.NLU_DIR / "time_phrases.yml"
    assert target.read_text(encoding="utf-8") == sync_nlu.render_time_phrases(), "run python -m scripts.sync_nlu"
