"""What a reminder message asks for, read from its words: a time of day, days of the week, a
snooze length. Pure regexes (no spaCy), so the action server reads them as the tests do.

The intent says what kind of request it is (set, change, snooze, stop, list); these readers
pull out the details and say precisely what is wrong with an impossible one ("25 o'clock").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import FrozenSet, Optional, Set

from coach.reminders.schedule import DAY_NAMES, EVERY_DAY, WEEKDAYS, WEEKEND
from coach.time_phrases import NUMBER_WORDS, minutes_in


class BadTime(ValueError):
    """A time of day that does not exist; carries the words the user wrote."""

    def __init__(self, said: str):
        super().__init__(said)
        self.said = said


_HOUR_WORDS = {w: n for w, n in NUMBER_WORDS.items() if w not in ("a", "an", "couple", "few", "several")}
_HOUR_WORD_RE = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,3}|" + _HOUR_WORD_RE + r")"
    r"(?:\s*[:.h]\s*(?P<m>\d{2}))?"
    r"\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?"
    r"(?P<oclock>\s*o['’]?\s?clock)?"
    r"(?P<tail>\s*(?:in the )?(?:morning|afternoon|evening|at night|tonight))?",
    re.IGNORECASE,
)
_NAMED = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
_HALF_PAST = re.compile(r"\b(half|quarter)\s+(past|to)\s+(\d{1,2}|" + _HOUR_WORD_RE + r")\b", re.IGNORECASE)
# A number is a time of day only after these words, or with am/pm/o'clock/hh:mm.
_LEAD = re.compile(r"\b(?:at|to|for|by|around|about|till|until)\s*$", re.IGNORECASE)


def _hour_value(raw: str) -> int:
    return int(raw) if raw.isdigit() else _HOUR_WORDS[raw.lower()]


def time_of_day(text: str) -> Optional[time]:
    """The time of day a message names ("at 10", "6pm", "18:30", "half past 7", "noon"), None if
    it names none; BadTime when it names one that does not exist ("25 o'clock", "13pm")."""
    text = text or ""
    lowered = text.lower()
    for word, value in _NAMED.items():
        if re.search(rf"\b{word}\b", lowered):
            return value
    half = _HALF_PAST.search(text)
    if half:
        hour = _hour_value(half.group(3))
        if not 1 <= hour <= 12:
            raise BadTime(half.group(0))
        minutes = 30 if half.group(1).lower() == "half" else 15
        if half.group(2).lower() == "to":
            hour, minutes = (hour - 1) % 24, 60 - minutes
        return _with_context(hour, minutes, lowered[half.end() :], lowered)
    for match in _CLOCK.finditer(text):
        h, m, ampm, oclock, tail = (match.group(g) for g in ("h", "m", "ampm", "oclock", "tail"))
        before = text[: match.start()]
        if not (m or ampm or oclock or _LEAD.search(before)):
            continue
        if re.match(r"\s*(?:min|minute|hour|hr|sec|second|day|week)", text[match.end() :], re.IGNORECASE):
            continue  # "for 30 minutes" is a length, not a time
        said = match.group(0).strip()
        hour, minutes = _hour_value(h), int(m) if m else 0
        if minutes > 59 or hour > 24 or (hour == 24 and minutes):
            raise BadTime(said)
        if ampm:
            if not 1 <= hour <= 12:
                raise BadTime(said)
            pm = ampm.lower().startswith("p")
            hour = (hour % 12) + (12 if pm else 0)
            return time(hour, minutes)
        if hour == 24:
            return time(0, minutes)
        return _with_context(hour, minutes, (tail or "").lower(), lowered)
    return None


def _with_context(hour: int, minutes: int, after: str, whole: str) -> time:
    """ "7 in the evening" is 19:00; a bare "at 6" stays 06:00 (the quiet hours catch a surprise)."""
    if hour < 12 and re.search(r"afternoon|evening|at night|tonight|pm\b", after or whole):
        hour += 12
    return time(hour % 24, minutes)


_DAY_RE = {i: re.compile(rf"\b{name[:3]}(?:{name[3:]})?s?\b", re.IGNORECASE) for i, name in enumerate(DAY_NAMES)}
_NOT = r"(?:not|no|never|except|but not|apart from|skip|without)\s+(?:on\s+|at\s+|the\s+)*"


def days_of_week(text: str) -> Optional[FrozenSet[int]]:
    """The days a message names: "every weekday", "daily", "on Mondays and Thursdays"; None if none."""
    lowered = (text or "").lower()
    days: Set[int] = set()
    if re.search(r"\b(?:every\s*day|daily|each day|7 days|seven days)\b", lowered):
        days |= EVERY_DAY
    if re.search(r"\b(?:week\s?days?|work\s?days?|working days|monday to friday|mon-fri)\b", lowered):
        days |= WEEKDAYS
    if re.search(r"\bweek\s?ends?\b", lowered) and not re.search(_NOT + r"week\s?ends?", lowered):
        days |= WEEKEND
    for index, pattern in _DAY_RE.items():
        for match in pattern.finditer(lowered):
            if not re.search(_NOT + "$", lowered[: match.start()]):
                days.add(index)
    return frozenset(days) or None


def days_excluded(text: str) -> Optional[FrozenSet[int]]:
    """The days a message takes out: "not at weekends", "except Fridays"; None if none."""
    lowered = (text or "").lower()
    out: Set[int] = set()
    if re.search(_NOT + r"(?:week\s?ends?|saturdays? (?:or|and) sundays?)", lowered):
        out |= WEEKEND
    for index, pattern in _DAY_RE.items():
        for match in pattern.finditer(lowered):
            if re.search(_NOT + r"(?:[a-z]+s?,?\s+(?:or|and)\s+)?$", lowered[: match.start()]):
                out.add(index)
    return frozenset(out) or None


MAX_SNOOZE_MINUTES = 24 * 60


def snooze_minutes(text: str) -> Optional[float]:
    """How long a snooze is ("for an hour", "20 minutes"); None when the message gives no length."""
    lowered = (text or "").lower()
    if re.search(r"\b(?:till|until) tomorrow\b", lowered):
        return None
    minutes = minutes_in(lowered)
    if minutes is None and re.search(r"\b(?:a bit|a while|later)\b", lowered):
        return None
    return minutes


@dataclass(frozen=True)
class Wanted:
    """Everything a reminder message says, read once."""

    at: Optional[time] = None
    bad_time: Optional[str] = None  # the words of a time that does not exist
    days: Optional[FrozenSet[int]] = None
    not_days: Optional[FrozenSet[int]] = None
    snooze: Optional[float] = None  # minutes


def read(text: str) -> Wanted:
    try:
        at, bad = time_of_day(text), None
    except BadTime as error:
        at, bad = None, error.said
    return Wanted(at, bad, days_of_week(text), days_excluded(text), snooze_minutes(text))
