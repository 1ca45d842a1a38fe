"""Quiet hours in the user's words: "my quiet hours are 10pm to 7am", "don't remind me before
8am", "no reminders after 9 at night". Pure regexes over coach/reminders/phrases.py's clock.

A range sets both ends; "before X" sets the end (the first time a reminder may come), "after X"
the start; the other end stays as it was. A bare hour reads the likely way: "before 8" is 08:00,
"after 9" is 21:00, "10 to 7" is 22:00 to 07:00; the reply always says the hours in the 24-hour
clock, so a wrong reading shows at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Optional

from coach.reminders.phrases import _HOUR_WORD_RE, BadTime, time_of_day
from coach.reminders.schedule import QuietHours

MIN_WINDOW_MINUTES = 60  # quiet hours must leave at least an hour a day for reminders
EVENING_MARGIN = timedelta(minutes=30)  # an evening reminder moves this long before the quiet start

_T = (
    r"(?:\d{1,3}(?:\s*[:.h]\s*\d{2})?|" + _HOUR_WORD_RE + r")"
    r"(?:\s*(?:a\.?m\.?|p\.?m\.?))?(?:\s*o['’]?\s?clock)?"
    r"(?:\s*(?:in the morning|in the evening|at night|tonight))?"
    r"|noon|midday|midnight"
)
_RANGE = re.compile(
    rf"(?:\bfrom|\bbetween)?\s*\b(?P<a>{_T})\s*(?:to|till|until|and|through|-|–)\s*(?P<b>{_T})(?![\w:])", re.IGNORECASE
)
_BEFORE = re.compile(rf"\b(?:before|till|until)\s+(?P<t>{_T})(?![\w:])", re.IGNORECASE)
_AFTER = re.compile(rf"\b(?:after|past|from)\s+(?P<t>{_T})(?![\w:])", re.IGNORECASE)
_MARKED = re.compile(r"a\.?m|p\.?m|morning|evening|night|tonight|noon|midday|midnight|[:.h]\s*\d{2}", re.IGNORECASE)


@dataclass(frozen=True)
class QuietWanted:
    """What a quiet-hours message asks for; both ends None when it names no time."""

    start: Optional[time] = None
    end: Optional[time] = None
    bad: Optional[str] = None  # the words of a time that does not exist ("25")

    @property
    def names_a_time(self) -> bool:
        return self.start is not None or self.end is not None or self.bad is not None


def _clock(said: str) -> time:
    found = time_of_day("at " + said.strip())
    if found is None:
        raise BadTime(said.strip())
    return found


def _bare(said: str) -> bool:
    return not _MARKED.search(said)


def read_quiet(text: str) -> QuietWanted:
    text = (text or "")[:300]
    try:
        match = _RANGE.search(text)
        if match:
            a, b = match.group("a"), match.group("b")
            start, end = _clock(a), _clock(b)
            if _bare(a) and 1 <= start.hour < 12 and end.hour < 12 and end <= start:
                start = start.replace(hour=start.hour + 12)  # "10 to 7": 22:00 to 07:00
            return QuietWanted(start, end)
        before, after = _BEFORE.search(text), _AFTER.search(text)
        new_start: Optional[time] = None
        new_end: Optional[time] = None
        if before:
            new_end = _clock(before.group("t"))
        if after:
            new_start = _clock(after.group("t"))
            if _bare(after.group("t")) and 1 <= new_start.hour < 12:
                new_start = new_start.replace(hour=new_start.hour + 12)  # "no reminders after 9": 21:00
        return QuietWanted(new_start, new_end)
    except BadTime as error:
        return QuietWanted(bad=error.said)


def combine(current: QuietHours, wanted: QuietWanted) -> QuietHours:
    """The new quiet hours: what the message names, the other end as it was."""
    return QuietHours(wanted.start or current.start, wanted.end or current.end)


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def window_minutes(quiet: QuietHours) -> int:
    """Minutes a day left for reminders (0 when start == end: quiet all day)."""
    return (_minutes(quiet.start) - _minutes(quiet.end)) % (24 * 60)


def nearest_allowed(quiet: QuietHours, at: time) -> time:
    """Where a reminder inside the quiet hours moves: to their end for one nearer the end (a
    morning one), else half an hour before their start (an evening one)."""
    if not quiet.contains(at):
        return at
    to_end = (_minutes(quiet.end) - _minutes(at)) % (24 * 60)
    since_start = (_minutes(at) - _minutes(quiet.start)) % (24 * 60)
    if to_end <= since_start:
        return quiet.end
    earlier = (datetime.combine(datetime.min.date() + timedelta(days=1), quiet.start) - EVENING_MARGIN).time()
    return quiet.end if quiet.contains(earlier) else earlier
