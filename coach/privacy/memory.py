"""What the coach knows about a user, in plain words, and what to check again after a while.

"What do you know about me?" is answered from the same stores the coach works from (the SQL
tables for a user who said yes, the conversation for one who did not), item by item, each with
its kind and the facts behind it for the machine-readable payload (docs/api.md, `my_data`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from coach.kb.schema import Outcome
from coach.profile import Profile

if TYPE_CHECKING:
    from coach.service import Coach

DATE_FORMAT = "%d %b %Y"


@dataclass
class Known:
    kind: str  # limit | condition | alert | referral | avoid | preferred | holds | time | country | goals | ...
    text: str
    facts: Dict[str, Any] = field(default_factory=dict)

    def payload(self) -> Dict[str, Any]:
        return {"kind": self.kind, "text": self.text, **self.facts}


def day(value: Optional[str]) -> Optional[date]:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def ago_words(days: float) -> str:
    days = max(0.0, float(days))
    if days < 1.5:
        return "a day"
    if days < 14:
        return f"{round(days)} days"
    if days < 60:
        return f"{round(days / 7)} weeks"
    if days < 730:
        return f"{round(days / 30.4)} months"
    return f"{round(days / 365)} years"


def what_i_know(coach: Coach, user_id: str) -> List[Known]:
    kb, say = coach.kb, coach.kb.say
    profile = coach.profiles.get(user_id)
    items: List[Known] = []
    for ident in profile.constraints:
        if ident in profile.precautions:  # the reader's guess (LR2), never something they told us
            items.append(Known("limit", say("known_precaution", label=kb.constraints[ident].label), {"id": ident}))
        elif ident in kb.constraints:
            items.append(Known("limit", say("known_limit", label=kb.constraints[ident].label), {"id": ident}))
    for note in profile.conditions.values():
        if note.id not in kb.conditions:
            continue
        label = kb.conditions[note.id].label
        told = day(note.noted_on)
        when = told.strftime(DATE_FORMAT) if told else "an earlier day"
        if note.days_ago is not None:
            text = say("known_condition_ago", label=label, date=when, ago=ago_words(note.days_ago))
        else:
            text = say("known_condition", label=label, date=when)
        if note.cleared:
            text = f"{text} {say('known_condition_cleared')}"
        facts = {"id": note.id, "noted_on": note.noted_on, "days_ago": note.days_ago, "cleared": note.cleared}
        items.append(Known("condition", text, facts))
    if profile.alert and profile.alert.rule_id in kb.red_flags:
        flag = kb.red_flags[profile.alert.rule_id].title.lower()
        items.append(Known("alert", say("known_alert", flag=flag), {"rule_id": profile.alert.rule_id}))
    for rule_id in profile.referrals:
        if rule_id in kb.red_flags:
            flag = kb.red_flags[rule_id].title.lower()
            items.append(Known("referral", say("known_referral", flag=flag), {"rule_id": rule_id}))
    for exercise_id, reason in profile.avoid.items():
        if exercise_id in kb.exercises:
            name = kb.exercises[exercise_id].name.lower()
            items.append(Known("avoid", say("known_avoid", name=name, reason=reason), {"id": exercise_id}))
    items += _preferences(coach, profile)
    items += _history(coach, user_id)
    return items


def _preferences(coach: Coach, profile: Profile) -> List[Known]:
    kb, say = coach.kb, coach.kb.say
    items: List[Known] = []
    preferred = [p for p in profile.preferred if p in kb.exercises]
    if preferred:
        names = ", ".join(kb.exercises[p].name.lower() for p in preferred)
        items.append(Known("preferred", say("known_preferred", names=names), {"ids": preferred}))
    if profile.hold_adjust:
        direction = say("word_longer") if profile.hold_adjust > 0 else say("word_shorter")
        items.append(
            Known(
                "holds",
                say("known_holds", seconds=abs(profile.hold_adjust), direction=direction),
                {"hold_adjust_seconds": profile.hold_adjust},
            )
        )
    if profile.minutes_available:
        minutes = profile.minutes_available
        time = f"{minutes:g} minute" + ("" if minutes == 1 else "s")
        items.append(Known("time", say("known_time", time=time), {"minutes": minutes}))
    if profile.country:
        items.append(Known("country", say("known_country", country=profile.country), {"country": profile.country}))
    goals = [g for g in profile.goals if g in kb.goals]
    if goals:
        items.append(
            Known("goals", say("known_goals", goals=", ".join(g.replace("_", " ") for g in goals)), {"ids": goals})
        )
    return items


def _history(coach: Coach, user_id: str) -> List[Known]:
    say = coach.kb.say
    items: List[Known] = []
    screenings = coach.profiles.screenings(user_id)
    if screenings:
        last = screenings[-1]
        when = _aware(last.taken_at).strftime(DATE_FORMAT)
        items.append(
            Known("screening", say("known_screening", date=when, count=len(screenings)), {"count": len(screenings)})
        )
    session = coach.sessions.get(user_id)
    if session is not None:
        status = {"done": "session_status_done", "stopped": "session_status_stopped"}.get(
            session.status, "session_status_running"
        )
        updated = getattr(coach.sessions, "updated_at", lambda _u: None)(user_id)
        when = _aware(updated).strftime(DATE_FORMAT) if updated else datetime.now(timezone.utc).strftime(DATE_FORMAT)
        text = say("known_session", date=when, status=say(status))
        if session.rating is not None:
            text = f"{text} {say('known_rating', rating=session.rating)}"
        items.append(Known("session", text, {"status": session.status, "rating": session.rating}))
    events = coach.profiles.safety_events(user_id)
    if events:
        items.append(Known("safety_events", say("known_safety_events", count=len(events)), {"count": len(events)}))
    return items


# -- "Last time you said ... Still true?" -----------------------------------------------------------
def recheck_keys(coach: Coach, profile: Profile) -> List[str]:
    """Remembered limits a chat may lift: what the user said themselves and the coach works
    around (never a referral, a red flag or a condition that needs a clinician's say)."""
    kb = coach.kb
    keys = [f"constraint:{c}" for c in profile.constraints if c in kb.constraints]
    for note in profile.conditions.values():
        condition = kb.conditions.get(note.id)
        if condition is not None and condition.outcome not in (Outcome.REFER, Outcome.DEFER):
            keys.append(f"condition:{note.id}")
    return keys


def is_returning(last_seen: Optional[str], now: datetime, hours: float) -> bool:
    if not last_seen:
        return False
    try:
        before = _aware(datetime.fromisoformat(last_seen))
    except ValueError:
        return False
    return now - before >= timedelta(hours=hours)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
