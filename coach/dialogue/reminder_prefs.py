"""The user's reminder preferences, changed by talking: the time zone ("I've moved to Toronto",
"my time zone is Europe/Paris", "I'm in Canada now") and the quiet hours ("don't remind me
before 8am", "my quiet hours are 10pm to 7am", "what are my quiet hours?").

A new zone keeps every reminder's local clock time (a 10:00 reminder stays 10:00 where the user
is now). New quiet hours never drop a reminder: the ones inside them are named and the user is
offered to move them (to the nearest time outside), or to keep them as they are. Both are kept
in `reminder_prefs` (coach/store/reminders.py), so, like reminders, only for a user who said
the coach may remember them; anyone else is told so and nothing is stored.

Replies carry the `reminder` payload (docs/api.md).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from coach import clock
from coach.dialogue import coaching
from coach.dialogue.context import TurnContext
from coach.dialogue.reminders import INTENTS as REMINDER_INTENTS
from coach.dialogue.reminders import ZONE_ANSWERS, _create, _quiet, describe, payload
from coach.reminders.quiet import MIN_WINDOW_MINUTES, combine, nearest_allowed, read_quiet, window_minutes
from coach.reminders.schedule import Reminder, Schedule, clock_phrase, days_phrase, find_zone
from coach.reminders.zones import MULTI_ZONE_COUNTRIES, Named, in_country, named_in
from coach.store.reminders import Prefs
from coach.wording import find_country

INTENTS = {"change_time_zone", "set_quiet_hours", "ask_quiet_hours"}
ZONE_CHOICE = "zone_choice"  # prefs.pending kind: which zone of a several-zone country
QUIET_MOVE = "quiet_move"  # prefs.pending kind: move the reminders inside new quiet hours?


def _may_keep(ctx: TurnContext) -> bool:
    """Preferences outlive the conversation: only for a user who said the coach may remember them."""
    if ctx.coach.memory is None:
        return True
    ctx.say(ctx.words("prefs_needs_consent"), custom=payload("needs_consent", ctx))
    return False


def _request(prefs: Prefs) -> Optional[Dict[str, Any]]:
    """A reminder request waiting for the time zone, wherever it is kept in `pending`."""
    pending = prefs.pending or {}
    if not pending:
        return None
    return pending.get("request") if "kind" in pending else pending


def _listed(reminders: List[Reminder]) -> str:
    return "; ".join(f"{days_phrase(r.schedule.days)} at {clock_phrase(r.schedule.at)}" for r in reminders)


# -- the time zone ---------------------------------------------------------------------------------
def change_time_zone(ctx: TurnContext) -> None:
    if not _may_keep(ctx):
        return
    chosen = ctx.turn.entity("time_zone")
    named = Named(zone=find_zone(chosen)) if isinstance(chosen, str) else named_in(ctx.turn.text)
    prefs = ctx.coach.reminders.prefs(ctx.sender)
    if named.zone is None and named.country is not None:
        ask_which(ctx, prefs, named.country)
        return
    if named.zone is None:
        said = " ".join(str(chosen or ctx.turn.text or "").split())[:40]
        reply = ctx.words("reminder_zone_unknown", said=said) if said else ctx.words("prefs_zone_need")
        ctx.say(reply, custom=payload("invalid", ctx, problem="zone"))
        return
    apply_zone(ctx, prefs, named.zone)


def ask_which(ctx: TurnContext, prefs: Prefs, country: str) -> None:
    """A country with several zones: which one, with a button each (a typed city works too)."""
    choices = MULTI_ZONE_COUNTRIES[country]
    prefs.pending = {"kind": ZONE_CHOICE, "country": country, "request": _request(prefs)}
    ctx.coach.reminders.save_prefs(prefs)
    buttons = [(title, "/change_time_zone" + json.dumps({"time_zone": zone})) for title, zone in choices]
    ctx.say(
        ctx.words("prefs_zone_which", country=country),
        buttons=buttons,
        custom=payload("ask_zone", ctx, country=country, choices=[{"title": t, "zone": z} for t, z in choices]),
    )


def apply_zone(ctx: TurnContext, prefs: Prefs, zone: str) -> None:
    """The new zone for the user and every reminder, each keeping its local clock time; a
    reminder that was waiting for the zone is then created."""
    store = ctx.coach.reminders
    previous, request = prefs.zone, _request(prefs)
    prefs.zone, prefs.pending = zone, None
    store.save_prefs(prefs)
    reminders = store.for_user(ctx.sender)
    now = clock.now()
    for reminder in reminders:
        if reminder.zone != zone:
            reminder.zone = zone  # the same days and clock time, in the new zone
            reminder.refresh(now)
            store.save(reminder)
    if previous == zone:
        text = ctx.words("prefs_zone_same", zone=zone)
    elif previous is None:
        text = ctx.words("prefs_zone_first", zone=zone)
    else:
        text = ctx.words("prefs_zone_changed", zone=zone, previous=previous)
    if reminders:
        text = f"{text} {ctx.words('prefs_zone_kept', listed=_listed(reminders))}"
    elif request is None:
        text = f"{text} {ctx.words('prefs_zone_no_reminders')}"
    ctx.say(
        text,
        custom=payload(
            "zone_changed" if previous != zone else "zone_unchanged",
            ctx,
            zone=zone,
            previous_zone=previous,
            reminders=[describe(r) for r in reminders],
        ),
    )
    if request is not None:
        _create(ctx, prefs, request)


def inform_country(ctx: TurnContext) -> None:
    """ "I'm in Canada now": the country for the emergency numbers, as before, and for a user
    with reminders a move of their zone (asked with buttons when the country has several)."""
    names = [n for n in ctx.turn.entities.get("country") or [] if isinstance(n, str)]
    known = any(find_country(ctx.kb, n) for n in names or [ctx.turn.text])
    named = named_in(" ".join([ctx.turn.text, *names]))
    consented = ctx.coach.memory is None
    place = named.zone is not None or named.country is not None
    if known or not consented or not place:
        coaching.set_country(ctx)
    if not consented or not place:
        return
    store = ctx.coach.reminders
    prefs = store.prefs(ctx.sender)
    uses_reminders = prefs.zone is not None or bool(store.for_user(ctx.sender))
    if known and not uses_reminders:
        return  # a country said for the emergency numbers: no zone to move
    if named.country is not None:
        # Never a second question on top of one the coach is waiting on (screening, a check).
        if not in_country(prefs.zone, named.country) and ctx.state.question is None:
            ask_which(ctx, prefs, named.country)
    elif named.zone is not None and named.zone != prefs.zone:
        apply_zone(ctx, prefs, named.zone)


# -- quiet hours -----------------------------------------------------------------------------------
def ask_quiet_hours(ctx: TurnContext) -> None:
    prefs = ctx.coach.reminders.prefs(ctx.sender)
    quiet = _quiet(prefs)
    text = ctx.words("prefs_quiet_show", start=clock_phrase(quiet.start), end=clock_phrase(quiet.end))
    if prefs.quiet is None:
        text = f"{text} {ctx.words('prefs_quiet_default')}"
    reminders = ctx.coach.reminders.for_user(ctx.sender) if ctx.coach.memory is None else []
    inside = [r for r in reminders if quiet.contains(r.schedule.at)]
    if not reminders:
        text = f"{text} {ctx.words('prefs_quiet_no_reminders')}"
    elif inside:
        text = f"{text} {ctx.words('prefs_quiet_still_inside', listed=_listed(inside))}"
    ctx.say(
        text,
        custom=payload(
            "quiet_hours", ctx, quiet_hours=quiet.to_str(), default=prefs.quiet is None,
            inside=[describe(r) for r in inside],
        ),
    )  # fmt: skip


def set_quiet_hours(ctx: TurnContext) -> None:
    wanted = read_quiet(ctx.turn.text)
    if not wanted.names_a_time:
        prefs = ctx.coach.reminders.prefs(ctx.sender)
        quiet = _quiet(prefs)
        ctx.say(
            ctx.words("prefs_quiet_need_time", start=clock_phrase(quiet.start), end=clock_phrase(quiet.end)),
            custom=payload("need_time", ctx, quiet_hours=quiet.to_str()),
        )
        return
    if not _may_keep(ctx):
        return
    store = ctx.coach.reminders
    prefs = store.prefs(ctx.sender)
    current = _quiet(prefs)
    if wanted.bad:
        ctx.say(
            ctx.words("prefs_quiet_bad_time", said=wanted.bad[:40]),
            custom=payload("invalid", ctx, problem="time", quiet_hours=current.to_str()),
        )
        return
    new = combine(current, wanted)
    left = window_minutes(new)
    if left < MIN_WINDOW_MINUTES:
        reply = (
            ctx.words("prefs_quiet_whole_day", start=clock_phrase(new.start), end=clock_phrase(new.end))
            if left == 0
            else ctx.words("prefs_quiet_too_long", start=clock_phrase(new.start), end=clock_phrase(new.end))
        )
        ctx.say(reply, custom=payload("invalid", ctx, problem="whole_day", quiet_hours=current.to_str()))
        return
    prefs.quiet = new
    prefs.pending = _request_only(prefs)
    reminders = store.for_user(ctx.sender)
    inside = [r for r in reminders if new.contains(r.schedule.at)]
    moves = {str(r.id): clock_phrase(nearest_allowed(new, r.schedule.at)) for r in inside}
    if inside:
        prefs.pending = {"kind": QUIET_MOVE, "moves": moves}
    store.save_prefs(prefs)
    text = ctx.words(
        "prefs_quiet_set",
        start=clock_phrase(new.start),
        end=clock_phrase(new.end),
        previous=f"{clock_phrase(current.start)} to {clock_phrase(current.end)}",
    )
    buttons = []
    if inside:
        offer = "; ".join(
            f"{days_phrase(r.schedule.days)} at {clock_phrase(r.schedule.at)} to {moves[str(r.id)]}" for r in inside
        )
        text = f"{text} {ctx.words('prefs_quiet_inside', listed=_listed(inside), moves=offer)}"
        buttons = [(ctx.words("button_move_them"), "/affirm"), (ctx.words("button_keep_them"), "/deny")]
    elif not reminders:
        text = f"{text} {ctx.words('prefs_quiet_no_reminders')}"
    ctx.say(
        text,
        buttons=buttons,
        custom=payload(
            "quiet_hours_set", ctx, quiet_hours=new.to_str(), previous=current.to_str(),
            inside=[{**describe(r), "move_to": moves[str(r.id)]} for r in inside],
        ),
    )  # fmt: skip


def _request_only(prefs: Prefs) -> Optional[Dict[str, Any]]:
    """What `pending` keeps when an offer is dropped: a reminder still waiting for the zone."""
    return _request(prefs)


def _answer_move(ctx: TurnContext, prefs: Prefs) -> bool:
    store, intent = ctx.coach.reminders, ctx.turn.intent
    moves: Dict[str, str] = dict((prefs.pending or {}).get("moves") or {})
    prefs.pending = None
    store.save_prefs(prefs)
    if intent not in ("affirm", "deny"):
        return False  # the offer was for the next message only: dropped, the message handled as usual
    reminders = [r for r in store.for_user(ctx.sender) if str(r.id) in moves]
    if intent == "deny":
        ctx.say(
            ctx.words("prefs_quiet_kept", listed=_listed(reminders) or "-"),
            custom=payload("kept", ctx, reminders=[describe(r) for r in reminders]),
        )
        return True
    now = clock.now()
    for reminder in reminders:
        hour, minute = (int(x) for x in moves[str(reminder.id)].split(":"))
        reminder.schedule = Schedule(reminder.schedule.days, reminder.schedule.at.replace(hour=hour, minute=minute))
        reminder.snooze_until = None
        reminder.refresh(now)
        store.save(reminder)
    ctx.say(
        ctx.words("prefs_quiet_moved", listed=_listed(reminders) or "-"),
        custom=payload("moved", ctx, reminders=[describe(r) for r in reminders]),
    )
    return True


def _answer_zone_choice(ctx: TurnContext, prefs: Prefs) -> bool:
    if ctx.turn.is_button or ctx.turn.intent in REMINDER_INTENTS | INTENTS:
        return False  # a zone button (change_time_zone) or a new request: handled by its intent
    named = named_in(ctx.turn.text)
    if named.zone is not None:
        apply_zone(ctx, prefs, named.zone)
        return True
    country = (prefs.pending or {}).get("country")
    waiting = _request(prefs) is not None  # a reminder waits for the answer: it is asked again
    still_choosing = (
        waiting
        and country in MULTI_ZONE_COUNTRIES
        and (ctx.turn.intent in ZONE_ANSWERS or len(ctx.turn.text.split()) <= 4)
    )
    # A several-zone country named now, or the one still being chosen in.
    which = named.country or (country if still_choosing else None)
    if which is not None:
        said = " ".join(ctx.turn.text.split())[:40]
        ctx.say(ctx.words("reminder_zone_unknown", said=said), custom=payload("invalid", ctx, problem="zone"))
        ask_which(ctx, prefs, which)
        return True
    if not waiting:
        prefs.pending = None  # something else entirely ("thanks"): the question is dropped
        ctx.coach.reminders.save_prefs(prefs)
    return False


def answers_pending(ctx: TurnContext) -> bool:
    """The answer to an open offer or question of this module: True when this turn was it.
    Also a reminder waiting for the zone answered with a several-zone country ("Canada")."""
    if ctx.coach.memory is not None:
        return False
    prefs = ctx.coach.reminders.prefs(ctx.sender)
    pending = prefs.pending
    if not pending:
        return False
    kind = pending.get("kind")
    if kind == QUIET_MOVE:
        return _answer_move(ctx, prefs)
    if kind == ZONE_CHOICE:
        return _answer_zone_choice(ctx, prefs)
    if ctx.turn.is_button or ctx.turn.intent in REMINDER_INTENTS:
        return False
    named = named_in(ctx.turn.text)
    if named.zone is None and named.country is not None:
        if ctx.turn.intent == "inform_country":
            coaching.set_country(ctx)  # the country's emergency numbers, as ever
        ask_which(ctx, prefs, named.country)
        return True
    return False


HANDLERS = {
    "change_time_zone": change_time_zone,
    "set_quiet_hours": set_quiet_hours,
    "ask_quiet_hours": ask_quiet_hours,
}
