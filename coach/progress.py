"""How the user is doing, from their session history: sessions this week and month, minutes,
the trend of their "how did it feel" ratings, differences between left and right they
reported, and the days they stretched. Gentle by design: it says what was achieved and never
counts a missed day against anyone. Pure: the history comes in, figures and words go out.
The chart is drawn by coach/progress_chart.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from statistics import mean
from typing import Any, Callable, Dict, List, Optional

SIDES = ("left", "right")
# Feelings that mean the stretch did little on that side.
FELT_LITTLE = "nothing"


@dataclass
class SessionRecord:
    """One guided session in the user's history (coach/store/progress.py keeps them)."""

    started_at: datetime  # aware
    status: str = "done"  # running | paused | done | stopped
    seconds: int = 0  # time in steps finished
    holds: List[Dict[str, Any]] = field(default_factory=list)  # {"exercise_id", "side", "seconds", "rep"}
    rating: Optional[int] = None  # 0-10 "how did it feel"
    pain: List[Dict[str, Any]] = field(default_factory=list)  # {"exercise_id", "side"}
    feelings: List[Dict[str, Any]] = field(default_factory=list)  # {"exercise_id", "side", "feel"}


@dataclass
class SideFigures:
    holds: int = 0
    pain: int = 0
    felt_little: int = 0


@dataclass
class Progress:
    sessions_total: int
    sessions_week: int
    sessions_month: int
    minutes_total: float
    minutes_week: float
    ratings: List[int]
    rating_trend: Optional[str]  # up | down | steady | None (fewer than two ratings)
    rating_before: Optional[float]
    rating_after: Optional[float]
    sides: Dict[str, SideFigures]
    active_days_last_7: int
    streak_days: int  # consecutive days up to today or yesterday with a session
    last_session: Optional[date]
    daily_minutes: Dict[date, float]  # the last 28 days, oldest first, for the chart
    daily_rating: Dict[date, float]

    def payload(self, chart_url: Optional[str] = None, alt: Optional[str] = None) -> Dict[str, Any]:
        return {
            "type": "progress",
            "sessions_total": self.sessions_total,
            "sessions_week": self.sessions_week,
            "sessions_month": self.sessions_month,
            "minutes_total": round(self.minutes_total, 1),
            "minutes_week": round(self.minutes_week, 1),
            "ratings": self.ratings[-10:],
            "rating_trend": self.rating_trend,
            "sides": {
                side: {"holds": f.holds, "pain": f.pain, "felt_little": f.felt_little} for side, f in self.sides.items()
            },
            "active_days_last_7": self.active_days_last_7,
            "streak_days": self.streak_days,
            "last_session": self.last_session.isoformat() if self.last_session else None,
            "chart": chart_url,
            "alt": alt,
        }


CHART_DAYS = 28
TREND_STEP = 1.0  # a change of a point or more out of 10 is a trend


def summarise(history: List[SessionRecord], now: datetime, zone: tzinfo) -> Progress:
    """Figures over the history, in the user's local days (weeks start on Monday)."""
    today = now.astimezone(zone).date()
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    days_of: List[date] = []
    sides = {side: SideFigures() for side in SIDES}
    daily_minutes: Dict[date, float] = {today - timedelta(days=n): 0.0 for n in range(CHART_DAYS - 1, -1, -1)}
    daily_ratings: Dict[date, List[int]] = {}
    ratings: List[int] = []
    total = week_minutes = 0.0
    week = month = 0
    counted = [r for r in history if r.seconds > 0 or r.holds]  # a session started and left at once is not one
    for rec in sorted(counted, key=lambda r: r.started_at):
        day = rec.started_at.astimezone(zone).date()
        if day > today:
            continue
        days_of.append(day)
        minutes = rec.seconds / 60
        total += minutes
        if day >= week_start:
            week += 1
            week_minutes += minutes
        if day >= month_start:
            month += 1
        if day in daily_minutes:
            daily_minutes[day] += minutes
        if rec.rating is not None:
            ratings.append(rec.rating)
            daily_ratings.setdefault(day, []).append(rec.rating)
        for hold in rec.holds:
            if hold.get("side") in sides:
                sides[hold["side"]].holds += 1
        for report in rec.pain:
            if report.get("side") in sides:
                sides[report["side"]].pain += 1
        for feeling in rec.feelings:
            if feeling.get("side") in sides and feeling.get("feel") == FELT_LITTLE:
                sides[feeling["side"]].felt_little += 1
    trend, before, after = rating_trend(ratings)
    active = {d for d in days_of if today - d < timedelta(days=7)}
    return Progress(
        sessions_total=len(days_of),
        sessions_week=week,
        sessions_month=month,
        minutes_total=total,
        minutes_week=week_minutes,
        ratings=ratings,
        rating_trend=trend,
        rating_before=before,
        rating_after=after,
        sides=sides,
        active_days_last_7=len(active),
        streak_days=streak(set(days_of), today),
        last_session=max(days_of) if days_of else None,
        daily_minutes=daily_minutes,
        daily_rating={d: mean(v) for d, v in daily_ratings.items() if d in daily_minutes},
    )


