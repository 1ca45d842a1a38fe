"""When a reminder is due: days of the week and a time of day in the user's own time zone,
outside their quiet hours, at most once a day. Pure functions over aware datetimes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Dict, FrozenSet, List, Optional, Tuple
from zoneinfo import ZoneInfo, available_timezones

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS: FrozenSet[int] = frozenset(range(5))
WEEKEND: FrozenSet[int] = frozenset({5, 6})
EVERY_DAY: FrozenSet[int] = frozenset(range(7))


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time (across midnight when start > end): no reminders."""

    start: time = time(22, 0)
    end: time = time(7, 0)

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @classmethod
    def parse(cls, raw: str) -> QuietHours:
        """ "22:00-07:00" (COACH_QUIET_HOURS)."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", raw or "")
        if not match:
            raise ValueError(f"quiet hours {raw!r}: expected HH:MM-HH:MM, e.g. 22:00-07:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def to_str(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Schedule:
    days: FrozenSet[int] = field(default=EVERY_DAY)  # 0 = Monday
    at: time = time(10, 0)

    def __post_init__(self):
        if not self.days or not self.days <= EVERY_DAY:
            raise ValueError(f"a schedule needs days of the week 0-6, not {sorted(self.days)}")


def next_due(
    schedule: Schedule,
    zone: tzinfo,
    after: datetime,
    not_on: Optional[date] = None,
) -> datetime:
    """The first moment strictly after `after` (aware) the schedule names, in UTC. A day in
    `not_on` (the local day it last fired) is skipped: moving a reminder never makes it fire
    twice in one day."""
    local_after = after.astimezone(zone)
    for offset in range(0, 9):
        day = local_after.date() + timedelta(days=offset)
        if day.weekday() not in schedule.days or day == not_on:
            continue
        candidate = _local(day, schedule.at, zone)
        if candidate > after:
            return candidate.astimezone(timezone.utc)
    raise AssertionError("a weekly schedule always has a day within 8 days")


def _local(day: date, at: time, zone: tzinfo) -> datetime:
    """A wall-clock time on a day; in a spring-forward gap, the first real moment after it."""
    moment = datetime.combine(day, at, tzinfo=zone)
    round_trip = moment.astimezone(timezone.utc).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        moment = round_trip
    return moment


def days_phrase(days: FrozenSet[int]) -> str:
    """Plain words for a set of days: "every day", "on weekdays", "on Mondays and Thursdays"."""
    days = frozenset(days)
    if days == EVERY_DAY:
        return "every day"
    if days == WEEKDAYS:
        return "on weekdays"
    if days == WEEKEND:
        return "at weekends"
    names = [DAY_NAMES[d].capitalize() + "s" for d in sorted(days)]
    return "on " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1])


def clock_phrase(at: time) -> str:
    """ "10:00", "18:30": 24-hour clock, which no one misreads."""
    return f"{at:%H:%M}"


# -- time zones ----------------------------------------------------------------------------------
# Places people name instead of a zone. Countries with one zone only; cities come from the zone
# database itself ("New York" -> America/New_York).
COUNTRY_ZONES: Dict[str, str] = {
    "uk": "Europe/London", "united kingdom": "Europe/London", "england": "Europe/London",
    "scotland": "Europe/London", "wales": "Europe/London", "britain": "Europe/London",
    "great britain": "Europe/London", "northern ireland": "Europe/London", "ireland": "Europe/Dublin",
    "france": "Europe/Paris", "germany": "Europe/Berlin", "spain": "Europe/Madrid", "italy": "Europe/Rome",
    "netherlands": "Europe/Amsterdam", "holland": "Europe/Amsterdam", "belgium": "Europe/Brussels",
    "switzerland": "Europe/Zurich", "austria": "Europe/Vienna", "sweden": "Europe/Stockholm",
    "norway": "Europe/Oslo", "denmark": "Europe/Copenhagen", "finland": "Europe/Helsinki",
    "poland": "Europe/Warsaw", "portugal": "Europe/Lisbon", "greece": "Europe/Athens",
    "india": "Asia/Kolkata", "japan": "Asia/Tokyo", "singapore": "Asia/Singapore",
    "new zealand": "Pacific/Auckland", "nz": "Pacific/Auckland", "south africa": "Africa/Johannesburg",
    "israel": "Asia/Jerusalem", "china": "Asia/Shanghai", "korea": "Asia/Seoul", "south korea": "Asia/Seoul",
}  # fmt: skip
ABBREVIATIONS: Dict[str, str] = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}


@lru_cache(maxsize=1)
def _zone_names() -> Tuple[Dict[str, str], Dict[str, str]]:
    full: Dict[str, str] = {}
    cities: Dict[str, str] = {}
    for name in available_timezones():
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        full[name.lower()] = name
        city = name.rsplit("/", 1)[1].replace("_", " ").lower()
        cities.setdefault(city, name)
    return full, cities


_OFFSET = re.compile(r"\b(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_FULL = re.compile(r"\b[A-Za-z]+/[A-Za-z_\-]+(?:/[A-Za-z_\-]+)?\b")


def find_zone(text: str) -> Optional[str]:
    """The time zone a message names, as an IANA name ("Europe/London") or "UTC+05:30"; None if
    it names none. Accepts zone names, cities in the zone database, single-zone countries,
    UTC/GMT and UTC offsets."""
    if not text or len(text) > 200:
        return None
    full, cities = _zone_names()
    for match in _FULL.finditer(text):
        name = full.get(match.group(0).lower())
        if name:
            return name
    offset = _OFFSET.search(text)
    if offset:
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes >= 60:
            return None
        return f"UTC{sign}{hours:02d}:{minutes:02d}"
    words = re.findall(r"[a-z]+(?:['.][a-z]+)*", text.lower())
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size])
            if phrase in COUNTRY_ZONES:
                return COUNTRY_ZONES[phrase]
            if phrase in cities and (size > 1 or len(phrase) > 3):
                return cities[phrase]
            if size == 1 and phrase in ABBREVIATIONS:
                return ABBREVIATIONS[phrase]
    return None


def zone(name: str) -> tzinfo:
    """The tzinfo for a name find_zone gave."""
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return timezone(delta if match.group(1) == "+" else -delta)
    return ZoneInfo(name)


def describe_times(schedules: List[Tuple[Schedule, str]]) -> str:
    return "; ".join(f"{days_phrase(s.days)} at {clock_phrase(s.at)} ({z})" for s, z in schedules)


# -- one reminder ----------------------------------------------------------------------------------
@dataclass
class Reminder:
    """One reminder as the user set it, and when it is next due (UTC)."""

    user_id: str
    channel: str
    schedule: Schedule
    zone: str
    id: Optional[int] = None
    snooze_until: Optional[datetime] = None
    next_due: Optional[datetime] = None
    last_fired_day: Optional[date] = None  # the user's local day it last fired

    @property
    def tz(self) -> tzinfo:
        return zone(self.zone)

    def refresh(self, now: datetime) -> datetime:
        """Sets and returns the next due moment after `now`: a snooze if one is pending (the
        regular times before it are skipped: they were put off), else the schedule's next day
        that is not the day it already fired."""
        if self.snooze_until is not None and self.snooze_until > now:
            self.next_due = self.snooze_until
        else:
            self.snooze_until = None
            self.next_due = next_due(self.schedule, self.tz, now, not_on=self.last_fired_day)
        return self.next_due

    def fired(self, due: datetime) -> datetime:
        """After it fired for `due`: never again that local day, then the next time."""
        if self.snooze_until is not None and self.snooze_until <= due:
            self.snooze_until = None
        self.last_fired_day = due.astimezone(self.tz).date()
        return self.refresh(due)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)
