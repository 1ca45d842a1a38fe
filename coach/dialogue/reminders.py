"""Reminders in conversation: set, change, snooze, stop and list them, ask the time zone once,
and say a reminder when the scheduler delivers it (coach/reminders/scheduler.py).

Every reply carries a `reminder` payload (docs/api.md). A reminder goes back to the channel it
was set from; on a channel that cannot send first (REST, Alexa) the coach says so and sets none.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Dict, List, Optional

from coach import clock, settings
from coach.dialogue.context import TurnContext
from coach.reminders.phrases import MAX_SNOOZE_MINUTES, Wanted, read
from coach.reminders.schedule import (
    DAY_NAMES,
    EVERY_DAY,
    QuietHours,
    Reminder,
    Schedule,
    clock_phrase,
    days_phrase,
    find_zone,
)
from coach.store.reminders import Prefs

INTENTS = {"set_reminder", "change_reminder", "snooze_reminder", "stop_reminders", "list_reminders"}
TIMER_TOKEN = "reminder"  # a delivered reminder arrives as a timer "reminder:<id>@<due ISO>"
# While the time zone is asked, these say nothing else and are read as the answer.
ZONE_ANSWERS = {"nlu_fallback", "out_of_scope", "inform_country", "answer", "affirm", "deny", "greet"}


def payload(event: str, ctx: TurnContext, reminder: Optional[Reminder] = None, **extra: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {"type": "reminder", "event": event, "channel": ctx.turn.channel or None}
    if reminder is not None:
        body["reminder"] = describe(reminder)
    body.update(extra)
    return body


def describe(reminder: Reminder) -> Dict[str, Any]:
    nxt = reminder.next_due
    return {
        "id": reminder.id,
        "days": [DAY_NAMES[d][:3] for d in sorted(reminder.schedule.days)],
        "time": clock_phrase(reminder.schedule.at),
        "zone": reminder.zone,
        "channel": reminder.channel,
        "next_due": nxt.isoformat() if nxt else None,
        "next_local": reminder.local(nxt).isoformat() if nxt else None,
        "snoozed_until": reminder.snooze_until.isoformat() if reminder.snooze_until else None,
    }


def _when(reminder: Reminder, moment: datetime) -> str:
    local = reminder.local(moment)
    return f"{local:%A %d %b} at {local:%H:%M}"


def _quiet(prefs: Prefs) -> QuietHours:
    return prefs.quiet or QuietHours.parse(settings.quiet_hours())


def _text(ctx: TurnContext) -> str:
    """The words, plus any duration or time a button carried as an entity."""
    extra = [str(v) for name in ("duration",) for v in ctx.turn.entities.get(name) or []]
    return " ".join([ctx.turn.text if not ctx.turn.is_button else "", *extra]).strip()


def _problem(ctx: TurnContext, wanted: Wanted, prefs: Prefs) -> bool:
    """Says what is wrong with an impossible time; True when it did."""
    if wanted.bad_time:
        ctx.say(
            ctx.words("reminder_bad_time", said=wanted.bad_time[:40]), custom=payload("invalid", ctx, problem="time")
        )
        return True
    quiet = _quiet(prefs)
    if wanted.at is not None and quiet.contains(wanted.at):
        ctx.say(
            ctx.words(
                "reminder_quiet_hours",
                time=clock_phrase(wanted.at),
                start=clock_phrase(quiet.start),
                end=clock_phrase(quiet.end),
            ),
            custom=payload("invalid", ctx, problem="quiet_hours", quiet_hours=quiet.to_str()),
        )
        return True
    return False


# -- setting -----------------------------------------------------------------------------------
def set_reminder(ctx: TurnContext) -> None:
    store = ctx.coach.reminders
    if not ctx.turn.can_push:
        ctx.say(ctx.words("reminder_cannot_push"), custom=payload("cannot_push", ctx))
        return
    if ctx.coach.memory is not None:
        # A reminder has to be kept after the conversation, which a user who has not said the
        # coach may remember them has not allowed: ask for that first, store nothing.
        ctx.say(ctx.words("reminder_needs_consent"), custom=payload("needs_consent", ctx))
        return
    wanted = read(_text(ctx))
    prefs = store.prefs(ctx.sender)
    if _problem(ctx, wanted, prefs):
        return
    if wanted.at is None:
        ctx.say(ctx.words("reminder_need_time"), custom=payload("need_time", ctx))
        return
    days = (wanted.days or EVERY_DAY) - (wanted.not_days or frozenset())
    if not days:
        ctx.say(ctx.words("reminder_no_days_left"), custom=payload("invalid", ctx, problem="no_days"))
        return
    request = {"days": sorted(days), "at": clock_phrase(wanted.at), "channel": ctx.turn.channel}
    named = find_zone(ctx.turn.text)
    if named:
        prefs.zone = named
    if prefs.zone is None:
        prefs.pending = request
        store.save_prefs(prefs)
        ctx.say(ctx.words("reminder_ask_zone"), custom=payload("ask_zone", ctx))
        return
    prefs.pending = None
    store.save_prefs(prefs)
    _create(ctx, prefs, request)


def _create(ctx: TurnContext, prefs: Prefs, request: Dict[str, Any]) -> None:
    hour, minute = (int(x) for x in request["at"].split(":"))
    reminder = Reminder(
        user_id=ctx.sender,
        channel=request.get("channel") or ctx.turn.channel,
        schedule=Schedule(frozenset(request["days"]), time(hour, minute)),
        zone=prefs.zone or "UTC",
    )
    due = reminder.refresh(clock.now())
    ctx.coach.reminders.save(reminder)
    ctx.say(
        ctx.words(
            "reminder_set",
            days=days_phrase(reminder.schedule.days),
            time=clock_phrase(reminder.schedule.at),
            zone=reminder.zone,
            next=_when(reminder, due),
        ),
        custom=payload("set", ctx, reminder),
    )


def answers_zone_question(ctx: TurnContext) -> bool:
    """The answer to "which time zone are you in?": True when this turn was it."""
    store = ctx.coach.reminders
    prefs = store.prefs(ctx.sender)
    if not prefs.pending or "kind" in prefs.pending or ctx.turn.intent in INTENTS or ctx.turn.is_button:
        return False  # a pending with a kind is an offer of coach/dialogue/reminder_prefs.py
    named = find_zone(ctx.turn.text)
    if named is None:
        if ctx.turn.intent not in ZONE_ANSWERS and len(ctx.turn.text.split()) > 4:
            return False  # something else entirely: answered as usual, the question can wait
        said = " ".join(ctx.turn.text.split())[:40]
        ctx.say(ctx.words("reminder_zone_unknown", said=said), custom=payload("invalid", ctx, problem="zone"))
        return True
    request, prefs.zone, prefs.pending = prefs.pending, named, None
    store.save_prefs(prefs)
    ctx.say(ctx.words("reminder_zone_set", zone=named))
    _create(ctx, prefs, request)
    return True


# -- changing ----------------------------------------------------------------------------------
def _target(ctx: TurnContext) -> Optional[Reminder]:
    """The reminder a change is about: the one due soonest (most people have one)."""
    reminders = ctx.coach.reminders.for_user(ctx.sender)
    if not reminders:
        ctx.say(ctx.words("reminder_none_to_change"), custom=payload("none", ctx))
        return None
    return min(reminders, key=lambda r: r.next_due or datetime.max.replace(tzinfo=clock.now().tzinfo))


def change_reminder(ctx: TurnContext) -> None:
    wanted = read(_text(ctx))
    if wanted.snooze is not None and wanted.at is None and not (wanted.days or wanted.not_days):
        snooze_reminder(ctx)
        return
    reminder = _target(ctx)
    if reminder is None:
        return
    prefs = ctx.coach.reminders.prefs(ctx.sender)
    if _problem(ctx, wanted, prefs):
        return
    if wanted.at is None and not wanted.days and not wanted.not_days:
        ctx.say(ctx.words("reminder_need_time"), custom=payload("need_time", ctx, reminder))
        return
    days = wanted.days or reminder.schedule.days
    days = days - (wanted.not_days or frozenset())
    if not days:
        ctx.say(ctx.words("reminder_no_days_left"), custom=payload("invalid", ctx, reminder, problem="no_days"))
        return
    reminder.schedule = Schedule(frozenset(days), wanted.at or reminder.schedule.at)
    reminder.snooze_until = None
    due = reminder.refresh(clock.now())
    ctx.coach.reminders.save(reminder)
    ctx.say(
        ctx.words(
            "reminder_changed",
            days=days_phrase(reminder.schedule.days),
            time=clock_phrase(reminder.schedule.at),
            zone=reminder.zone,
            next=_when(reminder, due),
        ),
        custom=payload("changed", ctx, reminder),
    )


def snooze_reminder(ctx: TurnContext) -> None:
    minutes = read(_text(ctx)).snooze
    reminder = _target(ctx)
    if reminder is None:
        return
    if minutes is None or minutes <= 0:
        ctx.say(ctx.words("reminder_need_snooze"), custom=payload("need_snooze", ctx, reminder))
        return
    if minutes > MAX_SNOOZE_MINUTES:
        ctx.say(ctx.words("reminder_snooze_too_long"), custom=payload("invalid", ctx, reminder, problem="snooze"))
        return
    now = clock.now()
    until = now + timedelta(minutes=minutes)
    quiet = _quiet(ctx.coach.reminders.prefs(ctx.sender))
    local = reminder.local(until)
    if quiet.contains(local.time().replace(second=0, microsecond=0)):
        due = reminder.refresh(now)
        ctx.say(
            ctx.words(
                "reminder_snooze_quiet",
                time=f"{local:%H:%M}",
                start=clock_phrase(quiet.start),
                end=clock_phrase(quiet.end),
                next=_when(reminder, due),
            ),
            custom=payload("invalid", ctx, reminder, problem="quiet_hours", quiet_hours=quiet.to_str()),
        )
        return
    reminder.snooze_until = until
    reminder.refresh(now)
    ctx.coach.reminders.save(reminder)
    ctx.say(
        ctx.words("reminder_snoozed", time=f"{local:%H:%M}", zone=reminder.zone),
        custom=payload("snoozed", ctx, reminder),
    )


def stop_reminders(ctx: TurnContext) -> None:
    store = ctx.coach.reminders
    count = store.remove_all(ctx.sender)
    prefs = store.prefs(ctx.sender)
    if prefs.pending:
        prefs.pending = None
        store.save_prefs(prefs)
    if count:
        ctx.say(ctx.words("reminder_stopped", count=count), custom=payload("stopped", ctx, count=count))
    else:
        ctx.say(ctx.words("reminder_none_to_stop"), custom=payload("none", ctx))


def list_reminders(ctx: TurnContext) -> None:
    reminders = ctx.coach.reminders.for_user(ctx.sender)
    if not reminders:
        ctx.say(ctx.words("reminder_none"), custom=payload("list", ctx, reminders=[]))
        return
    items: List[str] = [
        ctx.words(
            "reminder_list_item",
            days=days_phrase(r.schedule.days),
            time=clock_phrase(r.schedule.at),
            zone=r.zone,
            next=_when(r, r.next_due) if r.next_due else "-",
        )
        for r in reminders
    ]
    ctx.say(
        ctx.words("reminder_list", listed="; ".join(items)),
        custom=payload("list", ctx, reminders=[describe(r) for r in reminders]),
    )


# -- delivered ---------------------------------------------------------------------------------
def timer_value(reminder_id: int, due: datetime) -> str:
    """What the scheduler sends as the `timer` entity (read back by `on_due`)."""
    return f"{TIMER_TOKEN}:{reminder_id}@{due.isoformat()}"


def on_due(ctx: TurnContext) -> None:
    """The scheduler delivered a reminder: say it, unless it was stopped meanwhile."""
    timer = ctx.turn.timer
    assert timer is not None
    ident, _, due = timer.kind.partition("@")
    reminder = ctx.coach.reminders.get(int(ident)) if ident.isdigit() else None
    if reminder is None or reminder.user_id != ctx.sender:
        return  # stopped or someone else's: nothing to say
    why = ctx.words(
        "reminder_due_why", days=days_phrase(reminder.schedule.days), time=clock_phrase(reminder.schedule.at)
    )
    ctx.say(
        f"{ctx.words('reminder_due')} {why}",
        buttons=[
            (ctx.words("button_start_now"), "/start_session"),
            (ctx.words("button_snooze_hour"), '/snooze_reminder{"duration": "an hour"}'),
            (ctx.words("button_stop_reminders"), "/stop_reminders"),
        ],
        custom=payload("due", ctx, reminder, due=due or None),
    )


HANDLERS = {
    "set_reminder": set_reminder,
    "change_reminder": change_reminder,
    "snooze_reminder": snooze_reminder,
    "stop_reminders": stop_reminders,
    "list_reminders": list_reminders,
}