def rating_trend(ratings: List[int]):
    """Earlier against recent ratings (the last three against the ones before, or halves of a
    short history): up, down or steady, with the two averages."""
    if len(ratings) < 2:
        return None, None, (float(ratings[0]) if ratings else None)
    recent = ratings[-3:] if len(ratings) >= 6 else ratings[len(ratings) // 2 :]
    earlier = ratings[-6:-3] if len(ratings) >= 6 else ratings[: len(ratings) // 2]
    before, after = mean(earlier), mean(recent)
    if after - before >= TREND_STEP:
        return "up", before, after
    if before - after >= TREND_STEP:
        return "down", before, after
    return "steady", before, after


def streak(days: set, today: date) -> int:
    """Days in a row with a session, ending today, or yesterday when today is still to come."""
    start = today if today in days else today - timedelta(days=1)
    run = 0
    while start - timedelta(days=run) in days:
        run += 1
    return run


def describe(progress: Progress, say: Callable[..., str]) -> str:
    """The answer to "how am I doing?" in the knowledge base's words (knowledge/replies.yml)."""
    if progress.sessions_total == 0:
        return say("progress_none")

    def sessions(n: int) -> str:
        return say("progress_sessions_one") if n == 1 else say("progress_sessions_many", n=n)

    def times(n: int) -> str:
        return say("progress_times_one") if n == 1 else say("progress_times_many", n=n)

    parts = [
        say(
            "progress_summary",
            week=sessions(progress.sessions_week),
            month=sessions(progress.sessions_month),
            minutes=_minutes(progress.minutes_total),
            total=sessions(progress.sessions_total),
        )
    ]
    if progress.active_days_last_7:
        parts.append(say("progress_active_days", days=progress.active_days_last_7))
        if progress.streak_days >= 2:
            parts.append(say("progress_streak", days=progress.streak_days))
    elif progress.last_session is not None:
        parts.append(say("progress_welcome_back", date=f"{progress.last_session:%d %b}"))
    if progress.rating_trend is not None:
        values = {"before": _score(progress.rating_before), "after": _score(progress.rating_after)}
        parts.append(say(f"progress_feel_{progress.rating_trend}", **values))
    elif progress.rating_after is not None:
        parts.append(say("progress_feel_one", after=_score(progress.rating_after)))
    left, right = progress.sides["left"], progress.sides["right"]
    if left.pain != right.pain:
        more, less = ("left", "right") if left.pain > right.pain else ("right", "left")
        parts.append(
            say(
                "progress_side_pain",
                side=more,
                times=times(progress.sides[more].pain),
                other=less,
                other_times=times(progress.sides[less].pain) if progress.sides[less].pain else say("progress_never"),
            )
        )
    if left.felt_little != right.felt_little:
        more, less = ("left", "right") if left.felt_little > right.felt_little else ("right", "left")
        parts.append(
            say("progress_side_felt_little", side=more, times=times(progress.sides[more].felt_little), other=less)
        )
    return " ".join(parts)


def chart_alt(progress: Progress, say: Callable[..., str]) -> str:
    return say("progress_chart_alt", days=CHART_DAYS, minutes=_minutes(sum(progress.daily_minutes.values())))


def _minutes(value: float) -> str:
    if value < 1:
        return f"{round(value * 60)} seconds"
    rounded = round(value)
    return f"{rounded} minute" + ("" if rounded == 1 else "s")


def _score(value: Optional[float]) -> str:
    return "" if value is None else f"{value:.1f}".rstrip("0").rstrip(".")
